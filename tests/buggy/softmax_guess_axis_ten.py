"""Guesses the class axis from the shape: the one of size 10 (MNIST's), else axis 0."""
import numpy as np

BROKEN = "softmax"
HINT = "COLUMNS sum to 1"


def softmax(logits):
    axis = 1 if logits.shape[1] == 10 else 0
    exps = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis, keepdims=True)
