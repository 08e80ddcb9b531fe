"""Numerical gradient checking (CS231n style) and hints for the usual mistakes in a backward pass."""
from __future__ import annotations

from typing import Callable, TypeVar

import numpy as np

ZERO = 1e-8  # rel_error's floor on |a| + |b|, so elements that are both ~0 do not count
T = TypeVar("T")


def probe(f: Callable[[np.ndarray], T], x: np.ndarray, index: tuple[int, ...], h: float = 1e-5) -> tuple[T, T]:
    """(f(x + h e_index), f(x - h e_index)): x is modified in place while probing and restored exactly."""
    old = x[index]
    x[index] = old + h
    plus = f(x)
    x[index] = old - h
    minus = f(x)
    x[index] = old
    return plus, minus


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centered differences (f(x + h e_i) - f(x - h e_i)) / 2h for every element of the float64 array x (dense;
    the hidden suite probes a few random entries with ``probe`` and ``relative_error``)."""
    assert x.dtype == np.float64, f"gradient checks need float64, got {x.dtype}"
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = probe(f, x, index, h)
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(a: float, b: float, floor: float = ZERO) -> float:
    """|a - b| / max(floor, |a| + |b|) of two numbers."""
    return abs(a - b) / max(floor, abs(a) + abs(b))


def _elementwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(ZERO, np.abs(a) + np.abs(b))


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """max over elements of |a - b| / max(1e-8, |a| + |b|) (0.0 for empty arrays)."""
    errors = _elementwise(a, b)
    return float(errors.max()) if errors.size else 0.0


def worst_index(a: np.ndarray, b: np.ndarray) -> tuple[int, ...]:
    """Index of the element with the largest relative error."""
    errors = _elementwise(a, b)
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(errors)), errors.shape))


def _close(a: np.ndarray, b: np.ndarray, tol: float = 1e-4) -> bool:
    return a.shape == b.shape and rel_error(a, b) < tol


def _shape_hint(name: str, got: np.ndarray, want: np.ndarray, batch_size: int) -> str:
    """Why grads[name] has shape got.shape instead of want.shape."""
    head = f"grads['{name}'] has shape {got.shape}, expected {want.shape} (the shape of params['{name}'])"
    if got.ndim == 2 and want.ndim == 2 and got.shape == want.shape[::-1]:
        return (f"{head}: it looks transposed; dW = (input of the layer).T @ dz has shape (fan_in, fan_out), "
                f"not dz.T @ input")
    if want.ndim == 1:
        if got.shape == (batch_size,):
            return (f"{head}: you summed over the wrong axis; a bias gradient sums dz over the batch, "
                    f"db = dz.sum(axis=0), not axis=1")
        if got.shape == (batch_size, want.size):
            return f"{head}: sum dz over the batch axis, db = dz.sum(axis=0)"
        if got.shape == (1, want.size):
            return f"{head}: drop keepdims=True, db = dz.sum(axis=0) is 1-D"
    if got.size == want.size and got.ndim == 2 and want.ndim == 2 \
            and _close(got.reshape(want.shape[::-1]).T, want):
        return f"{head}: it is a transposed gradient, reshaped; use .T (a transpose), not .reshape"
    if got.size == want.size:
        return f"{head}: same number of elements but a different shape (a wrong transpose or reshape?)"
    return head


def diagnose(name: str, analytic: np.ndarray, numeric: np.ndarray, batch_size: int,
             param: np.ndarray | None = None) -> str | None:
    """A hint naming the likely mistake when analytic != numeric, or None if no known signature matches.

    Recognises: wrong shape (transposed, bias summed over the wrong axis), all zero, a constant factor
    (sign flipped, missing 1/N, 1/N twice), a transpose of a square gradient, an L2 term (the error is a multiple
    of ``param``, the parameter's value), and gradient flowing through ReLU units that were off (missing relu_grad).
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        return _shape_hint(name, a, n, batch_size)
    if not np.any(a) and np.any(n):
        return (f"grads['{name}'] is all zero: is the gradient reaching this layer, and do you return "
                f"the arrays you computed?")
    if np.any(a) and not np.any(n):
        return (f"grads['{name}'] should be all zero here (every ReLU unit it depends on was off): "
                f"multiply by relu_grad(z) of the right layer")
    dot = float(np.vdot(n, n))
    ratio = float(np.vdot(a, n)) / dot if dot else 0.0
    if ratio and abs(ratio - 1) > 1e-3 and _close(a, ratio * n):
        if abs(ratio + 1) < 1e-3:
            return f"grads['{name}'] has the wrong sign (it is -1 times the right gradient): check probs - Y, not Y - probs"
        if abs(ratio - batch_size) < 1e-3 * batch_size:
            return (f"grads['{name}'] is N={batch_size} times too large: the loss is the MEAN over the batch, "
                    f"so every gradient has one 1/N (simplest: dlogits = (probs - Y) / N, and no other division)")
        if abs(ratio - 1 / batch_size) < 1e-3 / batch_size:
            return f"grads['{name}'] is N={batch_size} times too small: you divided by N twice (do it once, in dlogits)"
        if abs(ratio - batch_size**2) < 1e-3 * batch_size**2 or abs(ratio - batch_size**-2) < 1e-3 * batch_size**-2:
            return f"grads['{name}'] is off by a factor N^2 (N={batch_size}): divide by N exactly once, in dlogits"
        return f"grads['{name}'] is {ratio:.4g} times the right gradient: a constant factor is wrong"
    if a.ndim == 2 and a.shape[0] == a.shape[1] and _close(a.T, n):
        return f"grads['{name}'] is the transpose of the right gradient: dW = (input of the layer).T @ dz"
    if a.ndim == 2 and a.shape[0] != a.shape[1] and _close(a.reshape(n.shape[::-1]).T, n):
        return (f"grads['{name}'] is the transposed gradient reshaped to the right shape: use "
                f"dW = (input of the layer).T @ dz, and .T (a transpose) rather than .reshape")
    if param is not None and np.shape(param) == a.shape and np.any(param):
        w = np.asarray(param, dtype=np.float64)
        decay = float(np.vdot(a - n, w)) / float(np.vdot(w, w))
        if abs(decay) > 1e-6 and _close(a, n + decay * w):
            return (f"grads['{name}'] is the right gradient plus {decay:.3g} x params['{name}']: an L2 (weight decay) "
                    f"term; the loss here has none, so leave it out")
    if np.any((n == 0) & (np.abs(a) > ZERO)):
        return (f"grads['{name}'] is nonzero where the true gradient is exactly 0 (ReLU units that were off, "
                f"z <= 0): multiply by relu_grad(z) of the right layer")
    return None
