"""Hidden tests of momentum_step (optional extension): random six-key dicts, rates, momenta and dtypes over several
steps, compared with the heavy-ball formulas computed here in float64; the in-place update and the untouched grads
are separate checks."""
import numpy as np
import pytest

from tests_hidden.checks import check, check_update, signed, unchanged
from tests_public.optimizers import KEYS, shapes_of

pytestmark = pytest.mark.momentum_step

def _problem(rng, sizes=None, dtype=None):
    """(params, velocity, dtype, shapes): a random network's parameters and a nonzero velocity."""
    sizes = sizes or tuple(int(s) for s in rng.integers(1, 20, size=4))
    dtype = dtype or (np.float32 if rng.random() < 0.5 else np.float64)
    shapes = shapes_of(sizes)
    params = {k: rng.random(s, dtype=dtype) - dtype(0.5) for k, s in shapes.items()}
    return params, signed(rng, shapes, dtype), dtype, shapes


def _expected(params, grads, velocity, lr, momentum):
    """(params, velocity) after one heavy-ball step, in float64: v = momentum * v + g; p = p - lr * v."""
    v = {k: momentum * np.asarray(velocity[k], dtype=np.float64) + np.asarray(grads[k], dtype=np.float64) for k in KEYS}
    return {k: np.asarray(params[k], dtype=np.float64) - lr * v[k] for k in KEYS}, v


def _step(mlp, params, grads, velocity, lr, momentum, what):
    """One checked step: the values in the caller's dicts afterwards, velocity first."""
    want_params, want_velocity = _expected(params, grads, velocity, lr, momentum)
    inputs = {k: (params[k].copy(), velocity[k].copy(), grads[k]) for k in KEYS}
    result = mlp.momentum_step(params, grads, velocity, lr, momentum)
    check(result is None, f"momentum_step returned {type(result).__name__}, expected None (update in place)")
    for key in KEYS:
        check(key in velocity and key in params, f"momentum_step removed the key {key!r}")
        check_update(velocity[key], want_velocity[key], f"momentum_step's velocity of {key} {what}", *inputs[key][1:])
    for key in KEYS:
        check_update(params[key], want_params[key], f"momentum_step's update of {key} {what}", inputs[key][0])


def test_momentum_random_steps(mlp, rng):
    params, velocity, dtype, shapes = _problem(rng)
    lr, momentum = float(rng.uniform(1e-3, 0.5)), float(rng.uniform(0.1, 0.95))
    for step in range(1, int(rng.integers(2, 5)) + 1):
        _step(mlp, params, signed(rng, shapes, dtype), velocity, lr, momentum,
              f"at step {step} (lr={lr:.3g}, momentum={momentum:.3g}, {np.dtype(dtype)})")


def test_momentum_first_step_from_zero_velocity(mlp, rng):
    params, _, dtype, shapes = _problem(rng)
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    lr, momentum = float(rng.uniform(1e-3, 0.5)), float(rng.uniform(0.1, 0.95))
    _step(mlp, params, signed(rng, shapes, dtype), velocity, lr, momentum,
          f"from a zero velocity (momentum={momentum:.3g})")


def test_momentum_zero_is_plain_sgd(mlp, rng):
    params, velocity, dtype, shapes = _problem(rng)
    _step(mlp, params, signed(rng, shapes, dtype), velocity, float(rng.uniform(1e-3, 0.5)), 0.0, "with momentum=0")


def test_momentum_updates_in_place(mlp, rng):
    params, velocity, dtype, shapes = _problem(rng)
    grads = signed(rng, shapes, dtype)
    want_params, want_velocity = _expected(params, grads, velocity, 0.1, 0.9)
    originals = {"params": dict(params), "velocity": dict(velocity)}
    inputs = {"params": {k: (v.copy(),) for k, v in params.items()},
              "velocity": {k: (v.copy(), grads[k]) for k, v in velocity.items()}}
    mlp.momentum_step(params, grads, velocity, 0.1, 0.9)
    for name, now, want in (("velocity", velocity, want_velocity), ("params", params, want_params)):
        for key, original in originals[name].items():
            check(now.get(key) is original,
                  f"momentum_step put a new array in {name}[{key!r}]: update the existing one in place")
            check_update(original, want[key], f"momentum_step's in-place update of {name}[{key!r}]", *inputs[name][key])


def test_momentum_leaves_grads_alone(mlp, rng):
    params, velocity, dtype, shapes = _problem(rng)
    grads = signed(rng, shapes, dtype)
    before = {k: v.copy() for k, v in grads.items()}
    mlp.momentum_step(params, grads, velocity, float(rng.uniform(1e-3, 0.5)), float(rng.uniform(0.1, 0.95)))
    unchanged(before, grads, "momentum_step")
