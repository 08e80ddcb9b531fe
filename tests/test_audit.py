"""The training audit's maths (autograder/grading/training.py), in-process on real MNIST: which chunk results the grader
accepts, from correct code written differently, from honest bugs and from state changed outside the update.

Each run trains a variant of the reference for a few hundred steps in random chunks and judges every chunk against
the reference replay from the same accepted state, exactly as ``training.run`` does with the worker's replies.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import types
from typing import Callable

import numpy as np
import pytest

from autograder.grading import training
from data.idx import load_mnist
from solution import mlp as reference
from solution import train as kit_train

STEPS = 240
Tamper = Callable[[int, training.State], None]  # (chunk index, state) -> changes the state in place


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def variant(**functions) -> types.ModuleType:
    """The reference module with some functions replaced."""
    module = types.ModuleType("variant")
    module.__dict__.update({k: v for k, v in vars(reference).items() if not k.startswith("__")})
    module.__dict__.update(functions)
    return module


def scaled_backward(**scale: float):
    return lambda p, c, y: {k: g * scale.get(k, 1.0) for k, g in reference.backward(p, c, y).items()}


def float64_backward(params, cache, labels):
    grads = reference.backward({k: v.astype(np.float64) for k, v in params.items()},
                               {k: v.astype(np.float64) for k, v in cache.items()}, labels)
    return {k: g.astype(np.float32) for k, g in grads.items()}


def weights_only_sgd_step(params, grads, lr):
    for key in params:
        if key.startswith("W"):
            params[key] -= np.float32(lr) * grads[key]


def run(mnist, module, faithful: bool, tamper: Tamper | None = None, seed: int = 0) -> float:
    """Train ``module`` for STEPS steps in random chunks, judging each; return the largest deviation."""
    config = kit_train.TrainConfig(seed=seed)
    params = reference.init_params(reference.LAYER_SIZES, np.random.default_rng(seed))
    state = (params, {k: np.zeros_like(v) for k, v in params.items()})
    batches = kit_train.batch_order(len(mnist.train.labels), config.batch_size, seed, 1)[:STEPS]
    X, y = mnist.train
    audit = training.Audit(faithful)
    for k, (lo, hi) in enumerate(training.chunks(len(batches), np.random.default_rng(seed + 1), 30)):
        after = ({n: v.copy() for n, v in state[0].items()}, {n: v.copy() for n, v in state[1].items()})
        for idx in batches[lo:hi]:
            kit_train.train_step(module, after[0], after[1], X[idx], y[idx], config)
        if tamper:
            tamper(k, after)
        expected = training.replay(state, batches[lo:hi], mnist, config)
        audit.judge(state, after, expected, f"in steps {lo}..{hi - 1}")
        state = after
    return audit.max_deviation


# ------------------------------------------------------------------ accepted
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reference_matches_its_replay(mnist, seed):
    assert run(mnist, reference, faithful=True, seed=seed) < 0.01


def test_correct_code_with_float64_internals_is_faithful(mnist):
    assert run(mnist, variant(backward=float64_backward), faithful=True) < training.FAITHFUL / 4


@pytest.mark.parametrize("scale", [{"W1": 0.5}, {k: 2.0 for k in reference.init_params()},
                                   {"b1": 1 / 64, "b2": 1 / 64, "b3": 1 / 64}],
                         ids=["W1_half", "all_double", "bias_mean_not_sum"])
def test_honest_bugs_that_follow_the_gradient_are_accepted(mnist, scale):
    deviation = run(mnist, variant(backward=scaled_backward(**scale)), faithful=False)
    assert deviation > training.FAITHFUL  # they do differ from the reference ...
    # ... but their updates follow the gradient, so the accuracy decides the credit


# ------------------------------------------------------------------ refused
def test_an_honest_bug_is_not_accepted_as_faithful(mnist):
    with pytest.raises(training.AuditFailed, match="outside the tested update"):
        run(mnist, variant(backward=scaled_backward(W1=0.5)), faithful=True)


def test_a_flipped_sign_is_reported_against_the_gradient(mnist):
    with pytest.raises(training.AuditFailed, match=r"W2's updates point against the gradient.*check backward"):
        run(mnist, variant(backward=scaled_backward(W2=-1.0)), faithful=False)


def test_a_skipped_tensor_is_named(mnist):
    with pytest.raises(training.AuditFailed, match=r"b\d was not updated .*sgd_step updates every key"):
        run(mnist, variant(sgd_step=weights_only_sgd_step), faithful=False)


def test_missing_one_over_n_is_refused_with_a_hint(mnist):
    with pytest.raises(training.AuditFailed, match="1/N") as error:
        run(mnist, variant(backward=scaled_backward(**{k: 64.0 for k in reference.init_params()})), faithful=False)
    assert error.value.verdict in ("diverged", "audit failed")


def test_nan_weights_are_diverged_not_cheating(mnist):
    def poison(k: int, state: training.State) -> None:
        if k == 2:
            state[0]["W2"][0, 0] = np.nan
    with pytest.raises(training.AuditFailed, match="diverged") as error:
        run(mnist, reference, faithful=False, tamper=poison)
    assert error.value.verdict == "diverged"


@pytest.mark.parametrize("faithful", [True, False])
def test_a_tampered_velocity_is_refused(mnist, faithful):
    def inflate(k: int, state: training.State) -> None:
        state[1]["b3"][...] = 1e6
    with pytest.raises(training.AuditFailed, match="velocity of b3"):
        run(mnist, reference, faithful=faithful, tamper=inflate)


@pytest.mark.parametrize("faithful", [True, False])
def test_weights_smuggled_once_are_refused(mnist, faithful):
    pasted = reference.init_params(reference.LAYER_SIZES, np.random.default_rng(7))
    def paste(k: int, state: training.State) -> None:
        if k == 3:
            for key in state[0]:
                state[0][key][...] = pasted[key]
    with pytest.raises(training.AuditFailed):
        run(mnist, reference, faithful=faithful, tamper=paste)


def test_gradual_smuggling_is_refused_when_every_check_passed(mnist):
    target = reference.init_params(reference.LAYER_SIZES, np.random.default_rng(7))
    def steer(k: int, state: training.State) -> None:
        for key in state[0]:
            state[0][key] += np.float32(0.01) * (target[key] - state[0][key])
    with pytest.raises(training.AuditFailed, match="outside the tested update"):
        run(mnist, reference, faithful=True, tamper=steer)


# ------------------------------------------------------------------ the measure itself
def test_compare_measures_deviation_ratio_and_products():
    start = np.zeros(3, np.float32)
    change = training.compare("W", start, np.array([0, 2, 0], np.float32), np.array([0, 1, 0], np.float32))
    assert (change.deviation, change.ratio, change.dot, change.mine, change.ref) == (1.0, 2.0, 2.0, 4.0, 1.0)
    change = training.compare("W", start, np.array([-1, 0, 0], np.float32), np.array([1, 0, 0], np.float32))
    assert (change.deviation, change.ratio, change.dot) == (2.0, 1.0, -1.0)
    assert training.compare("W", start, start, start).deviation == 0.0  # no movement anywhere: no division by 0


def test_the_direction_test_accumulates_over_chunks():
    audit = training.Audit(faithful=False)
    along, across = (training.compare("W", np.zeros(2), np.array(v, float), np.array([1.0, 0])) for v in
                     ([3.0, 0], [0, 1.0]))
    assert audit.cosine(along) == 1.0
    assert audit.cosine(across) == pytest.approx(3 / np.sqrt(10 * 2))  # sums of <s,r>, |s|^2, |r|^2 so far


def test_chunk_schedule_is_not_derived_from_the_seed(mnist):
    config = kit_train.TrainConfig(epochs=1)
    plans = {tuple((lo, hi) for _, lo, hi, _ in training.plan(mnist, config, np.random.default_rng(s), 60))
             for s in np.random.SeedSequence().generate_state(3)}
    assert len(plans) == 3
