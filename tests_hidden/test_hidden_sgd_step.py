"""Hidden tests of sgd_step: random six-key parameter dicts and rates; the values, the in-place update and the
untouched grads are separate checks."""
import numpy as np
import pytest

from tests_hidden.checks import check, check_array, unchanged

pytestmark = pytest.mark.sgd_step


def _state(rng, sizes=None):
    """(params, grads): the six keys W1..b3 of a random small network (or of ``sizes``), float32."""
    sizes = sizes or tuple(int(s) for s in rng.integers(1, 20, size=4))
    shapes = {name: shape for k in (1, 2, 3) for name, shape in
              ((f"W{k}", (sizes[k - 1], sizes[k])), (f"b{k}", (sizes[k],)))}
    params = {k: rng.random(s, dtype=np.float32) - np.float32(0.5) for k, s in shapes.items()}
    grads = {k: rng.random(s, dtype=np.float32) * np.float32(4) - np.float32(2) for k, s in shapes.items()}
    return params, grads


def _expected(reference, params, grads, lr):
    expected = {k: v.copy() for k, v in params.items()}
    reference.sgd_step(expected, grads, lr)
    return expected


def test_random_update(mlp, reference, rng):
    params, grads = _state(rng)
    lr = float(rng.uniform(0.001, 0.5))
    expected = _expected(reference, params, grads, lr)
    result = mlp.sgd_step(params, grads, lr)
    check(result is None, f"sgd_step returned {type(result).__name__}, expected None (update in place)")
    for key in expected:
        check(key in params, f"sgd_step removed params[{key!r}]")
        check_array(params[key], expected[key], f"sgd_step update of {key} with lr={lr:.3g}", rtol=1e-5, atol=1e-7)


def test_updates_in_place(mlp, reference, rng):
    params, grads = _state(rng)
    expected = _expected(reference, params, grads, 0.1)
    originals = dict(params)
    mlp.sgd_step(params, grads, 0.1)
    for key, original in originals.items():
        check(params.get(key) is original, f"sgd_step put a new array in params[{key!r}]: update the existing one in place (-=)")
        check_array(original, expected[key], f"sgd_step's in-place update of {key}", rtol=1e-5, atol=1e-7)


def test_does_not_modify_grads(mlp, rng):
    params, grads = _state(rng)
    before = {k: v.copy() for k, v in grads.items()}
    mlp.sgd_step(params, grads, float(rng.uniform(0.001, 0.5)))
    unchanged(before, grads, "sgd_step")


def test_zero_learning_rate_changes_nothing(mlp, rng):
    params, grads = _state(rng)
    before = {k: v.copy() for k, v in params.items()}
    mlp.sgd_step(params, grads, 0.0)
    unchanged(before, params, "sgd_step with lr=0")


def test_full_network_shapes(mlp, reference, rng):
    params, grads = _state(rng, reference.LAYER_SIZES)
    grads = {k: g * np.float32(0.01) for k, g in grads.items()}
    expected = _expected(reference, params, grads, 0.05)
    mlp.sgd_step(params, grads, 0.05)
    for key in expected:
        check_array(params.get(key), expected[key], f"sgd_step on the full network's {key}", rtol=1e-5, atol=1e-7)
