"""What a TA should do about a graded submission: its status and the reason, derived from ``results.json`` facts.

Statuses, first match wins:

================ ======================================================================================
grader error     ``extra_data.grader_error``: the kit failed (rerun grade-all to retry)
timed out        ``extra_data.timed_out`` (the whole grading hit its budget), a test tagged "timed out", or
                 ``extra_data.training.verdict`` "timed out"
banned import    a ``banned`` static finding (nothing ran)
import error     nothing of mlp.py could run: a blocking static finding (syntax, encoding, size),
                 ``extra_data.import_error``, or every test zeroed for one same reason (intake refused the
                 upload, a crash at import)
not attempted    every graded function is the untouched stub (its checks fail only with the stub's
                 ``NotImplementedError``, "<function> is not implemented yet")
diverged         ``extra_data.training.verdict`` "diverged" (inf/nan weights)
audit failed     ``extra_data.training.verdict`` "audit failed" (state changed outside the tested update)
graded           anything else (the reason then lists unimplemented functions or a training crash, if any)
================ ======================================================================================
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from autograder.grading.scoring import GRADED
from autograder.grading.static_checks import BLOCKING_KINDS

from autograder import ROOT
REPORT_TEMPLATE = ROOT / "solution" / "REPORT.md"
STUB_SIGN = "is not implemented yet"
STATUSES = ("graded", "not attempted", "import error", "banned import", "timed out", "diverged", "audit failed",
            "grader error")
#: Statuses where nothing of the student's code was graded: one reason stands for every test.
NOTHING_RAN = ("grader error", "banned import", "import error")
FAILED_LINE = re.compile(r"^- (?:FAILED|TIMED OUT) [^:\n]+?: (.*)$", re.MULTILINE)
MAX_REASON = 300


@dataclass(frozen=True)
class Status:
    name: str  # one of STATUSES
    reason: str  # one line for a TA ("" when there is nothing to add)


def _first_line(text) -> str:
    lines = [line.strip() for line in str(text or "").strip().splitlines() if line.strip()]
    return lines[0][:MAX_REASON] if lines else ""


def _last_line(text) -> str:
    lines = [line.strip() for line in str(text or "").strip().splitlines() if line.strip()]
    return lines[-1][:MAX_REASON] if lines else ""


def one_reason(data: dict) -> str | None:
    """The reason when the grader zeroed every test for one same reason (nothing of the code ran), else None."""
    tests = data.get("tests", [])
    outputs = {t.get("output", "") for t in tests}
    if len(tests) > 1 and len(outputs) == 1 and all(not t.get("score") for t in tests):
        return outputs.pop()
    return None


def stub_functions(data: dict) -> list[str]:
    """Graded functions left as the handout's stub: no check passed and every failure is the stub's message."""
    stubs = []
    for function in GRADED:
        tests = [t for t in data.get("tests", []) if t.get("name", "").startswith(f"{function} (")]
        messages = [m for t in tests for m in FAILED_LINE.findall(t.get("output", ""))]
        if tests and messages and all(not t.get("score") for t in tests) and all(STUB_SIGN in m for m in messages):
            stubs.append(function)
    return stubs


def _timed_out(data: dict, training: dict) -> str | None:
    extra = data.get("extra_data", {})
    if extra.get("timed_out"):
        return _first_line(extra["timed_out"])
    late = [t["name"] for t in data.get("tests", []) if "timed out" in t.get("tags", [])]
    if late:
        return "timed out: " + ", ".join(late)
    if training.get("verdict") == "timed out":
        return "the training run timed out"
    return None


def _training_line(data: dict) -> str:
    return next((_first_line(t.get("output")) for t in data.get("tests", []) if t.get("name", "").startswith("training")),
                "")


def classify(data: dict) -> Status:
    """The status of one student's results (see the module's table)."""
    extra = data.get("extra_data", {}) or {}
    training = extra.get("training") if isinstance(extra.get("training"), dict) else {}
    if extra.get("grader_error"):
        return Status("grader error", _last_line(extra["grader_error"]))
    timed_out = _timed_out(data, training)
    if timed_out:
        return Status("timed out", timed_out)
    banned = [f for f in extra.get("static_findings", []) if f and f[0] == "banned"]
    if banned:
        return Status("banned import", _first_line(banned[0][2] if len(banned[0]) > 2 else "banned import"))
    blocking = [f for f in extra.get("static_findings", []) if f and f[0] in BLOCKING_KINDS]
    if blocking:
        line, message = (blocking[0] + [None, ""])[1:3]
        return Status("import error", _first_line((f"line {line}: " if isinstance(line, int) else "") + str(message)))
    reason = extra.get("import_error") or one_reason(data)
    if reason:
        return Status("import error", _first_line(reason))
    stubs = stub_functions(data)
    if len(stubs) == len(GRADED):
        return Status("not attempted", "every function is the untouched stub")
    if training.get("verdict") in ("diverged", "audit failed"):
        return Status(training["verdict"], _training_line(data))
    notes = [f"not implemented: {', '.join(stubs)}"] if stubs else []
    if training.get("verdict") == "crashed":
        notes.append(_training_line(data))
    return Status("graded", "; ".join(notes)[:MAX_REASON])


def writeup_problem(data: dict) -> str | None:
    """"no REPORT.md" or "REPORT.md is the untouched template", from the staged files' SHA-256 (None: fine, or
    results of an older kit that recorded no hashes)."""
    hashes = data.get("extra_data", {}).get("files_sha256")
    if not isinstance(hashes, dict):
        return None
    if "REPORT.md" not in hashes:
        return "no REPORT.md"
    return "REPORT.md is the untouched template" if hashes["REPORT.md"] in _template_hashes() else None


def _template_hashes() -> set[str]:
    try:
        text = REPORT_TEMPLATE.read_bytes()
    except OSError:
        return set()
    lf = text.replace(b"\r\n", b"\n")
    return {hashlib.sha256(v).hexdigest() for v in (text, lf, lf.replace(b"\n", b"\r\n"))}
