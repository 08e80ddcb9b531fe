"""LMS bulk downloads: names -> student, LMS id, lateness, the latest submission (in-process, on folders shaped
like Canvas, Moodle, Blackboard and Gradescope give them), then a real grade-all of a Canvas- and a
Moodle-shaped class (``--no-training``) exported as the CSVs Canvas's gradebook import and Moodle's grading
worksheet upload read."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.classops import lms
from autograder.classops.batch import uploads
from submissions import make_submission

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = (ROOT / "solution" / "mlp.py").read_text()
STUBS = (ROOT / "assignment" / "mlp.py").read_text()


def canvas_class(folder: Path) -> Path:
    """Canvas's bulk download: one file per attachment, <sortable name>[_LATE]_<user id>_<attachment id>_<file>."""
    folder.mkdir(parents=True)
    (folder / "smithalice_10234_5550001_mlp.py").write_text(STUBS)  # on time, then a late resubmission
    (folder / "smithalice_LATE_10234_5550002_mlp-1.py").write_text(SOLUTION)
    (folder / "smithalice_10234_5550003_REPORT.md").write_text("# Alice's report\n")
    (folder / "jonesbob_10240_5550010_mlp.py").write_text(SOLUTION)
    (folder / "jonesbob_10240_5550011_curves.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder


def moodle_class(folder: Path) -> Path:
    """Moodle >= 3.1: a folder per student and plugin, <full name>_<participant id>_assignsubmission_<plugin>_/."""
    make_submission(folder / "Carol Diaz_1234567_assignsubmission_file_")
    (folder / "Carol Diaz_1234567_assignsubmission_onlinetext_").mkdir()
    (folder / "Carol Diaz_1234567_assignsubmission_onlinetext_" / "onlinetext.html").write_text("<p>hi</p>")
    (folder / "Dan Evans_7654321_assignsubmission_file_mlp.py").write_text(STUBS)  # the flat layout
    return folder


def test_canvas_names_give_the_student_the_id_and_the_latest_submission_marked_late(tmp_path):
    found = uploads(canvas_class(tmp_path / "canvas"), tmp_path / "out")
    assert list(found) == ["jonesbob", "smithalice"]  # one student, not two, for the late resubmission
    alice = found["smithalice"]
    assert (alice.lms, alice.lms_id, alice.late, alice.previous) == ("canvas", "10234", True, 1)
    assert alice.path == tmp_path / "out" / ".intake" / "smithalice"
    assert sorted(p.name for p in alice.path.iterdir()) == ["REPORT.md", "mlp.py"]
    assert (alice.path / "mlp.py").read_text() == SOLUTION  # the late one, the latest
    bob = found["jonesbob"]
    assert (bob.lms_id, bob.late, sorted(p.name for p in bob.path.iterdir())) == ("10240", False,
                                                                                 ["curves.png", "mlp.py"])
    assert oct((tmp_path / "out").stat().st_mode & 0o777) == "0o700"


def test_moodle_blackboard_and_gradescope_names(tmp_path):
    found = uploads(moodle_class(tmp_path / "moodle"), tmp_path / "out")
    assert {s: (u.lms, u.lms_id, u.name) for s, u in found.items()} == {
        "Carol Diaz": ("moodle", "1234567", "Carol Diaz"), "Dan Evans": ("moodle", "7654321", "Dan Evans")}
    assert found["Carol Diaz"].path.name == "Carol Diaz_1234567_assignsubmission_file_"  # not the online text

    board = tmp_path / "blackboard"
    board.mkdir()
    for stamp, source in (("2024-02-01-13-45-10", STUBS), ("2024-02-02-09-00-00", SOLUTION)):
        (board / f"HW3_asmith_attempt_{stamp}_mlp.py").write_text(source)
        (board / f"HW3_asmith_attempt_{stamp}.txt").write_text("Name: Alice Smith (asmith)\nAssignment: HW3\n")
    found = uploads(board, tmp_path / "out2")
    alice = found["asmith"]
    assert (alice.lms, alice.lms_id, alice.name, alice.submitted_at) == ("blackboard", "asmith", "Alice Smith",
                                                                         "2024-02-02-09-00-00")
    assert (alice.path / "mlp.py").read_text() == SOLUTION and alice.previous == 1

    export = tmp_path / "gradescope"
    for sid, created in (("s1", "2024-03-01T10:00:00-08:00"), ("s2", "2024-03-09T10:00:00-08:00")):
        make_submission(export / f"submission_{sid}" / "submission")
        (export / f"submission_{sid}" / "submission_metadata.json").write_text(json.dumps({
            "id": 1, "created_at": created, "assignment": {"due_date": "2024-03-05T23:59:00-08:00"},
            "users": [{"email": f"{sid}@uni.edu", "id": 9, "name": f"Student {sid}", "sid": sid}],
            "previous_submissions": [{"submission_time": "2024-03-01T09:00:00-08:00", "score": 0.0}]}))
    found = uploads(export, tmp_path / "out3")
    assert {s: (u.lms_id, u.late, u.previous) for s, u in found.items()} == {
        "Student s1": ("s1", False, 1), "Student s2": ("s2", True, 1)}
    assert found["Student s1"].path.name == "submission"
    facts = lms.gradescope_facts(export / "submission_s2" / "submission")  # how run_autograder's grade sees it
    assert facts == {"lms": "gradescope", "id": "s2", "name": "Student s2", "late": True,
                     "submitted_at": "2024-03-09T10:00:00-08:00", "previous_submissions": 1}


def test_hostile_lms_fields_stay_printable_and_bounded(tmp_path):
    folder = tmp_path / "class"
    make_submission(folder / "sub")
    (folder / "sub" / "submission_metadata.json").write_text(json.dumps(
        {"users": [{"name": "\x1b[31m=cmd|' /C calc'!A0" + "x" * 1000, "sid": "1\r\n2"}]}))
    upload = uploads(folder, tmp_path / "out")
    [(student, found)] = upload.items()
    assert found.name.isprintable() and len(found.name) <= lms.MAX_FIELD and found.lms_id == "1??2"
    assert student.isprintable() and "/" not in student


@pytest.mark.skipif(os.geteuid() != 0, reason="the autograder's sandbox needs root")
def test_grade_all_on_canvas_and_moodle_downloads_then_export_what_they_import(tmp_path):
    def cli(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    klass = canvas_class(tmp_path / "class")
    for entry in moodle_class(tmp_path / "moodle").iterdir():
        shutil.move(entry, klass / entry.name)
    out = tmp_path / "graded"
    cli("grade-all", str(klass), "--out", str(out), "-j", "2", "--no-training")
    with (out / "gradebook.csv").open(newline="") as f:
        book = {row["student"]: row for row in csv.DictReader(f)}
    assert {s: (r["total"], r["status"], r["lms"], r["lms_id"], r["late"]) for s, r in book.items()} == {
        "Carol Diaz": ("75.0", "graded", "moodle", "1234567", ""),
        "Dan Evans": ("0.0", "not attempted", "moodle", "7654321", ""),
        "jonesbob": ("75.0", "graded", "canvas", "10240", ""),
        "smithalice": ("75.0", "graded", "canvas", "10234", "late")}
    alice = json.loads((out / "students/smithalice/results.json").read_text())
    assert alice["extra_data"]["lms"] == {"lms": "canvas", "id": "10234", "name": "smithalice", "late": True,
                                          "submitted_at": "", "previous_submissions": 1}
    assert "late submission" in (out / "index.html").read_text()
    assert "canvas id 10234" in (out / "students/smithalice/report.html").read_text()

    cli("export", str(out), "--lms", "canvas", "--assignment", "MNIST MLP (4321)")
    with (out / "canvas_import.csv").open(newline="") as f:
        canvas = list(csv.reader(f))
    assert canvas == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "MNIST MLP (4321)"],
                      ["jonesbob", "10240", "", "", "", "75"], ["smithalice", "10234", "", "", "", "75"]]
    proc = cli("export", str(out), "--lms", "moodle")
    assert "left out 2 student(s) without a moodle id: jonesbob, smithalice" in proc.stdout
    with (out / "moodle_import.csv").open(newline="") as f:
        moodle = list(csv.DictReader(f))
    assert [(r["Identifier"], r["Full name"], r["Grade"], r["Maximum Grade"]) for r in moodle] == [
        ("Participant 1234567", "Carol Diaz", "75", "100"), ("Participant 7654321", "Dan Evans", "0", "100")]
    assert all(r["Last modified (grade)"] for r in moodle)
    # a rerun of the same download grades nothing again (the assembled uploads stage the same files)
    assert "4 already graded, 0 to grade" in cli("grade-all", str(klass), "--out", str(out), "--no-training").stdout
