"""sgd_step(params, grads, lr): params[k] -= lr * grads[k] IN PLACE for every key; returns None; grads untouched."""
from __future__ import annotations

import numpy as np
import pytest

from . import call, require_unmodified, show

pytestmark = pytest.mark.sgd_step

IN_PLACE = "update the arrays in place, e.g. params[k] -= lr * grads[k]"
SHAPES = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,), "W3": (2, 2), "b3": (2,)}


def make(dtype=np.float32, shapes: dict[str, tuple[int, ...]] = SHAPES, seed: int = 0):
    """(params, grads) with random values of the given dtype."""
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
    grads = {k: rng.uniform(0.5, 2.0, s).astype(dtype) * rng.choice([-1, 1], s) for k, s in shapes.items()}
    return params, grads


def step_and_check(mlp, params: dict, grads: dict, lr: float) -> None:
    """Run sgd_step and fail with the mistake's name unless every original array became p - lr * g."""
    __tracebackhide__ = True
    originals = dict(params)  # references to the caller's arrays: these must be the ones updated
    before = {k: v.copy() for k, v in params.items()}
    grads_before = {k: np.array(v, copy=True) for k, v in grads.items()}
    result = call(mlp, "sgd_step", params, grads, lr)
    if result is not None:
        pytest.fail(f"sgd_step must return None (it updates params in place), got {type(result).__name__}",
                    pytrace=False)
    tol = {"rtol": 1e-5, "atol": 1e-6}
    for key, original in originals.items():
        p, g = before[key], grads_before[key]
        want = p - lr * g
        if original.dtype != p.dtype:
            pytest.fail(f"params['{key}'] changed dtype from {p.dtype} to {original.dtype}", pytrace=False)
        if np.allclose(original, want, **tol):
            continue
        current = np.asarray(params.get(key))
        if current.shape == want.shape and np.allclose(current, want, **tol):
            problem = (f"params['{key}'] was replaced by a new array and the original array was left unchanged "
                       f"(the training loop keeps references to it): {IN_PLACE}")
        elif np.allclose(original, p + lr * g, **tol):
            problem = f"params['{key}'] moved UP the gradient: subtract, params[k] -= lr * grads[k]"
        elif np.allclose(original, p - g, **tol):
            problem = f"params['{key}'] moved by the whole gradient: multiply by the learning rate lr={lr}"
        elif np.array_equal(original, p):
            problem = (f"params['{key}'] is unchanged (assigning to a local name or a new dict does not reach "
                       f"the caller): {IN_PLACE}")
        else:
            index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(original - want)), want.shape))
            problem = (f"params['{key}'] has wrong values: at {index} expected p - lr * g = {want[index]:.6g}, "
                       f"got {original[index]:.6g} (p = {p[index]:.6g}, g = {g[index]:.6g}, lr = {lr})")
        pytest.fail(f"sgd_step: {problem}\n  before: {show(p)}\n  grads:  {show(g)}\n  after:  {show(original)}",
                    pytrace=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_updates_every_array_in_place(mlp, dtype):
    step_and_check(mlp, *make(dtype), lr=0.1)


@pytest.mark.parametrize("lr", [0.5, 0.001])
def test_learning_rate_scales_the_step(mlp, lr):
    step_and_check(mlp, *make(seed=1), lr=lr)


def test_hand_computed_step(mlp):
    params = {"W1": np.array([[1.0, 2.0]], dtype=np.float32), "b1": np.array([0.5], dtype=np.float32)}
    grads = {"W1": np.array([[10.0, -20.0]], dtype=np.float32), "b1": np.array([1.0], dtype=np.float32)}
    W1, b1 = params["W1"], params["b1"]
    step_and_check(mlp, params, grads, 0.1)
    if not (np.allclose(W1, [[0.0, 4.0]]) and np.allclose(b1, [0.4])):
        pytest.fail(f"sgd_step: expected W1 = [[0, 4]] and b1 = [0.4], got {show(W1)} and {show(b1)}", pytrace=False)


def test_batch_of_one_shapes(mlp):
    step_and_check(mlp, *make(shapes={"W1": (1, 1), "b1": (1,)}, seed=2), lr=0.1)


def test_does_not_modify_grads(mlp):
    params, grads = make(seed=3)
    before = {k: v.copy() for k, v in grads.items()}
    call(mlp, "sgd_step", params, grads, 0.1)
    for key, value in before.items():
        require_unmodified("sgd_step", f"grads['{key}'] (the training loop reuses it as momentum)",
                           value, np.asarray(grads[key]))
