"""Assertions for hidden tests whose messages tell what failed without revealing expected values."""
from __future__ import annotations

import numpy as np

from tests_public.arrays import compare, scaled_atol, values_of


class HiddenCheckFailed(AssertionError):
    """A failed hidden check; its message is safe to show to students."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise HiddenCheckFailed(message)


def rng_for(seed: int, test_id: str) -> np.random.Generator:
    """The generator of one hidden test: derived from the run's seed and the test's pytest node id."""
    return np.random.default_rng([seed, *test_id.encode()])


def signed(rng: np.random.Generator, shapes: dict[str, tuple[int, ...]], dtype, low: float = 0.1,
           high: float = 2.0) -> dict[str, np.ndarray]:
    """Arrays of the given shapes with values of size in [low, high] and random signs (never near 0, so every
    check has a clear verdict)."""
    return {k: (rng.uniform(low, high, s) * (2 * rng.integers(0, 2, s) - 1)).astype(dtype) for k, s in shapes.items()}


def as_float64(value: object, what: str) -> np.ndarray:
    """A returned value as a plain float64 ndarray (never trusting the object's own comparison methods)."""
    check(isinstance(value, np.ndarray) or np.isscalar(value), f"{what} returned {type(value).__name__}, expected a NumPy array")
    return values_of(value)


def scalar(value: object, what: str) -> float:
    """A returned loss as a float: a Python float, a NumPy scalar or a 0-d array (not an array of one value)."""
    check(isinstance(value, (float, int, np.generic, np.ndarray)) and np.ndim(value) == 0 and not isinstance(value, bool),
          f"{what}: returned {type(value).__name__} of shape {np.shape(value)}, expected one number (the mean loss)")
    return float(as_float64(value, what))


def check_array(got: object, expected: np.ndarray, what: str, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Type, shape, finiteness and values of ``got`` (not its dtype: dtypes have their own checks), compared and
    told as every check of the kit does (``tests_public.arrays``), without ever printing ``expected``."""
    found = compare(what, got, expected, rtol=rtol, atol=atol, reveal=False)
    if found:
        raise HiddenCheckFailed(found.text)


def check_update(got: object, expected: np.ndarray, what: str, *inputs: np.ndarray) -> None:
    """An optimizer's updated array against the float64 ``expected``: relative 1e-5, absolute 1e-6 of the largest
    entry of ``expected`` and of the ``inputs`` it is computed from."""
    check_array(got, expected, what, rtol=1e-5, atol=scaled_atol(expected, *inputs))


def check_value(got: float, expected: float, what: str, rtol: float = 1e-4) -> None:
    """One number against the expected one (which the message never prints)."""
    check(np.isfinite(got), f"{what}: returned {got}, expected a finite number")
    check(bool(np.isclose(got, expected, rtol=rtol, atol=1e-6)), f"{what}: the value is wrong")


def check_dtype(got: object, dtype: np.dtype, what: str) -> None:
    """``got`` is an ndarray of ``dtype``."""
    actual = f"dtype {got.dtype}" if isinstance(got, np.ndarray) else f"a {type(got).__name__}"
    check(isinstance(got, np.ndarray) and got.dtype == dtype, f"{what}: returned {actual}, expected {np.dtype(dtype)}")


def unchanged(before: dict[str, np.ndarray], after: dict[str, np.ndarray], what: str) -> None:
    for key, value in before.items():
        check(key in after and np.array_equal(after[key], value), f"{what} modified its input {key!r}")
