"""Hidden tests of adam_step (optional extension): random six-key dicts, hyper-parameters, dtypes and step counts,
compared with Kingma & Ba's Algorithm 1 computed here in float64; the step count, the in-place update, the untouched
grads, eps's place and the default hyper-parameters are separate checks.

The ranges keep every verdict clear on every seed: gradients of size 0.1-2 (or 1e-4-1e-3 where eps must matter),
eps = 1e-8 except in the eps test, step counts where the bias correction is far from 1.
"""
import numpy as np
import pytest

from tests_hidden.checks import check, check_update, signed, unchanged
from tests_public.optimizers import KEYS, shapes_of

pytestmark = pytest.mark.adam_step

def _problem(rng, sizes=None, dtype=None):
    """(params, dtype, shapes) of a random network."""
    sizes = sizes or tuple(int(s) for s in rng.integers(1, 20, size=4))
    dtype = dtype or (np.float32 if rng.random() < 0.5 else np.float64)
    shapes = shapes_of(sizes)
    return {k: rng.random(s, dtype=dtype) - dtype(0.5) for k, s in shapes.items()}, dtype, shapes


def _fresh(params):
    return {"t": 0, "m": {k: np.zeros_like(p) for k, p in params.items()},
            "v": {k: np.zeros_like(p) for k, p in params.items()}}


def _hyper(rng):
    """(lr, beta1, beta2): ranges where the bias correction and both betas matter."""
    return float(rng.uniform(1e-3, 0.05)), float(rng.uniform(0.8, 0.95)), float(rng.uniform(0.99, 0.9999))


def _algorithm_1(params, grads, state, lr, beta1, beta2, eps):
    """(params, m, v) after one step from ``state``, in float64, as the paper writes it."""
    t = int(state["t"]) + 1
    out = {"params": {}, "m": {}, "v": {}}
    for k in KEYS:
        g = np.asarray(grads[k], dtype=np.float64)
        m = beta1 * np.asarray(state["m"][k], dtype=np.float64) + (1.0 - beta1) * g
        v = beta2 * np.asarray(state["v"][k], dtype=np.float64) + (1.0 - beta2) * g**2
        m_corrected, v_corrected = m / (1.0 - beta1**t), v / (1.0 - beta2**t)
        out["params"][k] = np.asarray(params[k], dtype=np.float64) - lr * m_corrected / (v_corrected**0.5 + eps)
        out["m"][k], out["v"][k] = m, v
    return out


def _step(mlp, params, grads, state, lr, hyper, what):
    """One checked step, hyper = (beta1, beta2, eps) or () for adam_step's defaults."""
    want = _algorithm_1(params, grads, state, lr, *(hyper or (0.9, 0.999, 1e-8)))
    t0 = int(state["t"])
    inputs = {"params": {k: (params[k].copy(),) for k in KEYS},
              "m": {k: (state["m"][k].copy(), grads[k]) for k in KEYS},
              "v": {k: (state["v"][k].copy(), np.square(grads[k], dtype=np.float64)) for k in KEYS}}
    result = mlp.adam_step(params, grads, state, lr, *hyper)
    check(result is None, f"adam_step returned {type(result).__name__}, expected None (update in place)")
    t = state.get("t")
    check(isinstance(t, (int, float, np.integer, np.floating)) and not isinstance(t, bool) and t == t0 + 1,
          f"adam_step {what}: state['t'] was {t0} before the step and is {t!r} after, expected {t0 + 1}")
    for name in ("m", "v"):
        check(isinstance(state.get(name), dict), f"adam_step removed state[{name!r}]")
        for key in KEYS:
            check(key in state[name], f"adam_step removed state[{name!r}][{key!r}]")
            check_update(state[name][key], want[name][key], f"adam_step's {name} of {key} {what}", *inputs[name][key])
    for key in KEYS:
        check(key in params, f"adam_step removed params[{key!r}]")
        check_update(params[key], want["params"][key], f"adam_step's update of {key} {what}", *inputs["params"][key])


def test_adam_random_steps(mlp, rng):
    params, dtype, shapes = _problem(rng)
    lr, beta1, beta2 = _hyper(rng)
    state = _fresh(params)
    for step in range(1, int(rng.integers(3, 6)) + 1):
        _step(mlp, params, signed(rng, shapes, dtype), state, lr, (beta1, beta2, 1e-8),
              f"at step {step} (lr={lr:.3g}, beta1={beta1:.3g}, beta2={beta2:.4g}, {np.dtype(dtype)})")


def test_adam_continues_from_a_later_state(mlp, rng):
    params, dtype, shapes = _problem(rng)
    lr, beta1, beta2 = _hyper(rng)
    t0 = int(rng.integers(1, 50))
    state = {"t": t0, "m": signed(rng, shapes, dtype, 0.01, 1.0),
             "v": {k: x * x for k, x in signed(rng, shapes, dtype, 0.1, 2.0).items()}}
    for step in (1, 2):
        _step(mlp, params, signed(rng, shapes, dtype), state, lr, (beta1, beta2, 1e-8),
              f"from t={t0}, step {step} (beta1={beta1:.3g}, beta2={beta2:.4g})")


def test_adam_updates_in_place(mlp, rng):
    params, dtype, shapes = _problem(rng)
    grads, state = signed(rng, shapes, dtype), _fresh(params)
    want = _algorithm_1(params, grads, state, 0.01, 0.9, 0.999, 1e-8)
    originals = {"params": dict(params), "m": dict(state["m"]), "v": dict(state["v"])}
    inputs = {"params": params, "m": grads, "v": {k: np.square(g, dtype=np.float64) for k, g in grads.items()}}
    inputs = {name: {k: v.copy() for k, v in arrays.items()} for name, arrays in inputs.items()}
    mlp.adam_step(params, grads, state, 0.01, 0.9, 0.999, 1e-8)
    for name, arrays in originals.items():
        now = params if name == "params" else state.get(name)
        where = "params[{!r}]" if name == "params" else f"state[{name!r}][{{!r}}]"
        for key, original in arrays.items():
            check(isinstance(now, dict) and now.get(key) is original,
                  f"adam_step put a new array in {where.format(key)}: update the existing one in place")
            check_update(original, want[name][key], f"adam_step's in-place update of {where.format(key)}", inputs[name][key])


def test_adam_leaves_grads_alone(mlp, rng):
    params, dtype, shapes = _problem(rng)
    grads = signed(rng, shapes, dtype)
    before = {k: v.copy() for k, v in grads.items()}
    mlp.adam_step(params, grads, _fresh(params), float(rng.uniform(1e-3, 0.05)))
    unchanged(before, grads, "adam_step")


def test_adam_eps_with_tiny_gradients(mlp, rng):
    params, dtype, shapes = _problem(rng)
    lr, beta1, beta2 = _hyper(rng)
    eps = float(10 ** rng.uniform(-4, -3))
    state = _fresh(params)
    for step in (1, 2):
        _step(mlp, params, signed(rng, shapes, dtype, 1e-4, 1e-3), state, lr, (beta1, beta2, eps),
              f"with gradients below 1e-3 and eps={eps:.3g}, step {step}")


def test_adam_zero_gradients_move_nothing(mlp, rng):
    params, dtype, shapes = _problem(rng)
    grads = {k: g * (rng.random(g.shape) < 0.5).astype(dtype) for k, g in signed(rng, shapes, dtype).items()}
    before = {k: v.copy() for k, v in params.items()}
    _step(mlp, params, grads, _fresh(params), 0.01, (0.9, 0.999, 1e-8), "where some gradients are exactly 0")
    for key in KEYS:
        still = grads[key] == 0
        check(bool(np.array_equal(params[key][still], before[key][still])),
              f"adam_step moved entries of {key} whose gradient is 0 (at the first step they must stay put)")


def test_adam_default_hyper_parameters(mlp, rng):
    params, dtype, shapes = _problem(rng)
    state = _fresh(params)
    for step in (1, 2):
        _step(mlp, params, signed(rng, shapes, dtype), state, 0.01, (),
              f"called with lr only (defaults beta1=0.9, beta2=0.999, eps=1e-8), step {step}")
