"""`python -m autograder grade-all` on a small class, for real: a full run, an idempotent rerun, and a run killed
with SIGKILL mid-way then resumed, which must give exactly the gradebook of an uninterrupted run and leave no
grading process or sandboxed worker behind."""
from __future__ import annotations

import os
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
    lines = [line.split(",") for line in gradebook.strip().splitlines()]
    return {line[0]: line for line in lines[1:]}


def test_full_run(work, uninterrupted):
    book = rows(uninterrupted)
    header = uninterrupted.splitlines()[0].split(",")
    assert list(book) == list(STUDENTS)
    assert header[:2] == ["student", "total"] and header[-2:] == ["test_accuracy", "status"] and len(header) == 14
    total = {s: float(r[1]) for s, r in book.items()}
    assert total["alice"] == total["bob"] == total["erin"] == total["frank"] == 75
    assert 0 < total["carol"] < 75
    assert total["dave"] == 0
    assert all(r[-1] == "graded" for r in book.values())
    for student in STUDENTS:
        assert (work / "clean" / student / "results.json").is_file()


def test_rerun_grades_nothing(work, uninterrupted):
    stamps = {s: (work / "clean" / s / "results.json").stat().st_mtime_ns for s in STUDENTS}
    proc = run(work / "class", work / "clean")
    assert f"{len(STUDENTS)} submissions, {len(STUDENTS)} already graded, 0 to grade" in proc.stdout
    assert (work / "clean/gradebook.csv").read_text() == uninterrupted
    assert stamps == {s: (work / "clean" / s / "results.json").stat().st_mtime_ns for s in STUDENTS}


def test_killed_run_resumes_to_the_same_gradebook(work, uninterrupted):
    out = work / "killed"
    batch = subprocess.Popen(command(work / "class", out), cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:  # kill once a student is graded while another is being graded
            done = [s for s in STUDENTS if (out / s / "results.json").exists()]
            started = [s for s in STUDENTS if (out / s).is_dir() and s not in done]
            if (done and started) or batch.poll() is not None:
                break
            time.sleep(0.02)
        os.killpg(batch.pid, signal.SIGKILL)
    finally:
        batch.wait(10)
    assert 1 <= len(done) < len(STUDENTS), f"could not kill the batch mid-way: graded {done}"
    in_flight = [s for s in STUDENTS if (out / s).is_dir() and s not in done]
    assert in_flight, "no grading was in flight when the batch was killed"

    # nothing of the killed batch survives: no grading process, no sandboxed worker, no late results.json
    deadline = time.monotonic() + 5
    while (alive := processes_mentioning(str(out))) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive, f"processes of the killed batch survived: {alive}"
    graded_after_kill = sorted(s for s in STUDENTS if (out / s / "results.json").exists())
    time.sleep(1)
    assert graded_after_kill == sorted(s for s in STUDENTS if (out / s / "results.json").exists())

    proc = run(work / "class", out)
    already = len(graded_after_kill)
    assert (f"{len(STUDENTS)} submissions, {already} already graded, {len(STUDENTS) - already} to grade"
            in proc.stdout), proc.stdout
    assert (out / "gradebook.csv").read_text() == uninterrupted
    assert not processes_mentioning(str(out))
