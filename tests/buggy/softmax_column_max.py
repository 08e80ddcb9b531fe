"""Subtracts each column's max (axis=0) but normalises rows: rows sum to 1 with wrong ratios."""
import numpy as np

BROKEN = "softmax"
HINT = "subtract the same number from a whole row"


def softmax(logits):
    exps = np.exp(logits - logits.max(axis=0, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)
