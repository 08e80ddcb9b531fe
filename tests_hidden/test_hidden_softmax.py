"""Hidden tests of softmax: shapes that catch a guessed class axis, extreme logits, batch of one, dtype (its own
check), no mutation on small and large inputs."""
import numpy as np
import pytest

from tests_hidden.checks import check, check_array, check_dtype

pytestmark = pytest.mark.softmax

DTYPES = [np.float32, np.float64]


def shapes(rng: np.random.Generator) -> list[tuple[int, int]]:
    """Every run: N = 1, N == C, C != 10 with N < C and with N > C, C == 10 with N < 10 and N > 10."""
    c = int(rng.choice([c for c in range(2, 40) if c != 10]))
    return [(1, int(rng.integers(2, 40))), (c, c), (int(rng.integers(1, c)) if c > 2 else 1, c),
            (int(rng.integers(c + 1, 80)), c), (int(rng.integers(2, 10)), 10), (int(rng.integers(11, 300)), 10)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_shapes(mlp, reference, rng, dtype):
    for n, c in shapes(rng):
        logits = (rng.standard_normal((n, c)) * rng.uniform(0.1, 20)).astype(dtype)
        check_array(mlp.softmax(logits.copy()), reference.softmax(logits), f"softmax on random {dtype.__name__} logits of shape {(n, c)}", rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype(mlp, rng, dtype):
    logits = rng.standard_normal((6, 10)).astype(dtype)  # a fixed shape: the verdict must not depend on the seed
    check_dtype(mlp.softmax(logits.copy()), np.dtype(dtype), f"softmax on {dtype.__name__} logits")


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
    for shape in ((4, 10), (64, 10), (10_000, 10)):  # a training batch and a whole evaluation batch too
        logits = (rng.random(shape, dtype=np.float32) - np.float32(0.5)) * np.float32(10)
        before = logits.copy()
        mlp.softmax(logits)
        check(np.array_equal(logits, before), f"softmax modified its input logits (shape {shape})")
