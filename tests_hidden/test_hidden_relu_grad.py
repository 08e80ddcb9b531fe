"""Hidden tests of relu_grad: random shapes, exact zeros, extremes, dtype (its own check), no mutation."""
import numpy as np
import pytest

from tests_hidden.checks import check, check_array, check_dtype

pytestmark = pytest.mark.relu_grad

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_shapes(mlp, reference, rng, dtype):
    for ndim in (1, 2, 3):
        shape = tuple(int(s) for s in rng.integers(1, 9, size=ndim))
        z = rng.standard_normal(shape).astype(dtype)
        z.flat[:: max(1, z.size // 3)] = 0.0  # some exact zeros
        check_array(mlp.relu_grad(z.copy()), reference.relu_grad(z), f"relu_grad on a {dtype.__name__} array of shape {shape}")


def test_zero_and_extremes(mlp, reference):
    z = np.array([[0.0, -0.0, 1e-30, -1e-30, 1e30, -1e30]], dtype=np.float32)
    check_array(mlp.relu_grad(z.copy()), reference.relu_grad(z), "relu_grad at 0, -0, tiny and huge values")


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype(mlp, rng, dtype):
    z = rng.standard_normal((6, 10)).astype(dtype)  # a fixed shape: the verdict must not depend on the seed
    check_dtype(mlp.relu_grad(z.copy()), np.dtype(dtype), f"relu_grad on a {dtype.__name__} array")


def test_does_not_modify_input(mlp, rng):
    for shape in ((5, 7), (512, 128)):  # small and large: the mutation check covers both
        z = rng.random(shape, dtype=np.float32) - np.float32(0.5)
        before = z.copy()
        mlp.relu_grad(z)
        check(np.array_equal(z, before), f"relu_grad modified its input z (shape {shape})")


def test_hidden_layer_size(mlp, reference, rng):
    z = rng.standard_normal((256, 128)).astype(np.float32)
    check_array(mlp.relu_grad(z.copy()), reference.relu_grad(z), "relu_grad on a (256, 128) batch")
