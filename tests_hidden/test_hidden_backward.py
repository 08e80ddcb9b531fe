"""Hidden tests of backward: the full 784-128-64-10 network, against the reference and a numerical check.

Every call runs with a correct relu_grad in place of the submission's (``invoke(..., correct=CORRECT)``): a
mistake in relu_grad is charged to relu_grad's tests only.
"""
import numpy as np
import pytest

from tests_hidden.checks import check, check_array, check_dtype, unchanged
from tests_public import invoke
from tests_public.gradcheck import probe, relative_error

pytestmark = pytest.mark.backward

KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
CORRECT = ("relu_grad",)
H = 1e-5  # step of the centered differences
FLOOR = 1e-5  # below this |analytic| + |numeric| counts as 1e-5: the differences' roundoff is ~1e-10 (seed 7150)


def _batch(reference, rng, n, dtype=np.float32):
    """(params, cache, labels) of the full network: uniform He-scaled weights (variance 2 / fan_in, as
    init_params, but cheaper to draw), small random biases, a random batch of n."""
    sizes = reference.LAYER_SIZES
    params = {}
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{k}"] = ((rng.random((fan_in, fan_out)) - 0.5) * np.sqrt(24 / fan_in)).astype(dtype)
        params[f"b{k}"] = (rng.standard_normal(fan_out) * 0.1).astype(dtype)
    X = rng.random((n, 784)).astype(dtype)
    labels = rng.integers(0, 10, size=n)
    _, cache = reference.forward(params, X)
    return params, cache, labels


def _copies(tree: dict) -> dict:
    return {k: v.copy() for k, v in tree.items()}


def _backward(mlp, params, cache, labels):
    return invoke(mlp, "backward", params, cache, labels, correct=CORRECT)


def _probe(reference, params, X, labels) -> tuple[float, np.ndarray]:
    """(loss, which ReLUs are on) of the reference network at params."""
    probs, cache = reference.forward(params, X)
    return reference.cross_entropy(probs, labels), np.concatenate([cache["z1"] > 0, cache["z2"] > 0], axis=1)


@pytest.mark.parametrize("n", [1, 10, 64])
def test_full_network_against_reference(mlp, reference, rng, n):
    params, cache, labels = _batch(reference, rng, n)
    expected = reference.backward(params, cache, labels)
    grads = _backward(mlp, params, cache, labels)
    check(isinstance(grads, dict), f"backward returned {type(grads).__name__}, expected a dict of gradients")
    check(set(grads) == set(KEYS), f"backward returned keys {sorted(grads)}, expected {list(KEYS)}")
    for key in KEYS:
        check_array(grads[key], expected[key], f"backward's gradient for {key} (batch of {n})", rtol=1e-3, atol=1e-6)


def test_numerical_gradient_on_full_network(mlp, reference, rng):
    """Centered differences in float64 at random entries of every parameter, on copies of the inputs taken before
    the call; entries whose +-H step would switch a ReLU on or off (the kink, where the loss is not smooth) are
    skipped for the next candidate."""
    params, cache, labels = _batch(reference, rng, 4, np.float64)
    params_before, X, labels_before = _copies(params), cache["X"].copy(), labels.copy()
    grads = _backward(mlp, params, cache, labels)
    check(isinstance(grads, dict) and set(grads) == set(KEYS), "backward must return a dict with keys W1..b3")
    _, relus = _probe(reference, params_before, X, labels_before)
    for key in KEYS:
        analytic = np.asarray(grads[key], dtype=np.float64)
        check(analytic.shape == params_before[key].shape, f"backward's {key}: shape {analytic.shape}, expected {params_before[key].shape}")
        probed = 0
        for flat in rng.permutation(params_before[key].size):
            index = np.unravel_index(flat, params_before[key].shape)
            (plus, relus_plus), (minus, relus_minus) = probe(
                lambda _: _probe(reference, params_before, X, labels_before), params_before[key], index, H)
            if not (np.array_equal(relus_plus, relus) and np.array_equal(relus_minus, relus)):
                continue  # the step crosses a ReLU kink
            numeric = (plus - minus) / (2 * H)
            error = relative_error(analytic[index], numeric, FLOOR)
            check(error < 1e-4, f"backward's {key} fails the numerical gradient check at index {tuple(int(i) for i in index)} (relative error {error:.2g})")
            probed += 1
            if probed == 8:
                break


def test_does_not_modify_inputs(mlp, reference, rng):
    params, cache, labels = _batch(reference, rng, 64)
    before_params, before_cache = _copies(params), _copies(cache)
    _backward(mlp, params, cache, labels)
    unchanged(before_params, params, "backward")
    unchanged(before_cache, cache, "backward")


def test_float32_in_float32_out(mlp, reference, rng):
    params, cache, labels = _batch(reference, rng, 3)
    grads = _backward(mlp, params, cache, labels)
    check(isinstance(grads, dict), f"backward returned {type(grads).__name__}, expected a dict of gradients")
    for key in KEYS:
        check(key in grads, f"backward returned no gradient for {key}")
        check_dtype(grads[key], np.dtype(np.float32), f"backward's {key} for float32 params and cache")
