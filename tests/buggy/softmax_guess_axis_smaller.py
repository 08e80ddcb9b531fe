"""Guesses the class axis from the shape: the smaller dimension (wrong whenever N <= C)."""
import numpy as np

BROKEN = "softmax"
HINT = "COLUMNS sum to 1"


def softmax(logits):
    axis = int(np.argmin(logits.shape))
    exps = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis, keepdims=True)
