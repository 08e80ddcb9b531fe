"""Hidden tests of softmax: random shapes, extreme logits, batch of one, dtype, no mutation."""
import numpy as np
import pytest

from tests_hidden.checks import check, check_array

pytestmark = pytest.mark.softmax


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_shapes(mlp, reference, rng, dtype):
    for _ in range(3):
        n, c = (int(v) for v in rng.integers(1, 40, size=2))
        logits = (rng.standard_normal((n, c)) * rng.uniform(0.1, 20)).astype(dtype)
        check_array(mlp.softmax(logits.copy()), reference.softmax(logits), f"softmax on random {dtype.__name__} logits of shape {(n, c)}", rtol=1e-4, atol=1e-6, dtype=np.dtype(dtype))


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_extreme_logits(mlp, reference, rng, scale):
    logits = rng.standard_normal((6, 10)).astype(np.float32)
    logits[np.arange(6), rng.integers(0, 10, size=6)] += scale
    check_array(mlp.softmax(logits.copy()), reference.softmax(logits), f"softmax with one logit of {scale:+g} per row", atol=1e-6)


def test_rows_of_very_different_scale(mlp, reference):
    logits = np.array([[800.0, 0.0, 1.0], [0.0, -800.0, 2.0], [3.0, 3.0, 3.0]], dtype=np.float64)
    check_array(mlp.softmax(logits.copy()), reference.softmax(logits), "softmax on rows of very different scale (each row needs its own max)")


def test_batch_of_one(mlp, reference, rng):
    logits = rng.standard_normal((1, 10)).astype(np.float32)
    check_array(mlp.softmax(logits.copy()), reference.softmax(logits), "softmax on a batch of one", rtol=1e-4)


def test_does_not_modify_input(mlp, rng):
    logits = rng.standard_normal((4, 10)).astype(np.float32) * 5
    before = logits.copy()
    mlp.softmax(logits)
    check(np.array_equal(logits, before), "softmax modified its input logits")
