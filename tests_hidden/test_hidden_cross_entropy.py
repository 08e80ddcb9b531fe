"""Hidden tests of cross_entropy: random batches (N = 1, N == C, C != 10, large N), probability zero, batch of one,
one number as the result, no mutation on small and large inputs."""
import numpy as np
import pytest

from tests_hidden.checks import check, check_value, scalar

pytestmark = pytest.mark.cross_entropy


def _probs(rng, n, c, dtype=np.float32):
    """Random (probs, labels); every probability is at least ~5e-4, so how a loss treats tiny probabilities (its
    clipping floor) is checked by test_probability_zero only."""
    raw = rng.random((n, c)) ** 2 + 0.01
    return (raw / raw.sum(axis=1, keepdims=True)).astype(dtype), rng.integers(0, c, size=n)


def _sizes(rng):
    c = int(rng.choice([c for c in range(2, 40) if c != 10]))
    return [(1, c), (c, c), (int(rng.integers(c + 1, 100)), c), (int(rng.integers(2, 10)), 10), (int(rng.integers(100, 1000)), 10)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_batches(mlp, reference, rng, dtype):
    for n, c in _sizes(rng):
        probs, labels = _probs(rng, n, c, dtype)
        what = f"cross_entropy on a random {np.dtype(dtype).name} batch of {n} with {c} classes"
        check_value(scalar(mlp.cross_entropy(probs.copy(), labels.copy()), what), reference.cross_entropy(probs, labels), what)


def test_probability_zero(mlp, reference, rng):
    probs, _ = _probs(rng, 5, 10)
    labels = rng.permutation(10)[:5]  # distinct: a loss that mixes up rows and labels cannot match by chance
    probs[2, labels[2]] = 0.0  # the true class gets probability exactly 0; the rest of the row still sums to 1
    probs[2] /= probs[2].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        got = scalar(mlp.cross_entropy(probs.copy(), labels.copy()), "cross_entropy with a zero probability")
    check(np.isfinite(got), "cross_entropy is not finite when the true class has probability 0: clip before the log")
    check_value(got, reference.cross_entropy(probs, labels), "cross_entropy with a zero probability (clip at PROB_FLOOR = 1e-12)", rtol=1e-3)


def test_batch_of_one(mlp, reference, rng):
    probs, labels = _probs(rng, 1, 10)
    got = scalar(mlp.cross_entropy(probs.copy(), labels.copy()), "cross_entropy on a batch of one")
    check_value(got, reference.cross_entropy(probs, labels), "cross_entropy on a batch of one")


def test_does_not_modify_inputs(mlp, rng):
    for n in (8, 2048):
        probs, labels = _probs(rng, n, 10)
        probs[0, labels[0]] = 0.0
        before = (probs.copy(), labels.copy())
        with np.errstate(divide="ignore", invalid="ignore"):
            mlp.cross_entropy(probs, labels)
        check(np.array_equal(probs, before[0]) and np.array_equal(labels, before[1]), f"cross_entropy modified its inputs (batch of {n})")
