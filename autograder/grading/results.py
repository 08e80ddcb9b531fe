"""``results.json``, the one record of a grading: built, written, read and interpreted here, nowhere else.

It is Gradescope's format (score, tests, output, leaderboard, visibility) with the kit's facts in
``extra_data``: ``checks`` (one entry per check: name, function, hidden, passed, timed_out, not_implemented,
message), ``seed``, ``isolation``, ``cgroup``, ``files_sha256``, ``intake_notes``, ``startup_files``,
``static_findings``, ``import_error``, ``worker_output``, ``training`` (verdict, history...), ``timed_out``,
``grader_error``, ``lms``. The gradebook, the dashboard, the reports and the exports read these facts through
the functions below, never the prose of the outputs.

Statuses (``classify``), first match wins:

================ ======================================================================================
grader error     ``grader_error``: the kit failed (rerun grade-all to retry)
timed out        ``timed_out`` (the whole grading hit its budget), a test tagged "timed out", or the
                 training verdict "timed out"
banned import    a ``banned`` static finding (nothing ran)
import error     nothing of mlp.py could run: a blocking static finding (syntax, encoding, size),
                 ``import_error``, or every test zeroed for one same reason (intake refused the upload)
not attempted    every graded function is the untouched stub (each of its checks failed with the stub's
                 ``NotImplementedError``)
diverged         the training verdict "diverged" (inf/nan weights)
audit failed     the training verdict "audit failed" (state changed outside the tested update)
graded           anything else (the reason then lists unimplemented functions or a training crash, if any)
================ ======================================================================================
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder import ROOT
from autograder.atomic import write_text_atomic
from autograder.grading.scoring import FUNCTIONS, TRAINING_TEST, CheckOutcome, TestResult
from autograder.grading.static_checks import BLOCKING_KINDS

NAME = "results.json"
MAX_OUTPUT_CHARS = 8000  # per output in results.json; reports show outputs whole
REPORT_TEMPLATE = ROOT / "solution" / "REPORT.md"
STATUSES = ("graded", "not attempted", "import error", "banned import", "timed out", "diverged", "audit failed",
            "grader error")
#: Statuses where nothing of the student's code was graded: one reason stands for every test.
NOTHING_RAN = ("grader error", "banned import", "import error")
MAX_REASON = 300
PARAMETERS = re.compile(r"\[.*\]$")


# ---------------------------------------------------------------- build, write, read
def build(tests: list[TestResult], output: str, execution_time: float, accuracy: float, extra: dict,
          checks: list[CheckOutcome] = ()) -> dict:
    """A results dict in Gradescope's format (score is the sum of the tests' scores); ``checks`` are stored as
    facts in ``extra_data.checks``."""
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
        "extra_data": extra | {"checks": [asdict(c) | {"message": c.message[:MAX_OUTPUT_CHARS]} for c in checks]},
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


def write(folder: Path, data: dict) -> Path:
    """Write ``folder/results.json`` as strict JSON (no NaN), atomically, readable by its owner only."""
    path = Path(folder) / NAME
    write_text_atomic(path, json.dumps(finite(data), indent=2, allow_nan=False) + "\n", mode=0o600)
    return path


def up_to_date(product: Path) -> bool:
    """True when ``product`` (a report or curve made from the results.json beside it) exists and is not older than
    that results.json."""
    try:
        return product.stat().st_mtime_ns >= (product.parent / NAME).stat().st_mtime_ns
    except OSError:
        return False


def load(folder: Path) -> dict | None:
    """The results in ``folder`` (None when there are none, or they are not a JSON object)."""
    try:
        data = json.loads((Path(folder) / NAME).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def summary(data: dict) -> str:
    """A short, readable summary for a terminal."""
    extra = data.get("extra_data", {})
    lines = [f"score {data['score']:g}/{max_score(data):g}   test accuracy {data['leaderboard'][0]['value']:.2f}%   "
             f"isolation {extra.get('isolation', '?')}, cgroup {extra.get('cgroup', 'none')}   "
             f"{data['execution_time']:.1f} s"]
    for test in data["tests"]:
        mark = "ok  " if test["status"] == "passed" else "FAIL"
        lines.append(f"  {mark} {test['name']:<34} {test['score']:>6g}/{test['max_score']:g}")
    if data["output"]:
        lines.append(data["output"])
    return "\n".join(lines)


def malformed(data: dict) -> str | None:
    """Why ``data`` is not results.json as the grader writes it (None: it is); readers show such a file as a
    problem rather than guess."""
    if not isinstance(data.get("score"), (int, float)):
        return "no numeric score"
    tests = data.get("tests")
    number = (int, float)
    if not isinstance(tests, list) or not all(
            isinstance(t, dict) and isinstance(t.get("name"), str) and isinstance(t.get("score"), number)
            and isinstance(t.get("max_score"), number) for t in tests):
        return "its tests are not Gradescope tests (name, score, max_score)"
    return None


# ---------------------------------------------------------------- facts
def extra(data: dict) -> dict:
    value = data.get("extra_data")
    return value if isinstance(value, dict) else {}


def training(data: dict) -> dict:
    value = extra(data).get("training")
    return value if isinstance(value, dict) else {}


def checks(data: dict) -> list[CheckOutcome]:
    """The per-check facts (empty for results of a kit that did not record them)."""
    found = []
    for entry in extra(data).get("checks") or []:
        try:
            found.append(CheckOutcome(**entry))
        except TypeError:
            continue
    return found


def max_score(data: dict) -> float:
    return round(sum(t.get("max_score", 0) for t in data.get("tests", [])), 2) or 100


def accuracy(data: dict) -> float | None:
    """Test accuracy in percent, or None when no training run happened."""
    if "training" not in extra(data) and not any(t.get("name") == TRAINING_TEST for t in data.get("tests", [])):
        return None
    try:
        return float(data["leaderboard"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def lms_facts(data: dict) -> dict:
    value = extra(data).get("lms")
    return value if isinstance(value, dict) else {}


def needs_grading(data: dict | None) -> bool:
    """True unless ``data`` is the results of a grading that completed (grader errors are retried)."""
    return data is None or bool(extra(data).get("grader_error"))


def failed_checks(data: dict) -> list[tuple[str, str]]:
    """(check, first message line) of each failed check, parameters dropped; unimplemented functions (the
    stub's error) are left out; a failed training run is one more entry."""
    found = []
    for c in checks(data):
        if c.passed or c.not_implemented:
            continue
        label = f"{c.function} ({'hidden' if c.hidden else 'public'}): {PARAMETERS.sub('', c.name)}"
        found.append((label + (" (timed out)" if c.timed_out else ""), _first_line(c.message)))
    found += [(t["name"], _first_line(t.get("output"))) for t in data.get("tests", [])
              if t.get("name") == TRAINING_TEST and t.get("status") != "passed"]
    return found


# ---------------------------------------------------------------- interpretation
@dataclass(frozen=True)
class Status:
    name: str  # one of STATUSES
    reason: str  # one line for a TA ("" when there is nothing to add)


def _lines(text) -> list[str]:
    return [line.strip() for line in str(text or "").strip().splitlines() if line.strip()]


def _first_line(text) -> str:
    lines = _lines(text)
    return lines[0][:MAX_REASON] if lines else ""


def _last_line(text) -> str:
    lines = _lines(text)
    return lines[-1][:MAX_REASON] if lines else ""


def one_reason(data: dict) -> str | None:
    """The reason when the grader zeroed every test for one same reason (nothing of the code ran), else None."""
    tests = data.get("tests", [])
    outputs = {t.get("output", "") for t in tests}
    if len(tests) > 1 and len(outputs) == 1 and all(not t.get("score") for t in tests):
        return outputs.pop()
    return None


def stub_functions(data: dict) -> list[str]:
    """Graded functions left as the handout's stub: each of their checks failed as not implemented."""
    found = checks(data)
    return [f for f in FUNCTIONS if (own := [c for c in found if c.function == f])
            and all(c.not_implemented and not c.passed for c in own)]


def graded_functions(data: dict) -> list[str]:
    """The functions ``data`` has checks of: the core five, and the optional extension when scoring.toml grades it."""
    found = {c.function for c in checks(data)}
    return [f for f in FUNCTIONS if f in found]


def _timed_out(data: dict) -> str | None:
    if extra(data).get("timed_out"):
        return _first_line(extra(data)["timed_out"])
    late = [t["name"] for t in data.get("tests", []) if "timed out" in t.get("tags", [])]
    if late:
        return "timed out: " + ", ".join(late)
    if training(data).get("verdict") == "timed out":
        return "the training run timed out"
    return None


def _training_line(data: dict) -> str:
    return next((_first_line(t.get("output")) for t in data.get("tests", []) if t.get("name") == TRAINING_TEST), "")


def _findings(data: dict, kinds) -> list[list]:
    return [f for f in extra(data).get("static_findings", []) if isinstance(f, list) and f and f[0] in kinds]


def classify(data: dict) -> Status:
    """The status of one student's results (see the module's table)."""
    facts, verdict = extra(data), training(data).get("verdict")
    if facts.get("grader_error"):
        return Status("grader error", _last_line(facts["grader_error"]))
    timed_out = _timed_out(data)
    if timed_out:
        return Status("timed out", timed_out)
    banned = _findings(data, ("banned",))
    if banned:
        return Status("banned import", _first_line(banned[0][2] if len(banned[0]) > 2 else "banned import"))
    blocking = _findings(data, BLOCKING_KINDS)
    if blocking:
        line, message = (blocking[0] + [None, ""])[1:3]
        return Status("import error", _first_line((f"line {line}: " if isinstance(line, int) else "") + str(message)))
    reason = facts.get("import_error") or one_reason(data)
    if reason:
        return Status("import error", _first_line(reason))
    stubs = stub_functions(data)
    if stubs and len(stubs) == len(graded_functions(data)):
        return Status("not attempted", "every function is the untouched stub")
    if verdict in ("diverged", "audit failed"):
        return Status(verdict, _training_line(data))
    notes = [f"not implemented: {', '.join(stubs)}"] if stubs else []
    if verdict == "crashed":
        notes.append(_training_line(data))
    return Status("graded", "; ".join(notes)[:MAX_REASON])


def banner(data: dict) -> str | None:
    """The one reason every test scored 0 when nothing of the code could be graded (shown once, not per test)."""
    if classify(data).name not in NOTHING_RAN:
        return None
    return one_reason(data) or str(extra(data).get("import_error") or "") or None


def writeup_problem(data: dict) -> str | None:
    """"no REPORT.md" or "REPORT.md is the untouched template", from the staged files' SHA-256 (None: fine, or
    results of an older kit that recorded no hashes)."""
    hashes = extra(data).get("files_sha256")
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


def flags(data: dict) -> list[str]:
    """Reasons for a TA to look at a submission more closely (similarity, computed class-wide, aside)."""
    facts, found = extra(data), []
    if facts.get("grader_error"):
        found.append("grader error: " + _last_line(facts["grader_error"])[:200])
    banned = _findings(data, ("banned",))
    if banned:
        found.append("banned import: " + "; ".join(str(f[2] if len(f) > 2 else f) for f in banned)[:300])
    if any("timed out" in t.get("tags", []) for t in data.get("tests", [])):
        found.append("timed out")
    if training(data).get("verdict") == "audit failed":
        found.append("training audit failed (state changed outside the tested update)")
    suspicious = _findings(data, ("suspicious",))
    if suspicious:
        found.append("suspicious code: " + "; ".join(
            (f"line {f[1]}: " if isinstance(f[1], int) else "") + str(f[2] if len(f) > 2 else "")
            for f in suspicious)[:400])
    startup = [str(name) for name in facts.get("startup_files") or []]
    if startup:
        found.append("upload held start-up files (never copied): " + ", ".join(startup)[:300])
    writeup = writeup_problem(data)
    if writeup:
        found.append(writeup)
    if lms_facts(data).get("late"):
        found.append("late submission")
    return found
