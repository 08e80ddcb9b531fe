"""Shifts the caller's logits in place."""
import numpy as np

BROKEN = "softmax"
HINT = "modified its input logits"


def softmax(logits):
    logits -= logits.max(axis=1, keepdims=True)
    exps = np.exp(logits)
    return exps / exps.sum(axis=1, keepdims=True)
