"""Grade a whole class: one grading process (with its own sandboxed workers) per submission, N at a time.

Output layout: ``classops.outputs`` (``<out>/students/<name>/``; ``<name>`` is the upload's name when it is
printable, ``untrusted.safe_name`` otherwise).

Each student's ``results.json`` is written atomically by its grading process; the gradebook is rebuilt after
each student. Resuming the same command regrades only students without a results file, and a student's seed
derives from the batch seed and the student's name, so a resumed run gives exactly the gradebook of an
uninterrupted one. Each grading has a wall-clock budget (``scoring.toml [limits] grading_seconds``): past it,
its process group is killed and the student gets a valid "timed out" grade. Grading processes die with the
batch (``grade --die-with-parent``: PR_SET_PDEATHSIG, set by the child itself, since Python code run between fork
and exec, ``preexec_fn``, can deadlock in a threaded parent), so a killed batch leaves no process that could write
a grade later. SIGINT (Ctrl-C)
and SIGTERM stop the batch within seconds: every grading in flight is killed (its student stays ungraded),
the gradebook is written from the results on disk, and ``Interrupted`` is raised.

The gradings write results.json only; the reports (report.html/.md, curves.png) of every student graded are
rendered at the end in one pass, in this process (matplotlib is imported once per class, not once per student).
After an interruption, the rerun (or ``report``) renders them.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from autograder import ROOT
from autograder.classops import lms
from autograder.classops.gradebook import write_gradebook
from autograder.classops.outputs import exchange, student_dir
from autograder.classops.shard import share
from autograder.grading import intake, results, scoring
from autograder.report import render_class
from autograder.untrusted import terminal

INTAKE = ".intake"  # loose LMS files of one student, assembled into one folder
STDERR_CHARS = 500


def submissions(folder: Path, out: Path | None = None) -> dict[str, Path]:
    """Student name -> upload (a folder, a .zip or a lone .py file), as an LMS bulk download lays them out
    (``lms.class_uploads``; loose files of one student are assembled under ``<out>/.intake/``). Names are
    printable, UTF-8 and unique."""
    return {s: u.path for s, u in uploads(folder, out).items()}


def uploads(folder: Path, out: Path | None = None) -> dict[str, lms.Upload]:
    """``submissions`` with what the LMS's names say (id, lateness, earlier submissions)."""
    out = Path(out) if out is not None else Path(folder).with_name(Path(folder).name + "-graded")
    return lms.class_uploads(folder, out / INTAKE)


def adopt_legacy_layout(out: Path, students: list[str]) -> list[str]:
    """Move ``<out>/<student>/`` results of an older kit (students at the top) into ``<out>/students/``, so a
    resumed class keeps its grades; return the names moved."""
    moved = []
    for student in students:
        old, new = Path(out) / student, student_dir(out, student)
        if old.is_dir() and (old / "results.json").is_file() and not new.exists():
            new.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            old.rename(new)
            moved.append(student)
    return moved


def student_seed(base: int, student: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{base}:".encode() + os.fsencode(student)).digest()[:4], "big") % 2**31


def grading_budget() -> float:
    """Seconds one whole grading may take, from scoring.toml."""
    return float(scoring.load().limits.grading_seconds)


def grace(budget: float) -> float:
    """Extra seconds before the batch kills a grading, so a grader that stops itself at ``budget`` can still
    write its own, more detailed, results."""
    return max(1.0, min(10.0, budget / 10))


def _stamp(path: Path) -> tuple[int, int] | None:
    """Identity of a file version (atomic writes replace the inode)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def timed_out_results(budget: float, seconds: float, seed: int) -> dict:
    """A valid zero grade for a grading stopped at its wall-clock budget."""
    reason = (f"The grading took longer than its {budget:g} s budget and was stopped, so nothing could be "
              "scored (a function that is very slow or never returns?).")
    tests = scoring.zero_results(reason, scoring.load())
    for test in tests:
        test.tags.append("timed out")
    return results.build(tests, reason, seconds, 0.0,
                         {"seed": seed, "isolation": "unknown (grading stopped)", "timed_out": reason})


class Interrupted(Exception):
    """grade-all was stopped by a signal; ``graded`` students of the class have a grade (gradebook written)."""

    def __init__(self, graded: int) -> None:
        super().__init__(f"interrupted: {graded} graded, rerun the same command to resume")
        self.graded = graded


class Children:
    """The grading processes in flight, so that one signal stops them all and starts no more."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self.stopped = threading.Event()

    def start(self, command: list[str]) -> subprocess.Popen | None:
        """Start ``command`` in its own process group (None once stopped)."""
        with self._lock:
            if self.stopped.is_set():
                return None
            proc = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True)
            self._running.add(proc)
            return proc

    def finished(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._running.discard(proc)

    def stop(self, *_signal) -> None:
        """Kill every grading in flight (usable as a signal handler: the lock is only held in pool threads)."""
        self.stopped.set()
        with self._lock:
            for proc in self._running:
                kill_group(proc)


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def grade_one(student: str, upload: Path | lms.Upload, out: Path, seed: int, extra_args: list[str],
              budget: float | None = None, children: Children | None = None) -> dict | None:
    """Grade one student in a child process, within ``budget`` seconds (+ ``grace``); returns its results (a
    grade even if the child failed or was stopped at its budget), or None when ``children`` was stopped first."""
    budget = grading_budget() if budget is None else budget
    children = children or Children()
    final = student_dir(out, student)
    regrade = (final / "results.json").is_file()  # the previous grading stays in place until this one completes
    target = final.with_name(f".regrade-{student}") if regrade else final
    if regrade:
        shutil.rmtree(target, ignore_errors=True)
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    before = _stamp(target / "results.json")
    facts = upload.facts() if isinstance(upload, lms.Upload) and upload.lms else None
    upload = upload.path if isinstance(upload, lms.Upload) else upload
    command = [sys.executable, "-m", "autograder", "grade", str(upload), "--out", str(target), "--seed", str(seed),
               "--quiet", "--no-report", "--die-with-parent", str(os.getpid()),
               *(["--lms-facts", json.dumps(facts)] if facts else []), *extra_args]
    start = time.monotonic()
    proc = children.start(command)
    if proc is None:
        return None
    try:
        _, stderr = proc.communicate(timeout=budget + grace(budget))
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_group(proc)
        stderr = ""
        proc.wait()
    finally:
        children.finished(proc)
    graded = results.load(target) if _stamp(target / "results.json") != before else None
    if graded is None and children.stopped.is_set():  # killed by the batch's stop: the rerun grades this student
        if regrade:
            shutil.rmtree(target, ignore_errors=True)
        return None
    if graded is None and timed_out:
        graded = timed_out_results(budget, time.monotonic() - start, seed)
        results.write(target, graded)
    elif graded is None:  # the grading process itself failed: still record a valid, explained grade
        message = f"grading failed (exit {proc.returncode}): {(stderr or '').strip()[-STDERR_CHARS:]}"
        graded = results.build([], message, 0.0, 0.0, {"grader_error": message})
        results.write(target, graded)
    return _promote(target, final, graded) if regrade else graded


def _promote(new: Path, final: Path, graded: dict) -> dict:
    """Put a completed regrade in place of the previous grading (whose results.json is kept beside it as
    previous_results.json), atomically; a grader error never replaces a grade. Returns the results in force."""
    previous = results.load(final)
    if graded.get("extra_data", {}).get("grader_error") and not results.needs_grading(previous):
        shutil.rmtree(new, ignore_errors=True)
        return previous
    shutil.copyfile(final / "results.json", new / "previous_results.json")
    exchange(new, final)
    shutil.rmtree(new, ignore_errors=True)  # now the previous grading
    return graded


def _on_signals(handler) -> dict:
    """Install ``handler`` for SIGINT and SIGTERM (main thread only); return the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}


def upload_changed(data: dict, upload: Path) -> bool:
    """True when the files ``upload`` would stage now differ from those ``data`` was graded on (results of an
    older kit, without ``files_sha256``, count as unchanged)."""
    recorded = data.get("extra_data", {}).get("files_sha256")
    return recorded is not None and recorded != intake.staged_sha256(upload)


def plan(found: dict[str, Path], graded: dict[str, dict | None], force: bool = False,
         only: list[str] | None = None) -> dict[str, str]:
    """Student -> why they are graded now: "new", "grader error", "changed" (their upload changed since it was
    graded) or "forced" (``force``, or named in ``only``, which limits grading to those students)."""
    todo = {}
    for student, upload in found.items():
        if only is not None and student not in only:
            continue
        data = graded[student]
        if data is None:
            todo[student] = "new"
        elif results.needs_grading(data):
            todo[student] = "grader error"
        elif force or only is not None:
            todo[student] = "forced"
        elif upload_changed(data, upload):
            todo[student] = "changed"
    return todo


def grade_all(folder: Path, out: Path, jobs: int = 1, base_seed: int = 0, extra_args: list[str] = (),
              budget: float | None = None, force: bool = False, only: list[str] | None = None,
              shard: tuple[int, int] | None = None) -> tuple[Path, dict[str, dict | None]]:
    """Grade every submission in ``folder`` not yet graded in ``out`` (or whose upload changed; every one with
    ``force``; only the students named in ``only``, regraded); return the gradebook's path and each student's
    results. ``shard`` (index, count) limits the class to that share (``autograder.classops.shard``). Raises
    ``Interrupted`` (after writing the gradebook) when SIGINT or SIGTERM stopped it."""
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = uploads(folder, out)
    found = {s: found[s] for s in share(list(found), shard)}
    budget = grading_budget() if budget is None else budget
    adopt_legacy_layout(out, list(found))
    graded = {s: results.load(student_dir(out, s)) for s in found}  # kept up to date below, read from disk once
    reasons = plan({s: u.path for s, u in found.items()}, graded, force, only)
    todo = {s: found[s] for s in reasons}
    changed = [s for s, why in reasons.items() if why == "changed"]
    print((f"shard {shard[0]}/{shard[1]}: " if shard else "") + f"{len(found)} submissions, {sum(d is not None and not results.needs_grading(d) for d in graded.values())} already "
          f"graded, {len(todo)} to grade with -j {jobs}"
          + (terminal(f"; regrading {len(changed)} changed upload(s): {', '.join(changed)}") if changed else ""),
          flush=True)
    start, done = time.perf_counter(), 0
    children = Children()
    previous = _on_signals(children.stop)
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(grade_one, s, p, out, student_seed(base_seed, s), list(extra_args), budget,
                                   children): s for s, p in todo.items()}
            for future in as_completed(futures):
                student, data = futures[future], future.result()
                if data is None:  # stopped before it finished
                    continue
                graded[student], done = data, done + 1
                write_gradebook(out, graded)
                bar = "#" * int(20 * done / len(todo))
                print(terminal(f"[{bar:<20}] {done}/{len(todo)}  {student}: {data['score']:g} ({results.classify(data).name}), "
                               f"{time.perf_counter() - start:.0f} s"), flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if children.stopped.is_set():
        graded = {s: results.load(student_dir(out, s)) for s in found}  # what is on disk, nothing else
        write_gradebook(out, graded)
        raise Interrupted(sum(not results.needs_grading(d) for d in graded.values()))
    path = write_gradebook(out, graded)
    try:  # the class dashboard; a failure there never loses the gradebook
        print(terminal(f"wrote {render_class(out, stale_only=True)}"), flush=True)
    except Exception as error:  # noqa: BLE001
        print(terminal(f"warning: no class dashboard ({type(error).__name__}: {error})"), file=sys.stderr)
    return path, graded
