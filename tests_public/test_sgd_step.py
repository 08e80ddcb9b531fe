"""sgd_step(params, grads, lr): params[k] -= lr * grads[k] IN PLACE for every key; returns None; grads untouched.

Every dict holds the six keys W1, b1, W2, b2, W3, b3, as in training.
"""
from __future__ import annotations

import numpy as np
import pytest

from . import call, require_unmodified, show
from .optimizers import SHAPES, check_updated, copies, shapes_of

pytestmark = pytest.mark.sgd_step

IN_PLACE = ("sgd_step must update the existing arrays in place, e.g. params[k] -= lr * grads[k] (see its "
            "docstring)")
def make(dtype=np.float32, shapes: dict[str, tuple[int, ...]] = SHAPES, seed: int = 0):
    """(params, grads) with random values, both of the given dtype."""
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
    grads = {k: (rng.uniform(0.5, 2.0, s) * rng.choice([-1, 1], s)).astype(dtype) for k, s in shapes.items()}
    return params, grads


def step_and_check(mlp, params: dict, grads: dict, lr: float, in_place: bool = False) -> None:
    """Run sgd_step and fail with the mistake's name unless every params[k] became p - lr * g (with
    ``in_place``: unless every ORIGINAL array did, which is what updating in place means)."""
    __tracebackhide__ = True
    originals = dict(params)  # references to the caller's arrays
    before = copies(params)
    grads_before = copies(grads)
    result = call(mlp, "sgd_step", params, grads, lr)
    if result is not None:
        pytest.fail(f"sgd_step must return None (it updates params in place), got {type(result).__name__}",
                    pytrace=False)
    right: list[str] = []
    for key, original in originals.items():
        p, g = before[key], grads_before[key]
        mistakes = [("moved UP the gradient: subtract, params[k] -= lr * grads[k]", p + lr * g),
                    (f"moved by the whole gradient: multiply by the learning rate lr={lr}", p - g)]
        check_updated("sgd_step", f"params['{key}']", original if in_place else params.get(key), p - lr * g, p,
                      mistakes, {"grads": g, "lr": lr}, in_place=IN_PLACE,
                      current=params.get(key) if in_place else None, updated=right)
        right.append(key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_updates_every_array_in_place(mlp, dtype):
    step_and_check(mlp, *make(dtype), lr=0.1, in_place=True)


@pytest.mark.parametrize("lr", [0.5, 0.001])
def test_learning_rate_scales_the_step(mlp, lr):
    step_and_check(mlp, *make(seed=1), lr=lr)


def test_hand_computed_step(mlp):
    params = {k: np.ones(s, dtype=np.float32) for k, s in shapes_of((1, 2, 1, 1)).items()}
    grads = {k: np.full(s, -1.0, dtype=np.float32) for k, s in shapes_of((1, 2, 1, 1)).items()}
    params["W1"][:], params["b1"][:], grads["W1"][:], grads["b1"][:] = [[1.0, 2.0]], 0.5, [[10.0, -20.0]], 1.0
    step_and_check(mlp, params, grads, 0.1)
    W1, b1, W3 = params["W1"], params["b1"], params["W3"]  # what params holds now (in place or not: own test)
    if not (np.allclose(W1, [[0.0, 4.0]]) and np.allclose(b1, [0.4, 0.4]) and np.allclose(W3, [[1.1]])):
        pytest.fail(f"sgd_step with lr=0.1: expected W1 = [[0, 4]], b1 = [0.4, 0.4] and W3 = [[1.1]], got "
                    f"{show(W1)}, {show(b1)} and {show(W3)}", pytrace=False)


def test_smallest_shapes(mlp):
    step_and_check(mlp, *make(shapes=shapes_of((1, 1, 1, 1)), seed=2), lr=0.1)


def test_does_not_modify_grads(mlp):
    params, grads = make(seed=3)
    before = {k: v.copy() for k, v in grads.items()}
    call(mlp, "sgd_step", params, grads, 0.1)
    for key, value in before.items():
        require_unmodified("sgd_step", f"grads['{key}'] (the training loop reuses it as momentum)",
                           value, np.asarray(grads[key]))
