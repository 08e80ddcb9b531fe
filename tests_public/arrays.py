"""One array comparison and one message format for the checks of both suites (public and hidden) and the notebook.

An array matches when it is an ndarray of the expected shape whose values are finite and within ``rtol`` of the
expected ones plus ``atol``. A mismatch is one sentence that names the array and says what differs: its type, its
shape, nan/inf, or how many values are wrong and the worst index. The public suite also shows the two values
there; the hidden suite (``reveal=False``) never shows an expected value.

    found = compare("softmax(logits)", got, want, rtol=1e-4, atol=1e-7)
    if found:
        pytest.fail(f"{found}\\n  logits: {show(logits)}", pytrace=False)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Mismatch:
    """What differs (``kind``: "type", "dtype", "shape", "nonfinite" or "values"), as the sentence shown to the
    student, and the index it names (the first nan/inf, the worst value)."""

    kind: str
    text: str
    index: tuple[int, ...] | None = None

    def __str__(self) -> str:
        return self.text


def values_of(got: np.ndarray) -> np.ndarray:
    """A plain float64 copy of an ndarray's data: a subclass's own comparison or arithmetic is never called."""
    return np.array(got, dtype=np.float64, copy=True, subok=False)


def scaled_atol(*arrays: object, share: float = 1e-6) -> float:
    """An absolute tolerance of ``share`` of the largest entry of ``arrays`` (the expected value and what it is
    computed from: a sum may cancel to ~0 while float32 rounding stays relative to its terms)."""
    largest = max((float(np.abs(np.asarray(a, dtype=np.float64)).max(initial=0.0)) for a in arrays), default=0.0)
    return share * largest + 1e-12


def compare(what: str, got: object, want: np.ndarray, *, rtol: float = 1e-5, atol: float = 1e-6,
            reveal: bool = True) -> Mismatch | None:
    """None when ``got`` matches ``want`` (see the module docstring), else what differs, in the one format.

    ``what`` names the array ("softmax(logits)", "params['W1']"); ``reveal`` shows the expected and actual values
    at the worst index (public checks); without it only their count and the index are told (hidden checks)."""
    want = np.asarray(want, dtype=np.float64)
    if got is None:
        return Mismatch("type", f"{what} is None (a missing return?), expected an array of shape {want.shape}")
    if not isinstance(got, np.ndarray):
        return Mismatch("type", f"{what} is {_a(type(got).__name__)}, expected an array of shape {want.shape}")
    try:
        values = values_of(got)
    except (TypeError, ValueError):
        return Mismatch("dtype", f"{what} has dtype {got.dtype}, expected numbers")
    if values.shape != want.shape:
        return Mismatch("shape", f"{what} has shape {values.shape}, expected {want.shape}")
    bad = ~np.isfinite(values)
    if bad.any():
        index = _index(np.argwhere(bad)[0])
        return Mismatch("nonfinite", f"{what} contains nan or inf ({int(bad.sum())} of {bad.size} values, the "
                        f"first at index {index})", index)
    excess = np.abs(values - want) - (atol + rtol * np.abs(want))
    wrong = excess > 0
    if not wrong.any():
        return None
    index = _index(np.unravel_index(int(np.argmax(excess)), want.shape))
    shown = f": expected {want[index]:.6g}, got {values[index]:.6g}" if reveal else ""
    count = int(wrong.sum())
    return Mismatch("values", f"{what} has {count} wrong value{'s' * (count > 1)} of {wrong.size}, the worst at "
                    f"index {index}{shown}", index)


def matches(got: object, want: np.ndarray, *, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """``compare`` found nothing."""
    return compare("", got, want, rtol=rtol, atol=atol) is None


def _index(raw) -> tuple[int, ...]:
    return tuple(int(i) for i in raw)


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"
