"""Hidden tests of backward: the full 784-128-64-10 network, against the reference and a numerical check."""
import numpy as np
import pytest

from tests_hidden.checks import check, check_array, unchanged

pytestmark = pytest.mark.backward

KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


def _batch(reference, rng, n, dtype=np.float32):
    params = {k: v.astype(dtype) for k, v in reference.init_params(reference.LAYER_SIZES, rng).items()}
    for k in ("b1", "b2", "b3"):
        params[k] += (rng.standard_normal(params[k].shape) * 0.1).astype(dtype)
    X = rng.random((n, 784)).astype(dtype)
    labels = rng.integers(0, 10, size=n)
    _, cache = reference.forward(params, X)
    return params, cache, labels


def _loss(reference, params, X, labels):
    probs, _ = reference.forward(params, X)
    return reference.cross_entropy(probs, labels)


@pytest.mark.parametrize("n", [1, 17])
def test_full_network_against_reference(mlp, reference, rng, n):
    params, cache, labels = _batch(reference, rng, n)
    expected = reference.backward(params, cache, labels)
    grads = mlp.backward(params, cache, labels)
    check(isinstance(grads, dict), f"backward returned {type(grads).__name__}, expected a dict of gradients")
    check(set(grads) == set(KEYS), f"backward returned keys {sorted(grads)}, expected {list(KEYS)}")
    for key in KEYS:
        check_array(grads[key], expected[key], f"backward's gradient for {key} (batch of {n})", rtol=1e-3, atol=1e-6)


def test_numerical_gradient_on_full_network(mlp, reference, rng):
    """Centered differences in float64 at random entries of every parameter."""
    params, cache, labels = _batch(reference, rng, 4, np.float64)
    grads = mlp.backward(params, cache, labels)
    check(isinstance(grads, dict) and set(grads) == set(KEYS), "backward must return a dict with keys W1..b3")
    h = 1e-5
    for key in KEYS:
        analytic = np.asarray(grads[key], dtype=np.float64)
        check(analytic.shape == params[key].shape, f"backward's {key}: shape {analytic.shape}, expected {params[key].shape}")
        for flat in rng.choice(params[key].size, size=min(8, params[key].size), replace=False):
            index = np.unravel_index(flat, params[key].shape)
            old = params[key][index]
            params[key][index] = old + h
            plus = _loss(reference, params, cache["X"], labels)
            params[key][index] = old - h
            minus = _loss(reference, params, cache["X"], labels)
            params[key][index] = old
            numeric = (plus - minus) / (2 * h)
            error = abs(analytic[index] - numeric) / max(1e-8, abs(analytic[index]) + abs(numeric))
            check(error < 1e-4, f"backward's {key} fails the numerical gradient check at index {tuple(int(i) for i in index)} (relative error {error:.2g})")


def test_does_not_modify_inputs(mlp, reference, rng):
    params, cache, labels = _batch(reference, rng, 5)
    before_params = {k: v.copy() for k, v in params.items()}
    before_cache = {k: v.copy() for k, v in cache.items()}
    mlp.backward(params, cache, labels)
    unchanged(before_params, params, "backward")
    unchanged(before_cache, cache, "backward")


def test_float32_in_float32_out(mlp, reference, rng):
    params, cache, labels = _batch(reference, rng, 3)
    grads = mlp.backward(params, cache, labels)
    for key in KEYS:
        check(getattr(grads.get(key), "dtype", None) == np.float32, f"backward's {key} has dtype {getattr(grads.get(key), 'dtype', None)}, expected float32 for float32 inputs")
