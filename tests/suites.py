"""Run the public and hidden suites in this process, on a submission folder or a module, and score the outcomes.

``run_public`` runs tests_public with pytest (its Hypothesis examples are derandomized: the same every run).
``run_hidden`` runs every hidden test for one seed without pytest's per-run overhead: the tests are collected
once, then each test function is called with the fixtures the hidden conftest would give it (the same
``rng_for(seed, node id)``), about 30 ms per seed instead of 200 ms; ``tests/test_correct.py`` checks that it
agrees with the grader's own route (``autograder.grading.checks.run_checks``).
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable
from unittest import mock

import pytest

from autograder.grading import scoring
from autograder.grading.scoring import EXTENSION, FUNCTIONS, CheckOutcome
from solution import mlp as reference
from tests_hidden.checks import rng_for

ROOT = Path(__file__).resolve().parent.parent
PUBLIC, HIDDEN = ROOT / "tests_public", ROOT / "tests_hidden"


@dataclass
class Outcome:
    """What one run of the public suite did: per test id, its markers, and the failure text of failed tests."""

    exit_code: int = -1
    markers: dict[str, set[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    passed: set[str] = field(default_factory=set)

    def marked(self, *functions: str) -> set[str]:
        return {test for test, names in self.markers.items() if names & set(functions)}

    def text(self, tests: set[str]) -> str:
        return "\n".join(self.failed[test] for test in sorted(tests & set(self.failed)))

    def checks(self) -> list[CheckOutcome]:
        """The outcomes, as the grader records them (every function's, the optional extension's too)."""
        return [CheckOutcome(test.split("::")[-1], function, False, test in self.passed, self.failed.get(test, ""))
                for test, names in self.markers.items() for function in FUNCTIONS if function in names]


class Collector:
    """pytest plugin recording the collected tests' markers and every test's outcome."""

    def __init__(self, override: object = None) -> None:
        self.outcome, self.override = Outcome(), override

    def pytest_configure(self, config: pytest.Config) -> None:
        if self.override is not None:
            config.mlp_override = self.override  # the autograder's hook, see tests_public/conftest.py

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:  # after -m/-k deselection
            self.outcome.markers[item.nodeid] = {mark.name for mark in item.iter_markers()}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.outcome.failed[report.nodeid] = (self.outcome.failed.get(report.nodeid, "") + report.longreprtext)
        elif report.passed and report.when == "call":
            self.outcome.passed.add(report.nodeid)


def run_public(submission: Path | None = None, override: object = None, *extra: str) -> Outcome:
    """Run tests_public in this process on a submission folder (or on an mlp_override object)."""
    collector = Collector(override)
    args = [str(PUBLIC), "-q", "-p", "no:cacheprovider", "-W", "ignore::RuntimeWarning", *extra]
    if submission is not None:
        args += ["--submission", str(submission)]
    with mock.patch.dict(os.environ):
        os.environ.pop("PYTEST_ADDOPTS", None)  # the outer run's options are not the inner run's
        collector.outcome.exit_code = int(pytest.main(args, plugins=[collector]))
    return collector.outcome


@dataclass(frozen=True)
class HiddenTest:
    nodeid: str  # seeds the test's generator
    name: str  # what the grader records (pytest's item.name)
    function: str  # the function it tests (its marker)
    test: Callable[..., None]
    fixtures: tuple[str, ...]
    params: dict[str, Any]


class _Items:
    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)


@functools.cache
def hidden_tests() -> tuple[HiddenTest, ...]:
    """Every hidden test, collected once, with the node id the grader's run gives it (rootdir = the kit)."""
    plugin = _Items()
    code = pytest.main([str(HIDDEN), "--collect-only", "-p", "no:cacheprovider", "-p", "no:terminal",
                        f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml")], plugins=[plugin])
    assert code == pytest.ExitCode.OK and plugin.items, f"collecting {HIDDEN} failed ({code})"
    tests = []
    for item in plugin.items:
        function = next(m.name for m in item.iter_markers() if m.name in FUNCTIONS)
        params = dict(item.callspec.params) if hasattr(item, "callspec") else {}
        fixtures = tuple(name for name in inspect.signature(item.function).parameters if name not in params)
        assert set(fixtures) <= {"mlp", "reference", "rng", "hidden_seed"}, f"{item.nodeid}: unknown fixture"
        tests.append(HiddenTest(item.nodeid, item.name, function, item.function, fixtures, params))
    return tuple(tests)


def run_hidden(mlp: ModuleType | object, seed: int) -> list[CheckOutcome]:
    """Every hidden test against ``mlp`` with seed ``seed``, as the grader would run it (minus pytest)."""
    from tests_hidden.checks import HiddenCheckFailed

    outcomes = []
    for test in hidden_tests():
        given = {"mlp": mlp, "reference": reference, "rng": rng_for(seed, test.nodeid), "hidden_seed": seed}
        try:
            test.test(**{name: given[name] for name in test.fixtures}, **test.params)
        except HiddenCheckFailed as error:
            outcomes.append(CheckOutcome(test.name, test.function, True, False, str(error)))
        except Exception as error:  # the submission's own error, as the grader would record it
            outcomes.append(CheckOutcome(test.name, test.function, True, False, f"{type(error).__name__}: {error}"))
        else:
            outcomes.append(CheckOutcome(test.name, test.function, True, True))
    return outcomes


def function_scores(checks: list[CheckOutcome], sc: scoring.Scoring | None = None) -> dict[str, float]:
    """Points per graded function (public + hidden parts), by the grader's own scoring (``sc``, default
    scoring.toml's, where the optional extension earns nothing)."""
    totals: dict[str, float] = {}
    for result in scoring.function_results(checks, sc or scoring.load()):
        function = result.name.split(" (")[0]
        totals[function] = round(totals.get(function, 0.0) + result.score, 6)
    return totals


def full_marks(sc: scoring.Scoring | None = None) -> dict[str, float]:
    sc = sc or scoring.load()
    return {function: sc.points(function) for function in sc.graded}


def extension_graded(points: float = 5) -> scoring.Scoring:
    """scoring.toml with the optional extension graded: ``points`` for each of its functions, taken from backward's
    (the total stays 100)."""
    sc = scoring.load()
    functions = dict(sc.functions, backward=sc.functions["backward"] - points * len(EXTENSION))
    return dataclasses.replace(sc, functions=functions, extension={name: points for name in EXTENSION})
