"""Hidden tests of relu_grad: random shapes and dtypes, exact zeros, no mutation."""
import numpy as np
import pytest

from tests_hidden.checks import check, check_array

pytestmark = pytest.mark.relu_grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_shapes_and_dtypes(mlp, reference, rng, dtype):
    for ndim in (1, 2, 3):
        shape = tuple(int(s) for s in rng.integers(1, 9, size=ndim))
        z = rng.standard_normal(shape).astype(dtype)
        z.flat[:: max(1, z.size // 3)] = 0.0  # some exact zeros
        check_array(mlp.relu_grad(z.copy()), reference.relu_grad(z), f"relu_grad on a {dtype.__name__} array of shape {shape}", dtype=np.dtype(dtype))


def test_zero_and_extremes(mlp, reference):
    z = np.array([[0.0, -0.0, 1e-30, -1e-30, 1e30, -1e30]], dtype=np.float32)
    check_array(mlp.relu_grad(z.copy()), reference.relu_grad(z), "relu_grad at 0, -0, tiny and huge values")


def test_does_not_modify_input(mlp, rng):
    z = rng.standard_normal((5, 7)).astype(np.float32)
    before = z.copy()
    mlp.relu_grad(z)
    check(np.array_equal(z, before), "relu_grad modified its input z")


def test_hidden_layer_size(mlp, reference, rng):
    z = rng.standard_normal((256, 128)).astype(np.float32)
    check_array(mlp.relu_grad(z.copy()), reference.relu_grad(z), "relu_grad on a (256, 128) batch", dtype=np.float32)
