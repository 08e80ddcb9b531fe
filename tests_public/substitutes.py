"""Correct versions of functions you write, which the tests substitute while checking ANOTHER function.

backward calls relu_grad; the backward tests replace your relu_grad by this one during the call, so a mistake in
relu_grad is charged to relu_grad's own tests only, not to backward's too. (The autograder's sandboxed worker
imports this file as well: it must stay plain NumPy, importing nothing from the kit.)
"""
from __future__ import annotations

import numpy as np


def relu_grad(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0, in z's dtype."""
    return (z > 0).astype(z.dtype)


SUBSTITUTES = {"relu_grad": relu_grad}
