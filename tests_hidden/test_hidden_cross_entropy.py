"""Hidden tests of cross_entropy: random batches, probability zero, batch of one, scalar result, no mutation."""
import numpy as np
import pytest

from tests_hidden.checks import check, check_array

pytestmark = pytest.mark.cross_entropy


def _probs(rng, n, c, dtype=np.float32):
    raw = rng.random((n, c)) ** 3 + 1e-6
    return (raw / raw.sum(axis=1, keepdims=True)).astype(dtype), rng.integers(0, c, size=n)


def _scalar(value, what):
    check(np.isscalar(value) or (isinstance(value, np.ndarray) and value.size == 1), f"{what}: returned {type(value).__name__}, expected a float")
    return float(np.asarray(value, dtype=np.float64).reshape(()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_batches(mlp, reference, rng, dtype):
    for _ in range(3):
        n, c = int(rng.integers(1, 60)), int(rng.integers(2, 12))
        probs, labels = _probs(rng, n, c, dtype)
        got = _scalar(mlp.cross_entropy(probs.copy(), labels.copy()), f"cross_entropy on a batch of {n}")
        check_array(np.array(got), np.array(reference.cross_entropy(probs, labels)), f"cross_entropy on a random batch of {n} with {c} classes", rtol=1e-4)


def test_probability_zero(mlp, reference, rng):
    probs, labels = _probs(rng, 5, 10)
    probs[2] = 0.0
    probs[2, (labels[2] + 1) % 10] = 1.0  # the true class gets probability exactly 0
    got = _scalar(mlp.cross_entropy(probs.copy(), labels.copy()), "cross_entropy with a zero probability")
    check(np.isfinite(got), "cross_entropy is not finite when the true class has probability 0: clip before the log")
    check_array(np.array(got), np.array(reference.cross_entropy(probs, labels)), "cross_entropy with a zero probability (clip at PROB_FLOOR = 1e-12)", rtol=1e-3)


def test_batch_of_one(mlp, reference, rng):
    probs, labels = _probs(rng, 1, 10)
    got = _scalar(mlp.cross_entropy(probs.copy(), labels.copy()), "cross_entropy on a batch of one")
    check_array(np.array(got), np.array(reference.cross_entropy(probs, labels)), "cross_entropy on a batch of one", rtol=1e-4)


def test_does_not_modify_inputs(mlp, rng):
    probs, labels = _probs(rng, 8, 10)
    probs[0, labels[0]] = 0.0
    before = (probs.copy(), labels.copy())
    mlp.cross_entropy(probs, labels)
    check(np.array_equal(probs, before[0]) and np.array_equal(labels, before[1]), "cross_entropy modified its inputs")
