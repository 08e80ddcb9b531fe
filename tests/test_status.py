"""Statuses a TA can act on (``autograder.grading.results``), derived from results.json facts, and where they show: the
gradebook, the dashboard (status with reason, filters, the "failed most often" table without stubs), the
report's one banner when nothing ran, grades.csv's TA comment and the missing/template REPORT.md flag.
Results are built in-process with the grader's own scoring functions: no sandbox, a few milliseconds each."""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from autograder.grading import results, scoring
from autograder.__main__ import main as cli
from autograder.classops.gradebook import gradebook_rows
from autograder.builders.generate import stub_message
from autograder.report import dashboard, render_submission
from autograder.grading.scoring import GRADED, CheckOutcome
from autograder.grading.scoring import TestResult as Result
from autograder.grading.results import REPORT_TEMPLATE, classify, writeup_problem

SC = scoring.load()
TEMPLATE_SHA = hashlib.sha256(REPORT_TEMPLATE.read_bytes()).hexdigest()


def outcomes(stubs: tuple[str, ...] = (), failing: dict[str, str] | None = None,
             timed_out: str = "") -> list[CheckOutcome]:
    """Three public and two hidden checks per function: stubs fail with the stub's message, ``failing``
    functions fail one check with their message, ``timed_out`` times out one check."""
    found = []
    for function in GRADED:
        for hidden in (False, True):
            for n in range(3 if not hidden else 2):
                name = f"test_{function}_{n}"
                if function in stubs:
                    message = ("NotImplementedError: " if hidden else "") + stub_message(function)
                    found.append(CheckOutcome(name, function, hidden, False, message, not_implemented=True))
                elif function == timed_out and n == 0:
                    found.append(CheckOutcome(name, function, hidden, False, "timed out after 10 s", True))
                elif function in (failing or {}) and n == 0:
                    found.append(CheckOutcome(name, function, hidden, False, failing[function]))
                else:
                    found.append(CheckOutcome(name, function, hidden, True))
    return found


def training(verdict: str, text: str, points: float = 0) -> Result:
    return Result("training run on MNIST", points, 25, "passed" if points == 25 else "failed", text, "visible",
                      "6.1", ["timed out"] if verdict == "timed out" else [])


def build(tests: list[Result], verdict: str | None = None, report: str | None = TEMPLATE_SHA + "x",
          checks: list[CheckOutcome] = (), **extra) -> dict:
    extra.setdefault("isolation", "bubblewrap")
    extra["files_sha256"] = {"mlp.py": "0" * 64} | ({"REPORT.md": report} if report else {})
    if verdict:
        extra["training"] = {"verdict": verdict, "seconds": 1.0, "audits": 3, "history": {"epochs": []}}
    return results.build(tests, "", 1.0, 0.9, extra, checks)


def ran(checks: list[CheckOutcome], *trained: Result, verdict: str | None = None) -> dict:
    """Results of a grading whose checks ran (their facts recorded), with the training test if given."""
    return build(scoring.function_results(checks, SC) + list(trained), verdict, checks=checks)


CASES = {
    "graded": (ran(outcomes(), training("ok", "Test accuracy 97.9%", 25), verdict="ok"), "graded", ""),
    "some stubs": (ran(outcomes(stubs=("backward", "sgd_step"))), "graded", "not implemented: backward, sgd_step"),
    "stubs": (ran(outcomes(stubs=GRADED), training("crashed", "Training failed: relu_grad is not implemented yet"),
                  verdict="crashed"),
              "not attempted", "every function is the untouched stub"),
    "import crash": (build(scoring.zero_results("importing mlp.py failed: RuntimeError: boom (mlp.py line 3, in <module>)", SC)),
                     "import error", "importing mlp.py failed: RuntimeError: boom (mlp.py line 3, in <module>)"),
    "syntax": (build(scoring.zero_results("mlp.py: 1 blocking, 0 other finding(s)", SC),
                     static_findings=[["syntax", 4, "syntax error: invalid syntax"]]),
               "import error", "line 4: syntax error: invalid syntax"),
    "no mlp.py": (build(scoring.zero_results("no mlp.py found in the submission (it is empty)", SC), report=None),
                  "import error", "no mlp.py found in the submission (it is empty)"),
    "banned": (build(scoring.zero_results("mlp.py: 1 blocking", SC), static_findings=[["banned", 2, "import torch: banned"]]),
               "banned import", "import torch: banned"),
    "slow softmax": (ran(outcomes(timed_out="softmax")),
                     "timed out", "timed out: softmax (public tests), softmax (hidden tests)"),
    "slow training": (ran(outcomes(), training("timed out", "Training timed out: chunk 3 took over 20 s"),
                          verdict="timed out"),
                      "timed out", "timed out: training run on MNIST"),
    "diverged": (ran(outcomes(failing={"backward": "no 1/N"}), training("diverged", "Training diverged: inf in W1 at epoch 1"),
                     verdict="diverged"),
                 "diverged", "Training diverged: inf in W1 at epoch 1"),
    "smuggler": (ran(outcomes(), training("audit failed", "Training audit failed: W2 changed 300%"), verdict="audit failed"),
                 "audit failed", "Training audit failed: W2 changed 300%"),
    "grader bug": (build(scoring.zero_results("internal error", SC), grader_error="Traceback ...\nKeyError: 'x'"),
                   "grader error", "KeyError: 'x'"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_status_and_reason_come_from_the_results_facts(case):
    data, name, reason = CASES[case]
    assert (classify(data).name, classify(data).reason) == (name, reason)


def test_a_report_md_missing_or_the_untouched_template_is_flagged():
    data = CASES["graded"][0]
    assert writeup_problem(data) is None
    data["extra_data"]["files_sha256"]["REPORT.md"] = TEMPLATE_SHA
    assert writeup_problem(data) == "REPORT.md is the untouched template"
    assert writeup_problem(CASES["no mlp.py"][0]) == "no REPORT.md"
    del data["extra_data"]["files_sha256"]  # results of an older kit: nothing to say
    assert writeup_problem(data) is None


@pytest.fixture
def graded(tmp_path) -> Path:
    folder = tmp_path / "graded"
    for case, (data, _, _) in CASES.items():
        results.write(folder / "students" / case.replace(" ", "_"), data)
    return folder


def test_the_gradebook_dashboard_and_reports_show_statuses_a_ta_can_act_on(graded):
    header, rows = gradebook_rows({s: results_of(graded, s) for s in sorted(p.name for p in (graded / "students")
                                                                         .iterdir())})
    at = header.index("status")
    assert header[at:at + 2] == ["status", "reason"]
    book = {row[0]: row for row in rows}
    assert book["stubs"][at:at + 2] == ["not attempted", "every function is the untouched stub"]
    assert book["import_crash"][at] == "import error"

    index = dashboard.render(graded).read_text()
    students = index.split('id="students"', 1)[1].split("</table>", 1)[0]
    assert students.count('data-status="import error"') == 3 and 'data-status="diverged"' in students
    assert "line 4: syntax error: invalid syntax" in students  # the reason, under the status
    filters = index.split('id="filters"', 1)[1].split("</p>", 1)[0]
    assert "all (12)" in filters and "import error (3)" in filters and "not attempted (1)" in filters
    assert "grader error (1)" in filters and "audit failed (1)" in filters
    assert "row.hidden" in index  # the filter script, allowed by its hash in the CSP
    failed = index.split('id="failed-checks"', 1)[1].split("</table>", 1)[0]
    assert "not implemented" not in failed and ">stubs<" not in failed and "some_stubs" not in failed
    assert "import_crash" not in failed and "backward" in failed  # diverged's real bug is still counted
    flags = index.split('id="flags"', 1)[1].split("</table>", 1)[0]
    assert "no REPORT.md" in flags

    render_submission(graded / "students" / "import_crash")
    html = (graded / "students" / "import_crash" / "report.html").read_text()
    assert html.count("boom (mlp.py line 3") == 2  # the banner and the status line, not once per test (11)
    assert 'id="banner"' in html
    md = (graded / "students" / "import_crash" / "report.md").read_text()
    assert md.count("boom (mlp.py line 3") == 1 and "### Failing checks" not in md
    render_submission(graded / "students" / "diverged")
    assert 'id="banner"' not in (graded / "students" / "diverged" / "report.html").read_text()


def results_of(graded: Path, student: str) -> dict:
    import json

    return json.loads((graded / "students" / student / "results.json").read_text())


def test_grades_csv_carries_the_tas_comments_and_the_gradebook_notes_writeup_problems(graded, capsys):
    assert cli(["gradebook", str(graded)]) == 0
    scores = graded / "rubric_scores.csv"
    scores.write_text(scores.read_text().replace("graded,,,,,,,", "graded,4,3,4,2,3,2,\"=1+1, see me\""))
    assert cli(["gradebook", str(graded)]) == 0
    out = capsys.readouterr().out
    assert "no REPORT.md: 1 student(s): no_mlp.py" in out
    with (graded / "grades.csv").open(newline="") as f:
        grades = {row[0]: row for row in csv.reader(f)}
    assert grades["student"][-1] == "comment"
    assert grades["graded"][-1] == "'=1+1, see me" and grades["graded"][1:4] == ["100", "18", "118"]


def test_per_check_outcomes_are_stored_as_facts_and_read_back():
    checks = outcomes(stubs=("sgd_step",), failing={"softmax": "rows do not sum to 1"}, timed_out="backward")
    data = ran(checks)
    stored = data["extra_data"]["checks"]
    assert len(stored) == len(checks) and set(stored[0]) == {"name", "function", "hidden", "passed", "timed_out",
                                                             "not_implemented", "message"}
    assert results.checks(data) == checks
    failed = results.failed_checks(data)
    assert ("softmax (public): test_softmax_0", "rows do not sum to 1") in failed
    assert ("backward (hidden): test_backward_0 (timed out)", "timed out after 10 s") in failed
    assert not any(label.startswith("sgd_step") for label, _ in failed), "an unimplemented function is not a failure"


def test_statuses_read_facts_not_prose():
    """A message that merely says "not implemented" (e.g. the student's own exception text) is not a stub; a
    check recorded as not implemented is, whatever its message."""
    words = [CheckOutcome(c.name, c.function, c.hidden, False, "backward is not implemented yet")
             for c in outcomes()]
    assert classify(ran(words)).name == "graded"
    facts = [CheckOutcome(c.name, c.function, c.hidden, False, "?", not_implemented=True) for c in outcomes()]
    assert classify(ran(facts)) == results.Status("not attempted", "every function is the untouched stub")


def test_a_report_or_curve_is_up_to_date_only_when_not_older_than_its_results(tmp_path):
    import os

    report, data = tmp_path / "report.html", tmp_path / results.NAME
    assert not results.up_to_date(report)  # neither exists
    report.write_text("old")
    assert not results.up_to_date(report)  # no results.json beside it
    data.write_text("{}")
    os.utime(report, ns=(1, 1))
    assert not results.up_to_date(report)  # older than results.json: a regrade happened since
    os.utime(report, ns=(data.stat().st_mtime_ns, data.stat().st_mtime_ns))
    assert results.up_to_date(report)
