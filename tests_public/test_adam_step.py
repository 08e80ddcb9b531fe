"""adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8), optional extension: one step of Adam
(Kingma & Ba 2015, Algorithm 1), IN PLACE: state["t"] goes up by one, state["m"][k], state["v"][k] and params[k]
get their new values in the same arrays; returns None; grads untouched.

The expected values are computed here in float64 from the paper's formulas (``paper_step``).
"""
from __future__ import annotations

import numpy as np
import pytest

from . import call, require_unmodified
from .optimizers import check_updated, copies, random_dicts, shapes_of

pytestmark = pytest.mark.adam_step

IN_PLACE = ("adam_step must update the existing arrays in place: params[k] -= ..., and state['m'][k], "
            "state['v'][k] with *= and += (see its docstring)")
DEFAULTS = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def zero_state(params: dict) -> dict:
    """The state before the first step (what adam_state returns), built here."""
    return {"t": 0, "m": {k: np.zeros_like(p) for k, p in params.items()},
            "v": {k: np.zeros_like(p) for k, p in params.items()}}


def paper_step(p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, t: int, lr: float, beta1: float,
               beta2: float, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Algorithm 1 of Kingma & Ba for one array, in float64: (params, first moment, second moment) after step t
    (t counts from 1)."""
    first = beta1 * m + (1 - beta1) * g
    second = beta2 * v + (1 - beta2) * np.square(g)
    unbiased_first, unbiased_second = first / (1 - beta1**t), second / (1 - beta2**t)
    return p - lr * unbiased_first / (np.sqrt(unbiased_second) + eps), first, second


def moment_mistakes(m: np.ndarray, v: np.ndarray, g: np.ndarray, t: int, beta1: float,
                    beta2: float) -> dict[str, list[tuple[str, np.ndarray]]]:
    """What state['m'][k] and state['v'][k] hold after the usual mistakes (t: the new step count)."""
    first, second = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
    return {"m": [
        ("is beta1 * m + g: scale the gradient by (1 - beta1), m = beta1 * m + (1 - beta1) * g", beta1 * m + g),
        ("has beta1 and 1 - beta1 swapped: m = beta1 * m + (1 - beta1) * g", (1 - beta1) * m + beta1 * g),
        ("was updated with beta2: the first moment uses beta1", beta2 * m + (1 - beta2) * g),
        ("holds the bias-corrected moment: keep the raw m in the state and correct a copy, m_hat = m / (1 - beta1 "
         "** t)", first / (1 - beta1**t)),
    ], "v": [
        ("averages the gradient, not its square: v = beta2 * v + (1 - beta2) * g * g", beta2 * v + (1 - beta2) * g),
        ("averages |g|, not its square: v = beta2 * v + (1 - beta2) * g * g", beta2 * v + (1 - beta2) * np.abs(g)),
        ("is beta2 * v + g * g: scale the squared gradient by (1 - beta2)", beta2 * v + g * g),
        ("has beta2 and 1 - beta2 swapped: v = beta2 * v + (1 - beta2) * g * g", (1 - beta2) * v + beta2 * g * g),
        ("was updated with beta1: the second moment uses beta2", beta1 * v + (1 - beta1) * g * g),
        ("holds the bias-corrected moment: keep the raw v in the state and correct a copy, v_hat = v / (1 - beta2 "
         "** t)", second / (1 - beta2**t)),
    ]}


def params_mistakes(p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, t: int, lr: float, beta1: float,
                    beta2: float, eps: float) -> list[tuple[str, np.ndarray]]:
    """What a parameter holds after the usual mistakes in the update, given correct moments (t: the new count)."""
    first, second = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
    c1, c2 = 1 - beta1**t, 1 - beta2**t
    found = [
        ("moved without bias correction: divide m by (1 - beta1 ** t) and v by (1 - beta2 ** t), t counting this "
         "step (1 at the first)", p - lr * first / (np.sqrt(second) + eps)),
        ("moved with only m bias-corrected: v_hat = v / (1 - beta2 ** t) too", p - lr * first / c1 / (np.sqrt(second) + eps)),
        ("moved with only v bias-corrected: m_hat = m / (1 - beta1 ** t) too", p - lr * first / (np.sqrt(second / c2) + eps)),
        ("moved with eps inside the square root: lr * m_hat / (sqrt(v_hat) + eps)",
         p - lr * (first / c1) / np.sqrt(second / c2 + eps)),
        ("moved with the gradient instead of m_hat: lr * m_hat / (sqrt(v_hat) + eps)",
         p - lr * g / (np.sqrt(second / c2) + eps)),
        ("moved UP: subtract, params[k] -= lr * m_hat / (sqrt(v_hat) + eps)", p + lr * (first / c1) / (np.sqrt(second / c2) + eps)),
        (f"moved without the learning rate lr={lr}", p - (first / c1) / (np.sqrt(second / c2) + eps)),
    ]
    if t > 1:
        b1, b2 = 1 - beta1 ** (t - 1), 1 - beta2 ** (t - 1)
        found.append((f"moved with the bias correction of step t - 1 = {t - 1}: increment state['t'] first, then use "
                      f"it", p - lr * (first / b1) / (np.sqrt(second / b2) + eps)))
    return found


def step_and_check(mlp, params: dict, grads: dict, state: dict, lr: float, *hyper: float,
                   in_place: bool = False) -> None:
    """Run adam_step(params, grads, state, lr, *hyper) (``hyper``: beta1, beta2, eps, or the first of them; the rest
    are adam_step's defaults) and fail with the mistake's name unless state["t"], every moment and every parameter
    hold their new values (with ``in_place``: in the ORIGINAL arrays)."""
    __tracebackhide__ = True
    b = DEFAULTS | dict(zip(DEFAULTS, hyper))
    originals = {"params": dict(params), "m": dict(state["m"]), "v": dict(state["v"])}
    p0, g0, m0, v0, t0 = copies(params), copies(grads), copies(state["m"]), copies(state["v"]), int(state["t"])
    result = call(mlp, "adam_step", params, grads, state, lr, *hyper)
    if result is not None:
        pytest.fail(f"adam_step must return None (it updates params and state in place), got {type(result).__name__}",
                    pytrace=False)
    t = state.get("t")
    if not (isinstance(t, (int, float, np.integer, np.floating)) and t == t0 + 1):
        if isinstance(t, (int, np.integer)) and t == t0:
            why = "it is unchanged: add 1 at the start of each step (t = 1 at the first step)"
        elif isinstance(t, (int, np.integer)) and t == t0 + len(grads):
            why = "add 1 once per step, not once per key"
        else:
            why = "it counts the steps taken: add exactly 1 per step"
        pytest.fail(f"adam_step: state['t'] was {t0} before the step and is {t!r} after: {why}", pytrace=False)
    want = {k: paper_step(p0[k], g0[k], m0[k], v0[k], t0 + 1, lr, b["beta1"], b["beta2"], b["eps"]) for k in p0}
    settings = {"lr": lr, "t": t0 + 1} | {k: b[k] for k in ("beta1", "beta2", "eps")}
    nonfinite = " (with t = 0 in the bias correction, 1 - beta1 ** 0 = 0: increment state['t'] first)" if t0 == 0 else ""
    for name, now, index, before in (("m", state["m"], 1, m0), ("v", state["v"], 2, v0), ("params", params, 0, p0)):
        right: list[str] = []
        for key, original in originals[name].items():
            if name == "params":
                mistakes = params_mistakes(p0[key], g0[key], m0[key], v0[key], t0 + 1, lr, b["beta1"], b["beta2"], b["eps"])
                what, context = f"params['{key}']", {"grads": g0[key], "m before": m0[key], "v before": v0[key]}
            else:
                mistakes = moment_mistakes(m0[key], v0[key], g0[key], t0 + 1, b["beta1"], b["beta2"])[name]
                what, context = f"state['{name}']['{key}']", {"grads": g0[key]}
            got = original if in_place else (now.get(key) if isinstance(now, dict) else None)
            check_updated("adam_step", what, got, want[key][index], before[key], mistakes, context | settings,
                          in_place=IN_PLACE, current=now.get(key) if in_place and isinstance(now, dict) else None,
                          updated=right, nonfinite=nonfinite)
            right.append(key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_updates_params_and_moments_in_place(mlp, dtype):
    params, grads = random_dicts(2, dtype)
    step_and_check(mlp, params, grads, zero_state(params), 0.01, in_place=True)


def test_first_step_moves_every_parameter_by_about_lr(mlp):
    """At t = 1 the bias correction gives m_hat = g and v_hat = g * g: each step is lr * g / (|g| + eps)."""
    params, grads = random_dicts(2, seed=1, low=0.01, high=100.0)
    step_and_check(mlp, params, grads, zero_state(params), 0.1)


def test_several_steps_follow_the_paper(mlp):
    params, *steps = random_dicts(5, seed=2)
    state = zero_state(params)
    for grads in steps:  # the same dicts every step, as in training
        step_and_check(mlp, params, grads, state, 0.01)


def test_continues_from_a_later_state(mlp):
    params, grads, m = random_dicts(3, seed=3)
    v = {k: np.square(x) for k, x in random_dicts(2, seed=4)[1].items()}
    state = {"t": 9, "m": m, "v": v}
    step_and_check(mlp, params, grads, state, 0.02, 0.8, 0.99)


def test_eps_is_added_outside_the_square_root(mlp):
    params, grads = random_dicts(2, seed=5, low=1e-4, high=1e-3)  # tiny gradients: eps matters
    step_and_check(mlp, params, grads, zero_state(params), 0.01, 0.9, 0.999, 1e-3)


def test_hand_computed_first_step(mlp):
    params = {k: np.ones(s, dtype=np.float64) for k, s in shapes_of((1, 2, 1, 1)).items()}
    grads = {k: np.full(s, 2.0) for k, s in shapes_of((1, 2, 1, 1)).items()}
    state = zero_state(params)
    step_and_check(mlp, params, grads, state, 0.1)
    W1, m1, v1 = params["W1"], state["m"]["W1"], state["v"]["W1"]
    # m = 0.1 * 2 = 0.2, v = 0.001 * 4 = 0.004; m_hat = 0.2 / 0.1 = 2, v_hat = 0.004 / 0.001 = 4; 2 / (2 + 1e-8) ~ 1
    if not (np.allclose(m1, 0.2) and np.allclose(v1, 0.004) and np.allclose(W1, 0.9)):
        pytest.fail(f"adam_step's first step with p = 1, g = 2, lr = 0.1: expected m = 0.2, v = 0.004 and p = 0.9, "
                    f"got {m1.ravel()[0]:.6g}, {v1.ravel()[0]:.6g} and {W1.ravel()[0]:.6g}", pytrace=False)


def test_smallest_shapes(mlp):
    params, grads = random_dicts(2, shapes=shapes_of((1, 1, 1, 1)), seed=6)
    step_and_check(mlp, params, grads, zero_state(params), 0.01)


def test_does_not_modify_grads(mlp):
    params, grads = random_dicts(2, seed=7)
    before = {k: v.copy() for k, v in grads.items()}
    call(mlp, "adam_step", params, grads, zero_state(params), 0.01)
    for key, value in before.items():
        require_unmodified("adam_step", f"grads['{key}']", value, np.asarray(grads[key]))
