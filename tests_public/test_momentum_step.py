"""momentum_step(params, grads, velocity, lr, momentum), optional extension: for every key,
velocity[k] = momentum * velocity[k] + grads[k], then params[k] -= lr * velocity[k], both IN PLACE; returns None;
grads untouched. Expected values are computed here in float64 from those two formulas."""
from __future__ import annotations

import numpy as np
import pytest

from . import call, require_unmodified
from .optimizers import check_updated, copies, random_dicts, shapes_of

pytestmark = pytest.mark.momentum_step

IN_PLACE = ("momentum_step must update the existing arrays in place, e.g. velocity[k] *= momentum, then "
            "velocity[k] += grads[k] and params[k] -= lr * velocity[k] (see its docstring)")


STILL = ("is unchanged although velocity was updated: then move params[k] -= lr * velocity[k] with the NEW "
         "velocity (from a zero velocity, a step with the old one does not move at all)")


def velocity_mistakes(v: np.ndarray, g: np.ndarray, lr: float, momentum: float) -> list[tuple[str, np.ndarray]]:
    """What a velocity holds after the usual mistakes (v: before the step, g: the gradient)."""
    return [
        ("holds momentum * v - lr * g, another convention: here the velocity sums gradients, velocity[k] = "
         "momentum * velocity[k] + grads[k], and lr is used only to update params", momentum * v - lr * g),
        ("holds momentum * v + lr * g: the velocity sums gradients without lr, velocity[k] = momentum * "
         "velocity[k] + grads[k]; lr is used only to update params", momentum * v + lr * g),
        ("holds momentum * v + (1 - momentum) * g, an average of the gradients (dampening): here "
         "velocity[k] = momentum * velocity[k] + grads[k]", momentum * v + (1 - momentum) * g),
        ("holds momentum * (v + g): momentum scales only the old velocity, then the gradient is added",
         momentum * (v + g)),
        ("holds v + momentum * g: momentum scales the old velocity, not the gradient", v + momentum * g),
        ("holds the gradient alone: the old velocity was dropped (velocity[k] = momentum * velocity[k] + grads[k])",
         g),
        ("holds momentum * v: the gradient was not added (velocity[k] = momentum * velocity[k] + grads[k])",
         momentum * v),
    ]


def params_mistakes(p: np.ndarray, v: np.ndarray, g: np.ndarray, lr: float,
                    momentum: float) -> list[tuple[str, np.ndarray]]:
    """What a parameter holds after the usual mistakes, given a correct velocity update."""
    new = momentum * v + g
    return [
        ("moved by lr * grads, not by lr * velocity: after updating the velocity, params[k] -= lr * velocity[k]",
         p - lr * g),
        ("moved with the OLD velocity: update velocity[k] first, then params[k] -= lr * velocity[k]", p - lr * v),
        ("moved UP: subtract, params[k] -= lr * velocity[k]", p + lr * new),
        (f"moved by the whole velocity: multiply it by the learning rate lr={lr}", p - new),
    ]


def step_and_check(mlp, params: dict, grads: dict, velocity: dict, lr: float, momentum: float,
                   in_place: bool = False) -> None:
    """Run momentum_step and fail with the mistake's name unless every velocity[k] and params[k] holds its new value
    (with ``in_place``: unless every ORIGINAL array does)."""
    __tracebackhide__ = True
    originals = {"params": dict(params), "velocity": dict(velocity)}
    p0, g0, v0 = copies(params), copies(grads), copies(velocity)
    result = call(mlp, "momentum_step", params, grads, velocity, lr, momentum)
    if result is not None:
        pytest.fail(f"momentum_step must return None (it updates params and velocity in place), got "
                    f"{type(result).__name__}", pytrace=False)
    settings = {"lr": lr, "momentum": momentum}
    for name, now, want, mistakes in (
            ("velocity", velocity, {k: momentum * v0[k] + g0[k] for k in v0},
             lambda k: velocity_mistakes(v0[k], g0[k], lr, momentum)),
            ("params", params, {k: p0[k] - lr * (momentum * v0[k] + g0[k]) for k in p0},
             lambda k: params_mistakes(p0[k], v0[k], g0[k], lr, momentum))):
        right: list[str] = []
        for key, original in originals[name].items():
            got = original if in_place else now.get(key)
            before = p0[key] if name == "params" else v0[key]
            context = {"grads": g0[key]} | ({"velocity": v0[key]} if name == "params" else {}) | settings
            check_updated("momentum_step", f"{name}['{key}']", got, want[key], before, mistakes(key), context,
                          in_place=IN_PLACE, current=now.get(key) if in_place else None, updated=right,
                          unchanged=STILL if name == "params" and not in_place else "")
            right.append(key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_updates_params_and_velocity_in_place(mlp, dtype):
    params, grads, velocity = random_dicts(3, dtype)
    step_and_check(mlp, params, grads, velocity, lr=0.05, momentum=0.9, in_place=True)


def test_first_step_from_zero_velocity_is_an_sgd_step(mlp):
    params, grads = random_dicts(2, seed=1)
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    step_and_check(mlp, params, grads, velocity, lr=0.05, momentum=0.9)


def test_velocity_carries_over_from_step_to_step(mlp):
    params, velocity, *steps = random_dicts(5, seed=2)
    for grads in steps:  # the same dicts every step, as in training
        step_and_check(mlp, params, grads, velocity, lr=0.01, momentum=0.8)


@pytest.mark.parametrize("momentum", [0.0, 0.6, 0.99])
def test_momentum_scales_the_old_velocity(mlp, momentum):
    params, grads, velocity = random_dicts(3, seed=3)
    step_and_check(mlp, params, grads, velocity, lr=0.1, momentum=momentum)


def test_hand_computed_step(mlp):
    params = {k: np.ones(s, dtype=np.float32) for k, s in shapes_of((1, 2, 1, 1)).items()}
    grads = {k: np.ones(s, dtype=np.float32) for k, s in shapes_of((1, 2, 1, 1)).items()}
    velocity = {k: np.full(s, 2.0, dtype=np.float32) for k, s in shapes_of((1, 2, 1, 1)).items()}
    step_and_check(mlp, params, grads, velocity, lr=0.1, momentum=0.75)
    W1, v1 = params["W1"], velocity["W1"]
    if not (np.allclose(v1, 2.5) and np.allclose(W1, 0.75)):  # v = 0.75 * 2 + 1 = 2.5, p = 1 - 0.1 * 2.5 = 0.75
        pytest.fail(f"momentum_step with p = 1, v = 2, g = 1, lr = 0.1, momentum = 0.75: expected velocity 2.5 "
                    f"(0.75 * 2 + 1) and params 0.75 (1 - 0.1 * 2.5), got {v1.ravel()[0]:.6g} and {W1.ravel()[0]:.6g}",
                    pytrace=False)


def test_smallest_shapes(mlp):
    step_and_check(mlp, *random_dicts(3, shapes=shapes_of((1, 1, 1, 1)), seed=4), lr=0.05, momentum=0.9)


def test_does_not_modify_grads(mlp):
    params, grads, velocity = random_dicts(3, seed=5)
    before = {k: v.copy() for k, v in grads.items()}
    call(mlp, "momentum_step", params, grads, velocity, 0.1, 0.9)
    for key, value in before.items():
        require_unmodified("momentum_step", f"grads['{key}']", value, np.asarray(grads[key]))
