"""Hidden tests of sgd_step: random parameter dicts and rates, in-place update, grads untouched."""
import numpy as np
import pytest

from tests_hidden.checks import check, check_array, unchanged

pytestmark = pytest.mark.sgd_step


def _state(rng, reference):
    params = reference.init_params((int(rng.integers(3, 20)), int(rng.integers(3, 20)), 4), rng)
    grads = {k: rng.standard_normal(v.shape).astype(v.dtype) for k, v in params.items()}
    return params, grads


def test_random_update(mlp, reference, rng):
    params, grads = _state(rng, reference)
    lr = float(rng.uniform(0.001, 0.5))
    expected = {k: v.copy() for k, v in params.items()}
    reference.sgd_step(expected, grads, lr)
    originals = dict(params)
    grads_before = {k: v.copy() for k, v in grads.items()}
    result = mlp.sgd_step(params, grads, lr)
    check(result is None, f"sgd_step returned {type(result).__name__}, expected None (update in place)")
    for key in expected:
        check(params[key] is originals[key], f"sgd_step replaced params[{key!r}] with a new array: update it in place (-=)")
        check_array(params[key], expected[key], f"sgd_step update of {key} with lr={lr:.3g}", rtol=1e-5, atol=1e-7, dtype=np.float32)
    unchanged(grads_before, grads, "sgd_step")


def test_zero_learning_rate_changes_nothing(mlp, reference, rng):
    params, grads = _state(rng, reference)
    before = {k: v.copy() for k, v in params.items()}
    mlp.sgd_step(params, grads, 0.0)
    unchanged(before, params, "sgd_step with lr=0")


def test_full_network_shapes(mlp, reference, rng):
    params = reference.init_params(reference.LAYER_SIZES, rng)
    grads = {k: (rng.standard_normal(v.shape) * 0.01).astype(np.float32) for k, v in params.items()}
    expected = {k: v.copy() for k, v in params.items()}
    reference.sgd_step(expected, grads, 0.05)
    mlp.sgd_step(params, grads, 0.05)
    for key in expected:
        check_array(params[key], expected[key], f"sgd_step on the full network's {key}", rtol=1e-5, atol=1e-7)
