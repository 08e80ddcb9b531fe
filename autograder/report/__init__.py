"""HTML/Markdown reports of graded submissions, and the class dashboard.

``render_submission(out)`` writes ``out/report.html`` (self-contained) and ``out/report.md`` (for an LMS
comment) from ``out/results.json``; ``render_class(graded)`` renders every student's report and then
``graded/index.html``. Student-supplied content is sanitized and every page carries a strict CSP
(see ``common``).
"""
from __future__ import annotations

import sys
import traceback
from pathlib import Path

from autograder.report.similarity import DEFAULT_THRESHOLD


def render_submission(out: Path) -> Path:
    from autograder.report.submission import render

    return render(Path(out))


def try_render_submission(out: Path) -> Path | None:
    """``render_submission``, but a failure only prints a warning (a report must never cost a grade)."""
    try:
        return render_submission(out)
    except Exception:  # noqa: BLE001
        print(f"warning: could not write the report in {out}:\n{traceback.format_exc(limit=3)}", file=sys.stderr)
        return None


def render_class(graded: Path, threshold: float = DEFAULT_THRESHOLD) -> Path:
    """Render every ``graded/<student>/report.html`` (where results.json exists), then ``graded/index.html``."""
    from autograder.report import dashboard
    from autograder.report.submission import render
    from autograder.gradebook import load_rubric

    graded = Path(graded)
    try:
        rubric = load_rubric()
    except Exception:  # noqa: BLE001
        rubric = []
    for folder in sorted(graded.iterdir()):
        if folder.is_dir() and (folder / "results.json").is_file():
            try:
                render(folder, rubric)
            except Exception:  # noqa: BLE001 - one broken folder must not hide the class
                print(f"warning: no report for {folder.name}: {traceback.format_exc(limit=2)}", file=sys.stderr)
    return dashboard.render(graded, threshold)
