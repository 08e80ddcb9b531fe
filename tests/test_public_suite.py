"""The public suite is a good feedback loop: the reference passes, stubs fail cleanly and only their own tests,
and every mistake of the buggy corpus (tests/buggy/) is caught with its hint in the failure message; with the
hidden suite, each mistake costs points only in its own function, the same on every seed.

The suites run in-process (tests/suites.py): about 0.3 s per submission for the public suite, 30 ms per seed
for the hidden one. backward's tests run with a correct relu_grad (tests_public/substitutes.py), so a relu_grad
stub fails only relu_grad's tests.
"""
from __future__ import annotations

import ast
import types
from pathlib import Path

import numpy as np
import pytest

from solution.train import load_submission
from submissions import FUNCTIONS, SOLUTION, buggy_constants, buggy_sources, make_submission, stub_only
from suites import Outcome, extension_graded, function_scores, full_marks, run_hidden, run_public

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "tests_public"
SEEDS = (0, 23, 832, 4242, 99_991)  # a buggy case's scores must be the same on each
EVERYTHING = extension_graded()  # the optional extension graded too, so that its mistakes cost points


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
    own = outcome.marked(fn)
    assert own and set(outcome.failed) == own, sorted(set(outcome.failed) ^ own)
    for test in own:
        assert_clean(test, outcome.failed[test], f"{fn} is not implemented yet")


@pytest.mark.parametrize("path", buggy_sources(), ids=lambda path: path.stem)
def test_buggy_submission_is_caught_with_its_hint_and_charged_once(tmp_path, path):
    """Public: the mistake fails some of its function's tests, with its hint, and no other test. Public and
    hidden together: only that function loses points, the same on every seed of SEEDS (scored with the optional
    extension graded, so that its mistakes count too)."""
    broken, hint = buggy_constants(path)
    folder = make_submission(tmp_path, path.read_text())
    outcome = run_public(folder)
    own = outcome.marked(broken)
    assert own & set(outcome.failed), f"{path.name}: no {broken} test failed"
    assert set(outcome.failed) <= own, f"{path.name} broke unrelated tests: {sorted(set(outcome.failed) - own)}"
    assert hint in outcome.text(own), f"{path.name}: hint {hint!r} not in:\n{outcome.text(own)}"
    module = load_submission(folder)
    hidden = {seed: run_hidden(module, seed) for seed in SEEDS}
    scores = {seed: function_scores(outcome.checks() + checks, EVERYTHING) for seed, checks in hidden.items()}
    assert len({tuple(s.items()) for s in scores.values()}) == 1, f"{path.name}: scores vary with the seed: {scores}"
    lost = {fn for fn, points in scores[SEEDS[0]].items() if points < full_marks(EVERYTHING)[fn]}
    assert lost == {broken}, f"{path.name}: points lost in {sorted(lost)}, expected only {broken}: {scores[SEEDS[0]]}"
    assert not all(c.passed for c in hidden[SEEDS[0]] if c.function == broken), f"{path.name}: no hidden check failed"


def test_buggy_corpus_covers_every_function():
    broken = [buggy_constants(path)[0] for path in buggy_sources()]
    assert len(broken) >= 12 and set(broken) == set(FUNCTIONS)


class Proxy:
    """Stands in for autograder.grading.remote.MlpProxy: same function attributes and ``call_with_correct``, not a module;
    like it, re-raises NotImplementedError as "NotImplementedError: <message> (mlp.py line N, in <fn>)" and other
    errors as "<fn> failed: <type>: <message> (mlp.py line N, in <fn>)"."""

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module

    def call_with_correct(self, correct: tuple[str, ...], name: str, *args):
        from tests_public import invoke

        try:
            return invoke(self._module, name, *args, correct=correct)
        except NotImplementedError as error:
            raise NotImplementedError(f"NotImplementedError: {error} (mlp.py line 1, in {name})") from None
        except Exception as error:
            raise RuntimeError(f"{name} failed: {type(error).__name__}: {error} (mlp.py line 1, in {name})") from None

    def __getattr__(self, name: str):
        function = getattr(self._module, name)
        if not callable(function):
            return function
        return lambda *args: self.call_with_correct((), name, *args)

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
    outcome = run_public(None, Proxy(load_submission(stub_only(tmp_path, "relu_grad"))), "-m", "relu_grad or backward")
    assert set(outcome.failed) == outcome.marked("relu_grad") != set()
    for test, text in outcome.failed.items():
        assert_clean(test, text, "relu_grad is not implemented yet")


@pytest.mark.parametrize("through_proxy", [False, True], ids=["module", "proxy"])
def test_an_exception_is_a_short_message_with_the_input_the_line_and_a_hint(tmp_path, through_proxy):
    """A softmax without keepdims raises a broadcasting error on non-square logits: one short message per test
    (no traceback, no Hypothesis exception group) naming the input, mlp.py's line and the keepdims hint."""
    source = "def softmax(logits):\n    exps = np.exp(logits - logits.max(axis=1))\n    return exps / exps.sum()\n"
    folder = make_submission(tmp_path, source)
    outcome = run_public(None, Proxy(load_submission(folder))) if through_proxy else run_public(folder)
    assert set(outcome.failed) <= outcome.marked("softmax") and outcome.failed
    text = outcome.text(set(outcome.failed))
    assert "softmax(array (3, 4) float32) raised ValueError: operands could not be broadcast" in text
    assert "mlp.py line" in text and "keepdims=True" in text
    assert "Traceback" not in text and "ExceptionGroup" not in text and "site-packages" not in text


def test_a_broken_import_is_reported_once(tmp_path, capsys):
    outcome = run_public(make_submission(tmp_path, "def oops(:\n    pass"))
    assert outcome.exit_code == pytest.ExitCode.USAGE_ERROR and not outcome.failed and not outcome.passed
    err = capsys.readouterr().err
    assert err.count("could not import") == 1 and "SyntaxError" in err and "no test ran" in err


def test_tests_run_in_the_order_to_write_the_functions(solution_run):
    order = [next(fn for fn in FUNCTIONS if fn in names) for names in solution_run.markers.values()]
    assert order == sorted(order, key=FUNCTIONS.index) and order[0] == "relu_grad"


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


def test_zeroing_the_inputs_never_scores_more_than_returning_zeros(tmp_path):
    """The gradient checks use copies of the inputs taken before the call, not the (mirrored) inputs afterwards."""
    scores = {}
    for name in ("backward_returns_zeros", "backward_zeroes_inputs"):
        folder = make_submission(tmp_path / name, (ROOT / "tests/buggy" / f"{name}.py").read_text())
        public, module = run_public(folder), load_submission(folder)
        scores[name] = {seed: function_scores(public.checks() + run_hidden(module, seed))["backward"] for seed in SEEDS}
    assert all(scores["backward_zeroes_inputs"][s] < scores["backward_returns_zeros"][s] for s in SEEDS), scores
