"""Helpers of the optimizer tests (sgd_step and the optional extension's momentum_step and adam_step): parameter
dicts and a check that names the mistake when an array the optimizer updates holds the wrong values."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pytest

from . import show
from .arrays import compare, matches, scaled_atol

KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
SHAPES = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,), "W3": (2, 2), "b3": (2,)}


def shapes_of(sizes: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """The six parameter shapes of a network with layer sizes (n0, n1, n2, n3)."""
    return {name: shape for k in (1, 2, 3) for name, shape in
            ((f"W{k}", (sizes[k - 1], sizes[k])), (f"b{k}", (sizes[k],)))}


def random_dicts(count: int, dtype=np.float32, shapes: dict[str, tuple[int, ...]] = SHAPES, seed: int = 0,
                 low: float = 0.5, high: float = 2.0) -> list[dict[str, np.ndarray]]:
    """``count`` dicts of the six keys: the first holds parameters ~ N(0, 1), the others values whose size is in
    [low, high] with a random sign (gradients, velocities, first moments)."""
    rng = np.random.default_rng(seed)
    first = {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
    return [first] + [{k: (rng.uniform(low, high, s) * rng.choice([-1, 1], s)).astype(dtype) for k, s in shapes.items()}
                      for _ in range(count - 1)]


def copies(arrays: dict) -> dict[str, np.ndarray]:
    """float64 copies of a dict of arrays (what the caller held before the call)."""
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in arrays.items()}


def tolerance(want: np.ndarray) -> dict[str, float]:
    """The optimizer tests' tolerance for ``want``: relative 1e-5, plus 1e-6 of its largest entry."""
    return {"rtol": 1e-5, "atol": scaled_atol(want)}


def close(got: object, want: np.ndarray) -> bool:
    """``got`` is an array of want's shape with its values (within ``tolerance``)."""
    return matches(got, want, **tolerance(want))


def check_updated(fn: str, what: str, got: object, want: np.ndarray, before: np.ndarray,
                  mistakes: Sequence[tuple[str, np.ndarray]], context: dict[str, object], *, in_place: str,
                  current: object = None, updated: Sequence[str] = (), nonfinite: str = "",
                  unchanged: str = "") -> None:
    """Fail with one message unless ``got`` (an array the caller holds after ``fn``) has ``want``'s values.

    ``what`` names it ("velocity['W1']"); ``before`` is its value before the call; ``mistakes`` are (hint, the
    values that mistake gives), tried in order; ``context`` is shown under the message (grads, ...). In the
    in-place tests ``got`` is the caller's original array and ``current`` what the dict holds now: right values
    there mean a new array was put in the dict. ``updated`` lists the keys already found right (a skipped key);
    ``nonfinite`` is added when ``got`` holds nan or inf; ``unchanged`` replaces the hint for an array left as it
    was.
    """
    __tracebackhide__ = True
    found = compare(what, got, want, **tolerance(want))
    if found is None:
        return
    if current is not None and current is not got and close(current, want):
        problem = f"{what} now holds a new array with the right values, but the original array was left unchanged: {in_place}"
    elif found.kind != "values":
        problem = f"{found}{nonfinite if found.kind == 'nonfinite' else ''}"
    else:
        known = [(hint, values) for hint, values in mistakes
                 if not close(values, want) and not close(before, values) and close(got, values)]
        if known:
            problem = f"{what} {known[0][0]}"
        elif np.array_equal(got, before) and unchanged:
            problem = f"{what} {unchanged}"
        elif np.array_equal(got, before) and updated:
            problem = f"{what} is unchanged while {', '.join(updated)} were updated: update every key (biases too)"
        elif np.array_equal(got, before):
            problem = (f"{what} is unchanged (assigning to a local name or a new dict does not reach the caller): "
                       f"{in_place}")
        else:
            problem = f"{found} (before the step {before[found.index]:.6g})"
    arrays = {name: value for name, value in context.items() if isinstance(value, np.ndarray)}
    scalars = ", ".join(f"{name}={value:g}" for name, value in context.items() if name not in arrays)
    lines = [f"  {name + ':':<10}{show(value)}" for name, value in
             {"before": before, **arrays, "after": got, "expected": want}.items()]
    pytest.fail(f"{fn}: {problem}\n" + "\n".join(lines) + (f"\n  ({scalars})" if scalars else ""), pytrace=False)
