"""Returns all-zero gradients and zeroes the caller's params and cache too (so a check computed afterwards on
the mirrored inputs would agree): it must score less than backward_returns_zeros.py, never more."""
import numpy as np

BROKEN = "backward"
HINT = "modified its input"


def backward(params, cache, labels):
    for tree in (params, cache):
        for value in tree.values():
            value[...] = 0
    return {key: np.zeros_like(value) for key, value in params.items()}
