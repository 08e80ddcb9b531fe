"""Gradescope's ``results.json``: build it, write it atomically, summarise it for a terminal."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

from autograder.grading.scoring import TestResult

MAX_OUTPUT_CHARS = 8000


def build(tests: list[TestResult], output: str, execution_time: float, accuracy: float, extra: dict) -> dict:
    """A results dict in Gradescope's format (score is the sum of the tests' scores)."""
    return {
        "score": round(sum(t.score for t in tests), 2),
        "execution_time": round(execution_time, 2),
        "output": output[:MAX_OUTPUT_CHARS],
        "output_format": "text",  # outputs quote student-derived text (exceptions, file names): never Markdown
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [t.to_json() | {"output": t.output[:MAX_OUTPUT_CHARS]} for t in tests],
        "leaderboard": [{"name": "Test accuracy", "value": round(100 * accuracy, 2)}],
        "extra_data": extra,
    }


def finite(value):
    """``value`` with every nan or infinite float replaced by None (JSON has no NaN; Gradescope rejects it)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def write_text_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """Write ``text`` so readers see the old file or the new one, never half of one (also with concurrent writers).

    ``mode`` defaults to 0600 in a folder made 0700: grades, reports and gradebooks are staff outputs that no
    sandboxed worker (another student's code) may read."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: dict) -> None:
    """Write a results dict as strict JSON (no NaN), atomically, readable by its owner only."""
    write_text_atomic(path, json.dumps(finite(data), indent=2, allow_nan=False) + "\n", mode=0o600)


def summary(results: dict) -> str:
    """A short, readable summary of a results dict."""
    extra = results.get("extra_data", {})
    max_score = sum(t["max_score"] for t in results["tests"]) or 100
    lines = [f"score {results['score']:g}/{max_score:g}   test accuracy {results['leaderboard'][0]['value']:.2f}%   "
             f"isolation {extra.get('isolation', '?')}, cgroup {extra.get('cgroup', 'none')}   "
             f"{results['execution_time']:.1f} s"]
    for test in results["tests"]:
        mark = "ok  " if test["status"] == "passed" else "FAIL"
        lines.append(f"  {mark} {test['name']:<34} {test['score']:>6g}/{test['max_score']:g}")
    if results["output"]:
        lines.append(results["output"])
    return "\n".join(lines)
