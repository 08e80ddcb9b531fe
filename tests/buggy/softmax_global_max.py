"""Subtracts one global max instead of each row's own max: rows far below it become 0/0."""
import numpy as np

BROKEN = "softmax"
HINT = "ONE global max"


def softmax(logits):
    exps = np.exp(logits - logits.max())
    return exps / exps.sum(axis=1, keepdims=True)
