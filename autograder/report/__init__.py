"""HTML/Markdown reports of graded submissions, and the class dashboard.

``render_submission(out)`` writes ``out/report.html`` (self-contained) and ``out/report.md`` (for an LMS
comment) from ``out/results.json``; ``render_class(graded)`` renders every student's report and then
``graded/index.html``. Student-supplied content is sanitized and every page carries a strict CSP
(see ``common``); a failure for one student is noted and never stops the others or the dashboard.
``Renderer`` renders one submission's report from a child started ahead, at low priority, while it is graded.
"""
from __future__ import annotations

import subprocess
import sys
import traceback
from pathlib import Path

from autograder import ROOT
from autograder.classops.outputs import graded_folders
from autograder.classops.rubric import load_rubric
from autograder.grading import results
from autograder.report import dashboard
from autograder.report.similarity import DEFAULT_THRESHOLD
from autograder.report.submission import render
from autograder.untrusted import terminal


def render_submission(out: Path) -> Path:
    return render(Path(out))


def try_render_submission(out: Path) -> Path | None:
    """``render_submission``, but a failure only prints a warning (a report must never cost a grade)."""
    try:
        return render_submission(out)
    except Exception:  # noqa: BLE001
        print(terminal(f"warning: could not write the report in {out}:\n{traceback.format_exc(limit=3)}"),
              file=sys.stderr)
        return None


def preload() -> None:
    """Import what rendering needs beyond this package: matplotlib, for the curve (~0.4 s)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401


class Renderer:
    """``grade``'s report, rendered by a child (``report OUT --when-told``) that is started before the grading at
    the lowest CPU priority: it imports the report code and matplotlib on whatever core the grading leaves idle,
    then waits, and renders once ``finish`` tells it to. Should the child fail, ``finish`` renders here."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder", "report", str(self.out), "--when-told"],
                                     cwd=ROOT, stdin=subprocess.PIPE, text=True)

    def finish(self, render: bool = True, timeout: float = 120) -> None:
        """Have the report rendered (``render``), or let the child go without rendering."""
        try:
            self.proc.communicate("render\n" if render else "", timeout=timeout)
        except (subprocess.TimeoutExpired, OSError):
            self.proc.kill()
            self.proc.wait()
        if render and self.proc.returncode != 0:
            try_render_submission(self.out)


def render_class(graded: Path, threshold: float = DEFAULT_THRESHOLD, stale_only: bool = False) -> Path:
    """Render each student's report (only missing or out-of-date ones with ``stale_only``), then
    ``graded/index.html``; a student whose report fails is noted on the dashboard."""
    graded = Path(graded)
    try:
        rubric = load_rubric()
    except Exception:  # noqa: BLE001
        rubric = []
    problems: dict[str, str] = {}
    for student, folder in graded_folders(graded).items():
        if stale_only and results.up_to_date(folder / "report.html"):
            continue
        try:
            render(folder, rubric)
        except Exception as error:  # noqa: BLE001 - one broken folder must not hide the class
            problems[student] = f"no report ({type(error).__name__}: {error})"
            print(terminal(f"warning: no report for {student}: {traceback.format_exc(limit=2)}"), file=sys.stderr)
    return dashboard.render(graded, threshold, problems)
