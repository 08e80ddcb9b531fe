"""Assertions for hidden tests whose messages tell what failed without revealing expected values."""
from __future__ import annotations

import numpy as np


class HiddenCheckFailed(AssertionError):
    """A failed hidden check; its message is safe to show to students."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise HiddenCheckFailed(message)


def as_float64(value: object, what: str) -> np.ndarray:
    """A returned value as a plain float64 ndarray (never trusting the object's own comparison methods)."""
    check(isinstance(value, np.ndarray) or np.isscalar(value), f"{what} returned {type(value).__name__}, expected a NumPy array")
    return np.array(value, dtype=np.float64, copy=True, subok=False)


def check_array(got: object, expected: np.ndarray, what: str, rtol: float = 1e-5, atol: float = 1e-6,
                dtype: np.dtype | None = None) -> None:
    """Shape, dtype (when given), finiteness and values of ``got``; the message never prints ``expected``."""
    check(isinstance(got, np.ndarray), f"{what}: returned {type(got).__name__}, expected an ndarray")
    check(got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}")
    if dtype is not None:
        check(got.dtype == dtype, f"{what}: dtype {got.dtype}, expected {np.dtype(dtype)}")
    values = as_float64(got, what)
    check(bool(np.isfinite(values).all()), f"{what}: contains nan or inf")
    wrong = ~np.isclose(values, expected.astype(np.float64), rtol=rtol, atol=atol)
    if wrong.any():
        first = tuple(int(i) for i in np.argwhere(wrong)[0])
        raise HiddenCheckFailed(f"{what}: {int(wrong.sum())} of {wrong.size} values are wrong (first at index {first})")


def unchanged(before: dict[str, np.ndarray], after: dict[str, np.ndarray], what: str) -> None:
    for key, value in before.items():
        check(key in after and np.array_equal(after[key], value), f"{what} modified its input {key!r}")
