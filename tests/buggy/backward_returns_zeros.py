"""Returns all-zero gradients."""
import numpy as np

BROKEN = "backward"
HINT = "is all zero"


def backward(params, cache, labels):
    return {key: np.zeros_like(value) for key, value in params.items()}
