"""Grade a whole class: one grading process (with its own sandboxed workers) per submission, N at a time.

Each student's ``results.json`` is written atomically by its grading process; the gradebook is rebuilt from the
results on disk after each student. Resuming the same command regrades only students without a results file,
and a student's seed derives from the batch seed and the student's name, so a resumed run gives exactly the
gradebook of an uninterrupted one. Grading processes die with the batch (PR_SET_PDEATHSIG), so a killed batch
leaves no process that could write a grade later.
"""
from __future__ import annotations

import csv
import ctypes
import hashlib
import io
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from autograder import results
from autograder.grade import load_results

ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1


def submissions(folder: Path) -> dict[str, Path]:
    """Student name -> upload (a folder, a .zip or a lone .py file), as an LMS bulk download lays them out."""
    found = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir() or entry.suffix.lower() in (".zip", ".py"):
            found[entry.stem if entry.is_file() else entry.name] = entry
    return found


def student_seed(base: int, student: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{base}:{student}".encode()).digest()[:4], "big") % 2**31


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def grade_one(student: str, upload: Path, out: Path, seed: int, extra_args: list[str]) -> dict:
    """Grade one student in a child process; returns its results (a grade even if the child failed)."""
    target = out / student
    command = [sys.executable, "-m", "autograder", "grade", str(upload), "--out", str(target), "--seed", str(seed),
               "--quiet", *extra_args]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, preexec_fn=_die_with_parent)
    graded = load_results(target)
    if graded is None:  # the grading process itself failed: still record a valid, explained grade
        message = f"grading failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
        graded = results.build([], message, 0.0, 0.0, {"grader_error": message})
        results.write_atomic(target / "results.json", graded)
    return graded


def gradebook_rows(graded: dict[str, dict | None]) -> tuple[list[str], list[list]]:
    """Header and rows of the gradebook, from each student's results (None: not graded yet)."""
    header, rows = ["student", "total"], []
    tests: list[str] = []
    for data in graded.values():
        for test in (data or {}).get("tests", []):
            if test["name"] not in tests:
                tests.append(test["name"])
    header += tests + ["test_accuracy", "status"]
    for student, data in graded.items():
        if data is None:
            rows.append([student, "", *[""] * len(tests), "", "not graded"])
            continue
        scores = {t["name"]: t["score"] for t in data.get("tests", [])}
        status = status_of(data)
        rows.append([student, data["score"], *[scores.get(t, "") for t in tests],
                     data.get("leaderboard", [{}])[0].get("value", ""), status])
    return header, rows


def needs_grading(data: dict | None) -> bool:
    """True unless ``data`` is the results of a grading that completed (grader errors are retried)."""
    return data is None or bool(data.get("extra_data", {}).get("grader_error"))


def status_of(data: dict) -> str:
    extra = data.get("extra_data", {})
    if extra.get("grader_error"):
        return "grader error"
    if any("timed out" in t.get("tags", []) for t in data.get("tests", [])):
        return "timed out"
    if any(kind == "banned" for kind, *_ in extra.get("static_findings", [])):
        return "banned import"
    return "graded"


def write_gradebook(out: Path, graded: dict[str, dict | None]) -> Path:
    header, rows = gradebook_rows(graded)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path = out / "gradebook.csv"
    results.write_text_atomic(path, buffer.getvalue())
    return path


def grade_all(folder: Path, out: Path, jobs: int = 1, base_seed: int = 0, extra_args: list[str] = ()) -> Path:
    """Grade every submission in ``folder`` not yet graded in ``out``; return the gradebook's path."""
    found = submissions(folder)
    out.mkdir(parents=True, exist_ok=True)
    graded = {s: load_results(out / s) for s in found}  # kept up to date below, read from disk once
    todo = {s: p for s, p in found.items() if needs_grading(graded[s])}
    print(f"{len(found)} submissions, {len(found) - len(todo)} already graded, {len(todo)} to grade with -j {jobs}",
          flush=True)
    start, done = time.perf_counter(), 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_one, s, p, out, student_seed(base_seed, s), list(extra_args)): s
                   for s, p in todo.items()}
        for future in as_completed(futures):
            student, done = futures[future], done + 1
            data = graded[student] = future.result()
            write_gradebook(out, graded)
            bar = "#" * int(20 * done / len(todo))
            print(f"[{bar:<20}] {done}/{len(todo)}  {student}: {data['score']:g} ({status_of(data)}), "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
    path = write_gradebook(out, graded)
    try:  # the class dashboard; a failure there never loses the gradebook
        from autograder.report import render_class

        print(f"wrote {render_class(out)}", flush=True)
    except Exception as error:  # noqa: BLE001
        print(f"warning: no class dashboard ({type(error).__name__}: {error})", file=sys.stderr)
    return path
