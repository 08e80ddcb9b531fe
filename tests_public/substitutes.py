"""Correct versions of functions you write, which the tests substitute while checking ANOTHER function.

backward calls relu_grad; the backward tests replace your relu_grad by this one during the call, so a mistake in
relu_grad is charged to relu_grad's own tests only, not to backward's too. (The autograder's sandboxed worker
imports this file as well: it must stay plain NumPy, importing nothing from the kit.)
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterable, Iterator

import numpy as np


def relu_grad(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0, in z's dtype."""
    return (z > 0).astype(z.dtype)


SUBSTITUTES = {"relu_grad": relu_grad}


@contextmanager
def substituted(namespace: dict, names: Iterable[str]) -> Iterator[None]:
    """Within the block, the ``names`` of SUBSTITUTES are this file's versions in ``namespace``; afterwards the
    namespace's own (or their absence) are back."""
    saved = {name: namespace.get(name) for name in names if name in SUBSTITUTES}
    namespace.update({name: SUBSTITUTES[name] for name in saved})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                namespace.pop(name, None)
            else:
                namespace[name] = value
