"""The public suite is a good feedback loop: the reference passes, stubs fail cleanly and only their own tests,
and every mistake of the buggy corpus (tests/buggy/) is caught with its hint in the failure message.

The suite runs in-process (pytest.main plus a collecting plugin): about 0.3 s per submission.
Known dependency: backward calls the student's relu_grad, so a relu_grad stub also fails the backward tests
(with "backward needs relu_grad: relu_grad is not implemented yet ..."); every other stub fails only its own.
"""
from __future__ import annotations

import ast
import os
import types
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from submissions import FUNCTIONS, SOLUTION, buggy_constants, buggy_sources, make_submission, stub_only

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "tests_public"
DEPENDS_ON = {"relu_grad": {"backward"}}  # backward calls relu_grad; through a proxy this cannot be avoided


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


def assert_clean(test: str, text: str, must_contain: str) -> None:
    """A stub's failure is one short line naming the problem, not a traceback."""
    assert must_contain in text, f"{test}: {text!r} lacks {must_contain!r}"
    assert len(text.strip().splitlines()) == 1 and "Traceback" not in text and ".py:" not in text, \
        f"{test}: not a one-line failure:\n{text}"


@pytest.fixture(scope="module")
def solution_run() -> Outcome:
    return run_public(SOLUTION)


def test_solution_passes_everything(solution_run):
    assert solution_run.exit_code == 0, solution_run.failed
    assert len(solution_run.passed) == len(solution_run.markers) > 40
    for fn in FUNCTIONS:
        assert solution_run.marked(fn), f"no public test is marked {fn}"


def test_untouched_assignment_fails_every_test_cleanly(monkeypatch, solution_run):
    monkeypatch.delenv("MLP_SUBMISSION", raising=False)
    outcome = run_public()  # the default: assignment/ next to tests_public/
    assert set(outcome.failed) == set(outcome.markers) == set(solution_run.markers)
    for test, text in outcome.failed.items():
        assert_clean(test, text, "is not implemented yet")


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_a_single_stub_fails_exactly_its_own_tests(tmp_path, monkeypatch, fn):
    monkeypatch.setenv("MLP_SUBMISSION", str(stub_only(tmp_path, fn)))  # also covers the env var
    outcome = run_public()
    own, dependents = outcome.marked(fn), outcome.marked(*DEPENDS_ON.get(fn, ()))
    assert own and set(outcome.failed) == own | dependents, sorted(set(outcome.failed) ^ (own | dependents))
    for test in own:
        assert_clean(test, outcome.failed[test], f"{fn} is not implemented yet")
    for test in dependents:
        assert_clean(test, outcome.failed[test], f"needs {fn}: {fn} is not implemented yet")


@pytest.mark.parametrize("path", buggy_sources(), ids=lambda path: path.stem)
def test_buggy_submission_is_caught_with_its_hint(tmp_path, path):
    broken, hint = buggy_constants(path)
    outcome = run_public(make_submission(tmp_path, path.read_text()))
    own = outcome.marked(broken)
    allowed = own | outcome.marked(*DEPENDS_ON.get(broken, ()))
    assert own & set(outcome.failed), f"{path.name}: no {broken} test failed"
    assert set(outcome.failed) <= allowed, f"{path.name} broke unrelated tests: {sorted(set(outcome.failed) - allowed)}"
    assert hint in outcome.text(own), f"{path.name}: hint {hint!r} not in:\n{outcome.text(own)}"


def test_buggy_corpus_covers_every_function():
    broken = [buggy_constants(path)[0] for path in buggy_sources()]
    assert len(broken) >= 12 and set(broken) == set(FUNCTIONS)


class Proxy:
    """Stands in for autograder.remote.MlpProxy: same function attributes, not a module; like it, re-raises
    NotImplementedError as "NotImplementedError: <message> (mlp.py line N, in <fn>)"."""

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module

    def __getattr__(self, name: str):
        function = getattr(self._module, name)

        def remote(*args):
            try:
                return function(*args)
            except NotImplementedError as error:
                raise NotImplementedError(f"NotImplementedError: {error} (mlp.py line 1, in {name})") from None

        return remote if callable(function) else function

    def __repr__(self) -> str:
        return "<test proxy>"


def test_mlp_override_is_used_and_named(tmp_path, capsys):
    from solution import mlp as reference

    outcome = run_public(make_submission(tmp_path, "raise SystemExit('the folder must not be imported')"),
                         Proxy(reference))
    assert outcome.exit_code == 0, outcome.failed
    out = capsys.readouterr().out
    assert "tested <test proxy> (mlp_override)" in out and "does not mean full marks" in out


def test_proxy_errors_stay_one_line(tmp_path):
    from assignment.train import load_submission

    outcome = run_public(None, Proxy(load_submission(stub_only(tmp_path, "relu_grad"))), "-m", "relu_grad or backward")
    assert set(outcome.failed) == set(outcome.markers) != set()
    for test, text in outcome.failed.items():
        assert_clean(test, text, "relu_grad is not implemented yet")


def test_a_broken_import_fails_cleanly(tmp_path):
    outcome = run_public(make_submission(tmp_path, "def oops(:\n    pass"), None, "-m", "sgd_step")
    assert outcome.failed and all("could not import" in text and "SyntaxError" in text
                                  for text in outcome.failed.values())


def test_public_tests_import_nothing_from_the_kit():
    for path in PUBLIC.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for name in names:
                assert name.split(".")[0] not in {"solution", "autograder", "tests", "assignment"}, \
                    f"{path.name} imports {name}"


# ------------------------------------------------------------------ the shared gradient-check module
def test_numerical_gradient_restores_x_and_is_accurate():
    from tests_public.gradcheck import numerical_gradient, rel_error

    x = np.random.default_rng(0).standard_normal((3, 4))
    before = x.copy()
    grad = numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    assert np.array_equal(x, before)
    assert rel_error(grad, np.cos(x)) < 1e-8


def test_diagnose_recognises_the_usual_signatures():
    from tests_public.gradcheck import diagnose, rel_error, worst_index

    rng = np.random.default_rng(0)
    true, square, bias = rng.standard_normal((4, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)
    assert rel_error(true, true) == 0 and worst_index(true, true + np.eye(4, 3) * [0, 0, 1]) == (2, 2)
    assert diagnose("W1", true, true, 6) is None
    assert "N=6 times too large" in diagnose("W1", 6 * true, true, 6)
    assert "divided by N twice" in diagnose("W1", true / 6, true, 6)
    assert "wrong sign" in diagnose("W1", -true, true, 6)
    assert "all zero" in diagnose("W1", 0 * true, true, 6)
    assert "looks transposed" in diagnose("W1", true.T, true, 6)
    assert "transpose of the right gradient" in diagnose("W2", square.T, square, 6)
    assert "transposed gradient reshaped" in diagnose("W1", true.T.reshape(4, 3), true, 6)
    assert "transposed gradient, reshaped" in diagnose("W1", true.T.reshape(2, 6), true, 6)
    assert "axis=0" in diagnose("b1", rng.standard_normal(6), bias, 6)
    assert "keepdims" in diagnose("b1", bias[None], bias, 6)
    dead = true.copy()
    dead[:, 0] = 0
    assert "relu_grad" in diagnose("W1", true, dead, 6)
