"""The optional extension (momentum_step, adam_step): ungraded by default, graded when scoring.toml gives it points.

In-process (tests/suites.py, the grader's own ``checks.run_checks`` and scoring): the reference passes every public
and hidden check of both functions, the untouched stubs fail them with the stub's one line, the mistakes of the
buggy corpus fail the checks they should (and only those); with 0 points the grader neither runs nor scores them
(results are what they were without the extension), with points they are scored like the core five and the total
stays 100. One real sandboxed grading with extension points. Adam is also checked against torch.optim.Adam and
momentum against torch.optim.SGD when PyTorch is installed (it need not be).
"""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

from autograder.builders.generate import ASSIGNMENT, stub_message
from autograder.grading import checks, results, scoring
from solution import mlp as reference
from solution.train import load_submission
from submissions import BUGGY, make_submission, stub_source
from suites import extension_graded, function_scores, full_marks, run_hidden, run_public

EXTENSION = scoring.EXTENSION
EVERYTHING = extension_graded()
SEEDS = (0, 1, 832)

# Mistake -> (the hidden checks it fails, the public checks it fails, a phrase of its public message). Exactly those.
IN_PLACE_PUBLIC = {"test_updates_params_and_velocity_in_place[float32]", "test_updates_params_and_velocity_in_place[float64]"}
ADAM_IN_PLACE_PUBLIC = {"test_updates_params_and_moments_in_place[float32]", "test_updates_params_and_moments_in_place[float64]"}
ADAM_STEPS_HIDDEN = {"test_adam_random_steps", "test_adam_continues_from_a_later_state", "test_adam_default_hyper_parameters",
                     "test_adam_eps_with_tiny_gradients", "test_adam_zero_gradients_move_nothing"}
ADAM_VALUES_PUBLIC = ADAM_IN_PLACE_PUBLIC | {
    "test_first_step_moves_every_parameter_by_about_lr", "test_several_steps_follow_the_paper",
    "test_continues_from_a_later_state", "test_eps_is_added_outside_the_square_root", "test_hand_computed_first_step",
    "test_smallest_shapes"}
MOMENTUM_VALUES_PUBLIC = IN_PLACE_PUBLIC | {
    "test_first_step_from_zero_velocity_is_an_sgd_step", "test_velocity_carries_over_from_step_to_step",
    "test_momentum_scales_the_old_velocity[0.6]", "test_momentum_scales_the_old_velocity[0.99]",
    "test_hand_computed_step", "test_smallest_shapes"}
EXPECTED = {
    "adam_no_bias_correction": (ADAM_STEPS_HIDDEN | {"test_adam_updates_in_place"}, ADAM_VALUES_PUBLIC,
                                "moved without bias correction"),
    "adam_t_not_incremented": (ADAM_STEPS_HIDDEN, ADAM_VALUES_PUBLIC,  # the values are right, the state's t is not
                               "state['t'] was 0 before the step and is 0 after: it is unchanged"),
    "adam_t_per_key": (ADAM_STEPS_HIDDEN | {"test_adam_updates_in_place"}, ADAM_VALUES_PUBLIC,
                       "add 1 once per step, not once per key"),
    "adam_eps_inside_sqrt": ({"test_adam_eps_with_tiny_gradients"}, {"test_eps_is_added_outside_the_square_root"},
                             "eps inside the square root"),
    "adam_out_of_place": ({"test_adam_updates_in_place"}, ADAM_IN_PLACE_PUBLIC,
                          "now holds a new array with the right values, but the original array was left unchanged"),
    "momentum_scales_gradient": (
        {"test_momentum_random_steps", "test_momentum_first_step_from_zero_velocity", "test_momentum_zero_is_plain_sgd",
         "test_momentum_updates_in_place"}, MOMENTUM_VALUES_PUBLIC | {"test_momentum_scales_the_old_velocity[0.0]"},
        "holds momentum * (v + g)"),
    "momentum_dampened": (  # with momentum 0, an average of the gradients is the gradient: that check passes
        {"test_momentum_random_steps", "test_momentum_first_step_from_zero_velocity", "test_momentum_updates_in_place"},
        MOMENTUM_VALUES_PUBLIC, "(dampening)"),
    "momentum_out_of_place": ({"test_momentum_updates_in_place"}, IN_PLACE_PUBLIC,
                              "now holds a new array with the right values, but the original array was left unchanged"),
}


def outcomes_of(folder: Path, seed: int, functions: tuple[str, ...] = scoring.FUNCTIONS) -> list[scoring.CheckOutcome]:
    return [c for c in run_public(folder).checks() + run_hidden(load_submission(folder), seed) if c.function in functions]


# ------------------------------------------------------------------------------------------- the suites
def test_the_reference_passes_every_extension_check_and_the_stubs_fail_each_in_one_line():
    public = run_public(None, reference, "-m", " or ".join(EXTENSION))
    assert public.exit_code == 0 and len(public.passed) >= 15, public.failed
    for seed in SEEDS:
        hidden = [c for c in run_hidden(reference, seed) if c.function in EXTENSION]
        assert len(hidden) >= 12 and all(c.passed for c in hidden), [(c.name, c.message) for c in hidden if not c.passed]
    stubs = run_public(ASSIGNMENT, None, "-m", " or ".join(EXTENSION))
    assert stubs.failed and set(stubs.failed) == set(stubs.markers)
    for test, text in stubs.failed.items():
        function = next(f for f in EXTENSION if f in stubs.markers[test])
        assert text.strip() == stub_message(function), (test, text)
    hidden = [c for c in run_hidden(load_submission(ASSIGNMENT), 0) if c.function in EXTENSION]
    assert hidden and all(not c.passed and f"{c.function} is not implemented yet" in c.message for c in hidden)


@pytest.mark.parametrize("bug", EXPECTED)
def test_a_mistake_fails_exactly_its_checks_with_its_hint(tmp_path, bug):
    hidden_failing, public_failing, phrase = EXPECTED[bug]
    folder = make_submission(tmp_path, (BUGGY / f"{bug}.py").read_text())
    public = run_public(folder)
    failed = {test.split("::")[-1] for test in public.failed}
    assert failed == public_failing, (sorted(failed - public_failing), sorted(public_failing - failed))
    assert phrase in public.text(set(public.failed)), public.text(set(public.failed))[:2000]
    module = load_submission(folder)
    for seed in SEEDS:
        hidden = {c.name for c in run_hidden(module, seed) if not c.passed}
        assert hidden == hidden_failing, (seed, sorted(hidden ^ hidden_failing))


def test_adam_state_is_the_zero_state():
    params = reference.init_params()
    state = reference.adam_state(params)
    assert state["t"] == 0 and set(state["m"]) == set(state["v"]) == set(params)
    assert all(state[k][p].shape == params[p].shape and state[k][p].dtype == params[p].dtype and not state[k][p].any()
               for k in ("m", "v") for p in params)


# ------------------------------------------------------------------------------------------- the scoring
def test_ungraded_by_default_the_grader_neither_runs_nor_scores_the_extension():
    sc = scoring.load()
    assert sc.graded == scoring.GRADED and sc.total == 100 and all(v == 0 for v in sc.extension.values())
    outcomes = checks.run_checks(reference, 7, sc.graded)  # the grader's own route, in-process
    assert {c.function for c in outcomes} == set(scoring.GRADED) and all(c.passed for c in outcomes)
    everything = checks.run_checks(reference, 7)  # every function the suites test
    assert {c.function for c in everything} == set(scoring.FUNCTIONS)
    assert [c for c in everything if c.function in scoring.GRADED] == outcomes  # the same checks, the same order
    stubbed = [scoring.CheckOutcome(c.name, c.function, c.hidden, False, "not implemented") if c.function in EXTENSION
               else c for c in everything]
    with_extension = [t.to_json() for t in scoring.function_results(stubbed, sc)]
    assert with_extension == [t.to_json() for t in scoring.function_results(outcomes, sc)]  # results.json unchanged
    assert [t["name"] for t in with_extension] == [f"{f} ({k} tests)" for f in scoring.GRADED for k in ("public", "hidden")]
    assert sum(t["score"] for t in with_extension) == 75 and scoring.training_number(sc) == "6.1"


def test_with_points_they_are_scored_like_the_core_and_the_total_stays_100(tmp_path):
    text = scoring.CONFIG_FILE.read_text().replace("backward = 25", "backward = 18") \
        .replace("momentum_step = 0", "momentum_step = 3").replace("adam_step = 0", "adam_step = 4")
    (tmp_path / "scoring.toml").write_text(text)
    sc = scoring.load(tmp_path / "scoring.toml")
    assert sc.graded == scoring.FUNCTIONS and sc.total == 100 and scoring.training_number(sc) == "8.1"
    outcomes = checks.run_checks(reference, 5, sc.graded)
    assert {c.function for c in outcomes} == set(scoring.FUNCTIONS) and all(c.passed for c in outcomes)
    tests = scoring.function_results(outcomes, sc)
    assert [t.name for t in tests][-4:] == ["momentum_step (public tests)", "momentum_step (hidden tests)",
                                           "adam_step (public tests)", "adam_step (hidden tests)"]
    assert [t.number for t in tests][-4:] == ["6.1", "6.2", "7.1", "7.2"]
    assert [t.max_score for t in tests][-4:] == [1.2, 1.8, 1.6, 2.4]  # split 40/60 as every function
    assert sum(t.score for t in tests) == pytest.approx(75) and all(t.status == "passed" for t in tests)
    (tmp_path / "scoring.toml").write_text(text.replace("backward = 18", "backward = 25"))
    with pytest.raises(AssertionError, match=r"points add up to 107, not 100: \[functions\] \+ \[extension\] \+ "
                                             r"\[training\] points must total 100"):
        scoring.load(tmp_path / "scoring.toml")


@pytest.mark.parametrize("bug", ["adam_no_bias_correction", "momentum_out_of_place"])
def test_graded_a_mistake_costs_points_in_its_own_function_only(tmp_path, bug):
    folder = make_submission(tmp_path, (BUGGY / f"{bug}.py").read_text())
    function = bug.split("_")[0] + "_step"
    for seed in SEEDS[:2]:
        graded = function_scores(outcomes_of(folder, seed), EVERYTHING)
        ungraded = function_scores(outcomes_of(folder, seed))
        assert 0 < graded[function] < full_marks(EVERYTHING)[function]
        assert all(points == full_marks(EVERYTHING)[f] for f, points in graded.items() if f != function), graded
        assert ungraded == full_marks() and function not in ungraded  # with 0 points it costs nothing


def test_graded_stubs_are_named_in_the_status(tmp_path):
    """Core done, extension left as the stubs: "graded", naming them; everything a stub: "not attempted"."""
    folder = make_submission(tmp_path / "core", *(stub_source(f) for f in EXTENSION))
    outcomes = checks.run_checks(load_submission(folder), 3, EVERYTHING.graded)  # the grader's route: its facts
    data = results.build(scoring.function_results(outcomes, EVERYTHING), "", 1.0, 0.9, {"isolation": "none"}, outcomes)
    assert data["score"] == pytest.approx(75 - 10)
    assert results.classify(data) == results.Status("graded", "not implemented: momentum_step, adam_step")
    stubs = checks.run_checks(load_submission(ASSIGNMENT), 3, EVERYTHING.graded)
    everything = results.build(scoring.function_results(stubs, EVERYTHING), "", 1.0, 0.0, {}, stubs)
    assert results.classify(everything).name == "not attempted"
    core = [c for c in stubs if c.function in scoring.GRADED]  # with 0 points, the extension is not in the facts
    assert results.classify(results.build(scoring.function_results(core, scoring.load()), "", 1, 0, {}, core)) == \
        results.Status("not attempted", "every function is the untouched stub")


# ------------------------------------------------------------------------------------------- against PyTorch
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is optional (pip install torch)")
def test_the_reference_matches_torch_optim():
    import torch

    rng = np.random.default_rng(0)
    params = {k: rng.standard_normal((3, 4)) for k in ("W1", "b1")}
    steps = [{k: rng.standard_normal((3, 4)) for k in params} for _ in range(6)]
    for name, make, ours in (
            ("adam", lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6),
             lambda p, g, s: reference.adam_step(p, g, s, 0.01, 0.8, 0.99, 1e-6)),
            ("momentum", lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9),
             lambda p, g, s: reference.momentum_step(p, g, s, 0.01, 0.9))):
        mine = {k: v.copy() for k, v in params.items()}
        state = reference.adam_state(mine) if name == "adam" else {k: np.zeros_like(v) for k, v in mine.items()}
        theirs = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        optimizer = make(list(theirs.values()))
        for grads in steps:
            ours(mine, grads, state)
            for k, tensor in theirs.items():
                tensor.grad = torch.tensor(grads[k])
            optimizer.step()
        for k in params:
            np.testing.assert_allclose(mine[k], theirs[k].detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=name)


# ------------------------------------------------------------------------------------------- for real
@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the autograder's sandbox needs root")
def test_graded_for_real_with_extension_points(tmp_path):
    """Through the sandbox (the worker's proxy mirrors the state: Adam's t, new arrays put in the dicts), with the
    training run: 14 function tests and the training test, numbered after them; only the mistake costs points."""
    from autograder.grading.grade import Options, grade

    upload = make_submission(tmp_path / "upload", (BUGGY / "momentum_out_of_place.py").read_text())
    data = grade(upload, tmp_path / "out", Options(seed=11, scoring=EVERYTHING))
    assert json.loads((tmp_path / "out/results.json").read_text()) == data
    tests = {t["name"]: t for t in data["tests"]}
    assert list(tests) == [f"{f} ({k} tests)" for f in scoring.FUNCTIONS for k in ("public", "hidden")] + [
        "training run on MNIST"]
    assert tests["training run on MNIST"]["number"] == "8.1" and tests["adam_step (hidden tests)"]["number"] == "7.2"
    lost = {name: t for name, t in tests.items() if t["score"] < t["max_score"]}
    assert set(lost) == {"momentum_step (public tests)", "momentum_step (hidden tests)"}, lost
    assert "original array was left unchanged" in lost["momentum_step (public tests)"]["output"]
    assert "put a new array in" in lost["momentum_step (hidden tests)"]["output"]
    assert data["score"] == pytest.approx(100 - sum(t["max_score"] - t["score"] for t in lost.values()), abs=0.011)
    assert results.classify(data).name == "graded"
    assert {c.function for c in results.checks(data)} == set(scoring.FUNCTIONS)
