"""`python -m autograder grade-all` on a small class, for real: a full run, an idempotent rerun, and a run killed
with SIGKILL mid-way then resumed, which must give exactly the gradebook of an uninterrupted run and leave no
grading process or sandboxed worker behind."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from submissions import BUGGY, make_submission, processes_mentioning

ROOT = Path(__file__).resolve().parent.parent
STUDENTS = ("alice", "bob", "carol", "dave", "erin", "frank")
STATUS = -5  # gradebook.csv: ..., test_accuracy, status, reason, lms, lms_id, late

if os.geteuid() != 0:
    pytest.skip("the autograder's sandbox needs root", allow_module_level=True)


def make_class(folder: Path) -> Path:
    """Six submissions as an LMS download lays them out: folders and one zip."""
    make_submission(folder / "alice")  # the reference
    make_submission(folder / "bob")
    make_submission(folder / "carol", (BUGGY / "softmax_unstable.py").read_text())  # a buggy one
    (folder / "dave").mkdir()
    shutil.copyfile(ROOT / "assignment/mlp.py", folder / "dave/mlp.py")  # the untouched stubs
    with zipfile.ZipFile(folder / "erin.zip", "w") as archive:  # a zip of a folder
        archive.writestr("erin_hw3/mlp.py", (ROOT / "solution/mlp.py").read_text())
        archive.writestr("erin_hw3/REPORT.md", "# Report\n")
    # correct, but slow to import: keeps a grading in flight long enough to kill the batch mid-way
    make_submission(folder / "frank", "import time\ntime.sleep(4)\n")
    (folder / ".DS_Store").write_bytes(b"\0")  # not a submission
    return folder


def command(folder: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade-all", str(folder), "-j", "2", "--out", str(out),
            "--no-training"]


def run(folder: Path, out: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(command(folder, out), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def work():
    folder = Path(tempfile.mkdtemp(prefix="grade-all-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def uninterrupted(work) -> str:
    """The gradebook of one uninterrupted run."""
    klass = make_class(work / "class")
    run(klass, work / "clean")
    return (work / "clean/gradebook.csv").read_text()


def rows(gradebook: str) -> dict[str, list[str]]:
    lines = list(csv.reader(gradebook.splitlines()))
    return {line[0]: line for line in lines[1:]}


def test_full_run(work, uninterrupted):
    book = rows(uninterrupted)
    header = uninterrupted.splitlines()[0].split(",")
    assert list(book) == list(STUDENTS)
    assert header[:2] == ["student", "total"]
    assert header[-6:] == ["test_accuracy", "status", "reason", "lms", "lms_id", "late"] and len(header) == 18
    total = {s: float(r[1]) for s, r in book.items()}
    assert total["alice"] == total["bob"] == total["erin"] == total["frank"] == 75
    assert 0 < total["carol"] < 75
    assert total["dave"] == 0
    assert {s: r[STATUS] for s, r in book.items() if r[STATUS] != "graded"} == {"dave": "not attempted"}
    for student in STUDENTS:
        assert (work / "clean/students" / student / "results.json").is_file()


def test_rerun_grades_nothing(work, uninterrupted):
    stamps = {s: (work / "clean/students" / s / "results.json").stat().st_mtime_ns for s in STUDENTS}
    proc = run(work / "class", work / "clean")
    assert f"{len(STUDENTS)} submissions, {len(STUDENTS)} already graded, 0 to grade" in proc.stdout
    assert (work / "clean/gradebook.csv").read_text() == uninterrupted
    assert stamps == {s: (work / "clean/students" / s / "results.json").stat().st_mtime_ns for s in STUDENTS}


def test_killed_run_resumes_to_the_same_gradebook(work, uninterrupted):
    out = work / "killed"
    batch = subprocess.Popen(command(work / "class", out), cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:  # kill once a student is graded while another is being graded
            done = [s for s in STUDENTS if (out / "students" / s / "results.json").exists()]
            started = [s for s in STUDENTS if (out / "students" / s).is_dir() and s not in done]
            if (done and started) or batch.poll() is not None:
                break
            time.sleep(0.02)
        os.killpg(batch.pid, signal.SIGKILL)
    finally:
        batch.wait(10)
    assert 1 <= len(done) < len(STUDENTS), f"could not kill the batch mid-way: graded {done}"
    in_flight = [s for s in STUDENTS if (out / "students" / s).is_dir() and s not in done]
    assert in_flight, "no grading was in flight when the batch was killed"

    # nothing of the killed batch survives: no grading process, no sandboxed worker, no late results.json
    deadline = time.monotonic() + 5
    while (alive := processes_mentioning(str(out))) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive, f"processes of the killed batch survived: {alive}"
    graded_after_kill = sorted(s for s in STUDENTS if (out / "students" / s / "results.json").exists())
    time.sleep(1)
    assert graded_after_kill == sorted(s for s in STUDENTS if (out / "students" / s / "results.json").exists())

    proc = run(work / "class", out)
    already = len(graded_after_kill)
    assert (f"{len(STUDENTS)} submissions, {already} already graded, {len(STUDENTS) - already} to grade"
            in proc.stdout), proc.stdout
    assert (out / "gradebook.csv").read_text() == uninterrupted
    assert not processes_mentioning(str(out))


# ----------------------------------------------------------------------------------------- one student never breaks the class
DEEP_SUM = "\n\ndef relu_grad(z):\n    return (z > " + "+".join(["0"] * 600) + ").astype(z.dtype)\n"
HOSTILE_NAMES = {  # upload name (bytes: any byte a file name may hold) -> what the gradebook shows
    b"gradebook.csv": "gradebook.csv",
    b"index.html": "index.html",
    b"students": "students",
    b"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
    b"@SUM(1+1)": "'@SUM(1+1)",
    b"-2+3": "'-2+3",
}


def test_hostile_names_deep_code_and_a_quadratic_report_do_not_break_the_class(tmp_path):
    klass, out = tmp_path / "class", tmp_path / "graded"
    for name in HOSTILE_NAMES:
        make_submission(Path(os.fsdecode(bytes(klass) + b"/" + name)))
    make_submission(Path(os.fsdecode(bytes(klass) + b"/caf\xe9")))  # not UTF-8
    make_submission(klass / "\x1b[31mred\x1b[0m\rbob")  # ANSI escapes and a carriage return
    make_submission(klass / "deep", DEEP_SUM)  # correct, but ast.unparse would recurse too deep
    (make_submission(klass / "mallory") / "REPORT.md").write_text("[" * 20_000)  # quadratic for Markdown
    start = time.monotonic()
    proc = run(klass, out)
    elapsed = time.monotonic() - start
    assert "\x1b" not in proc.stdout + proc.stderr and "\r" not in proc.stdout + proc.stderr
    assert (out / "gradebook.csv").is_file() and (out / "index.html").is_file()
    with (out / "gradebook.csv").open(newline="") as f:
        table = list(csv.reader(f))
    book = {row[0]: row for row in table[1:]}
    weird = [s for s in book if s.startswith("caf")] + [s for s in book if "red" in s]
    assert set(book) == set(HOSTILE_NAMES.values()) | {"deep", "mallory", *weird} and len(weird) == 2, book
    assert all(c.isprintable() for s in book for c in s)
    assert all(float(row[1]) == 75 and row[STATUS] == "graded" for row in book.values()), book
    for shown in weird + ["deep", "mallory", "index.html"]:
        assert (out / "students" / shown / "report.html").is_file(), shown
    index = (out / "index.html").read_text()
    assert 'href="students/deep/report.html"' in index and 'href="students/index.html/report.html"' in index
    assert 'id="problems"' not in index  # every student was compared and shown
    assert "shown as plain text" in (out / "students/mallory/report.html").read_text()
    assert elapsed < 100, f"the quadratic REPORT.md held the class for {elapsed:.0f} s"


def test_a_grading_over_its_budget_is_timed_out_and_the_class_finishes(tmp_path):
    klass, out = tmp_path / "class", tmp_path / "graded"
    make_submission(klass / "alice")
    make_submission(klass / "slow", "import time\n\ndef relu_grad(z):\n    time.sleep(9)\n    return (z > 0) * 1.0\n")
    start = time.monotonic()
    proc = subprocess.run(command(klass, out) + ["--grading-seconds", "15"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert elapsed < 60, f"the batch took {elapsed:.0f} s with a 15 s budget per grading"
    slow = json.loads((out / "students/slow/results.json").read_text())
    assert slow["score"] == 0 and "longer than its 15 s budget" in slow["output"]
    assert all("timed out" in t["tags"] for t in slow["tests"]) and len(slow["tests"]) == 11
    alice = json.loads((out / "students/alice/results.json").read_text())
    assert alice["score"] == 75
    assert rows((out / "gradebook.csv").read_text())["slow"][STATUS] == "timed out"
    assert not processes_mentioning(str(out / "students/slow"))
    # a timed-out grading is a verdict: the rerun keeps it
    again = run(klass, out)
    assert "2 submissions, 2 already graded, 0 to grade" in again.stdout


def test_results_of_an_older_layout_are_adopted_not_regraded(tmp_path):
    klass, out = tmp_path / "class", tmp_path / "graded"
    make_submission(klass / "alice")
    old = make_submission(klass / "bob")
    first = run(klass, out)
    assert "0 already graded" in first.stdout
    (out / "students/bob").rename(out / "bob")  # what an older kit left: students at the top
    proc = run(klass, out)
    assert "2 submissions, 2 already graded, 0 to grade" in proc.stdout, proc.stdout
    assert (out / "students/bob/results.json").is_file() and not (out / "bob").exists() and old.is_dir()


# ----------------------------------------------------------------------------------------- class operations
def _wait_mid_run(out: Path, batch: subprocess.Popen) -> list[str]:
    """Wait until a student is graded while another is being graded; return the graded ones."""
    deadline = time.monotonic() + 120
    done: list[str] = []
    while time.monotonic() < deadline and batch.poll() is None:
        done = [s for s in STUDENTS if (out / "students" / s / "results.json").exists()]
        if done and any((out / "students" / s).is_dir() and s not in done for s in STUDENTS):
            break
        time.sleep(0.02)
    return done


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_the_batch_promptly_and_the_rerun_resumes(work, uninterrupted, sig):
    out = work / f"stopped-{sig.name}"
    batch = subprocess.Popen(command(work / "class", out), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        _wait_mid_run(out, batch)
        sent = time.monotonic()
        os.killpg(batch.pid, sig)  # a terminal's Ctrl-C signals the whole foreground process group
        stdout, stderr = batch.communicate(timeout=60)
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
    elapsed = time.monotonic() - sent
    assert batch.returncode == 130, stdout + stderr
    assert elapsed < 5, f"the batch took {elapsed:.1f} s to stop"
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    last = stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"interrupted: (\d+) graded, rerun the same command to resume", last)
    assert match, stdout
    on_disk = [s for s in STUDENTS if (out / "students" / s / "results.json").exists()]
    assert int(match.group(1)) == len(on_disk) and 1 <= len(on_disk) < len(STUDENTS)
    book = rows((out / "gradebook.csv").read_text())  # consistent with what is on disk
    assert {s for s, row in book.items() if row[STATUS] != "not graded"} == set(on_disk)
    deadline = time.monotonic() + 5
    while (alive := processes_mentioning(str(out))) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive, f"processes of the stopped batch survived: {alive}"
    proc = run(work / "class", out)
    assert f"{len(on_disk)} already graded" in proc.stdout
    assert (out / "gradebook.csv").read_text() == uninterrupted


def test_exit_codes_for_a_missing_path_an_empty_class_and_a_grader_error(tmp_path):
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)

    missing = cli("grade", str(tmp_path / "nonexistent.zip"), "--out", str(tmp_path / "g"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr and not (tmp_path / "g").exists()
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".DS_Store").write_bytes(b"")
    empty = cli("grade-all", str(tmp_path / "empty"))
    assert empty.returncode == 2 and "no submission" in empty.stderr
    assert cli("grade-all", str(tmp_path / "nope")).returncode == 2
    # a grader error (here: a file where the staging folder goes) exits 1 and still leaves a zero with the reason
    out = tmp_path / "graded"
    make_submission(tmp_path / "class" / "alice")
    (out / "students" / "alice").mkdir(parents=True)
    (out / "students" / "alice" / "submission").write_text("not a folder")
    graded = subprocess.run(command(tmp_path / "class", out), cwd=ROOT, capture_output=True, text=True, timeout=120)
    data = json.loads((out / "students" / "alice" / "results.json").read_text())
    assert data["score"] == 0 and data["extra_data"]["grader_error"]
    assert graded.returncode == 1 and "grader error for 1 student(s): alice" in graded.stderr, graded.stderr
    # a grading started for a batch that has already ended (its parent is not that pid) grades nothing
    orphan = cli("grade", str(tmp_path / "class" / "alice"), "--out", str(tmp_path / "orphan"),
                 "--die-with-parent", "1")
    assert orphan.returncode != 0 and "has ended; nothing was graded" in orphan.stderr
    assert not (tmp_path / "orphan").exists()
    help_text = cli("grade-all", "--help").stdout
    assert "(default: 1)" in help_text and "600 s" in help_text and "130 interrupted" in help_text


def test_reruns_regrade_changed_uploads_only_and_keep_the_previous_grade_until_done(tmp_path):
    klass, out = tmp_path / "class", tmp_path / "graded"
    make_submission(klass / "alice")
    make_submission(klass / "bob")
    make_submission(klass / "carol")
    run(klass, out)
    first = {s: json.loads((out / "students" / s / "results.json").read_text()) for s in ("alice", "bob", "carol")}
    assert set(first["bob"]["extra_data"]["files_sha256"]) == {"mlp.py"}
    (klass / "alice" / "notes.txt").write_text("not graded: no regrade")
    (klass / "bob" / "mlp.py").write_text(HANDOUT := (ROOT / "assignment/mlp.py").read_text())
    proc = run(klass, out)
    assert "3 submissions, 3 already graded, 1 to grade with -j 2; regrading 1 changed upload(s): bob" in proc.stdout
    bob = json.loads((out / "students/bob/results.json").read_text())
    assert bob["score"] == 0 and first["bob"]["score"] == 75
    assert json.loads((out / "students/bob/previous_results.json").read_text()) == first["bob"]
    assert (out / "students/bob/submission/mlp.py").read_text() == HANDOUT
    assert rows((out / "gradebook.csv").read_text())["bob"][1] == "0.0"
    assert not list((out / "students").glob(".*")), "no regrade folder is left behind"
    # --only regrades the named students (and nobody else); an unknown name is refused
    stamps = {s: (out / "students" / s / "results.json").stat().st_mtime_ns for s in ("alice", "bob", "carol")}
    proc = subprocess.run(command(klass, out) + ["--only", "carol"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "1 to grade" in proc.stdout, proc.stdout + proc.stderr
    after = {s: (out / "students" / s / "results.json").stat().st_mtime_ns for s in ("alice", "bob", "carol")}
    assert after["carol"] != stamps["carol"] and after["alice"] == stamps["alice"] and after["bob"] == stamps["bob"]
    refused = subprocess.run(command(klass, out) + ["--only", "zoe"], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and "no submission named zoe" in refused.stderr
    # --force regrades everyone
    proc = subprocess.run(command(klass, out) + ["--force"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "3 already graded, 3 to grade" in proc.stdout


def test_a_stopped_regrade_keeps_the_previous_grade(tmp_path):
    klass, out = tmp_path / "class", tmp_path / "graded"
    make_submission(klass / "frank")
    run(klass, out)
    before = (out / "students/frank/results.json").read_bytes()
    (klass / "frank" / "mlp.py").write_text((klass / "frank" / "mlp.py").read_text() + "\nimport time\ntime.sleep(30)\n")
    batch = subprocess.Popen(command(klass, out), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    deadline = time.monotonic() + 60
    while not (out / "students/.regrade-frank/submission/mlp.py").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(batch.pid, signal.SIGINT)
    stdout, _ = batch.communicate(timeout=30)
    assert batch.returncode == 130 and "interrupted: 1 graded" in stdout, stdout
    assert (out / "students/frank/results.json").read_bytes() == before
    assert not (out / "students/.regrade-frank").exists()
