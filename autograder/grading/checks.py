"""Run the public and hidden pytest suites in the grader's process against the sandboxed submission's proxy."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.grading.remote import StudentError, WorkerError
from autograder.grading.scoring import FUNCTIONS, CheckOutcome

from autograder import ROOT
SUITES = {"public": ROOT / "tests_public", "hidden": ROOT / "tests_hidden"}
SAFE_TYPES = (NotImplementedError, StudentError, WorkerError)


def failure_message(error: BaseException, hidden: bool) -> str:
    """What the student may read about a failed check: hidden tests never show their expected values."""
    from tests_hidden.checks import HiddenCheckFailed

    text = str(error).strip()
    if isinstance(error, SAFE_TYPES + (HiddenCheckFailed,)) or not hidden:
        if isinstance(error, AssertionError) and not hidden:
            text = text.split("\nassert ")[0]
        return text[:800] or type(error).__name__
    if isinstance(error, AssertionError):
        return "a hidden check failed"
    return f"{type(error).__name__} while checking the returned values (wrong type or shape?)"


def judged_error(error: BaseException | None) -> BaseException | None:
    """The error a failed check is judged by. Hypothesis reports an example whose replay failed differently (a
    worker that timed out or died in it, then "not retried") as a group of both: the worker's error is what
    happened, and the group's text would show the grader's internals to the student."""
    if isinstance(error, BaseExceptionGroup):
        return next((inner for inner in error.exceptions if isinstance(inner, WorkerError)), error)
    return error


class Collector:
    """A pytest plugin: hands the proxy to the suites' ``mlp`` fixtures and records each test's outcome."""

    def __init__(self, proxy: object) -> None:
        self.proxy = proxy
        self.outcomes: list[CheckOutcome] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        config.mlp_override = self.proxy

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = (yield).get_result()
        if report.when == "call" or (report.failed and report.when == "setup"):
            function = next((m.name for m in item.iter_markers() if m.name in FUNCTIONS), None)
            if function is None:
                return
            hidden = Path(str(item.fspath)).is_relative_to(SUITES["hidden"])
            error = judged_error(call.excinfo.value) if call.excinfo else None
            self.outcomes.append(CheckOutcome(
                name=item.name, function=function, hidden=hidden, passed=report.passed,
                message=failure_message(error, hidden) if error is not None and not report.passed else "",
                timed_out=isinstance(error, WorkerError) and error.timed_out,
                not_implemented=isinstance(error, NotImplementedError) or getattr(error, "not_implemented", False) is True))


def run_checks(proxy: object, seed: int, functions: tuple[str, ...] = FUNCTIONS,
               public: Path = SUITES["public"]) -> list[CheckOutcome]:
    """Every public and hidden test of ``functions`` (default: every function the suites test, the optional
    extension included; the grader passes ``Scoring.graded``), run against ``proxy``.

    ``public``: the public suite's folder (an nbgrader course runs the copy shipped beside its notebook).
    """
    collector = Collector(proxy)
    args = [str(public), str(SUITES["hidden"]), f"--hidden-seed={seed}", "-p", "no:cacheprovider",
            "-p", "no:terminal", "-p", "no:warnings", f"--rootdir={ROOT}", "-c", os.devnull,  # no config file: works installed
            "--disable-plugin-autoload", "-p", "_hypothesis_pytestplugin"]  # only what the suites use (~0.1 s less)
    if functions != FUNCTIONS:
        args += ["-m", " or ".join(functions)]
    code = pytest.main(args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not collector.outcomes:
        raise RuntimeError(f"the test suites could not run (pytest exit code {int(code)})")
    return collector.outcomes
