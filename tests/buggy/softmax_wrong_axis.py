"""Normalises the columns instead of the rows."""
import numpy as np

BROKEN = "softmax"
HINT = "COLUMNS sum to 1"


def softmax(logits):
    exps = np.exp(logits - logits.max(axis=0, keepdims=True))
    return exps / exps.sum(axis=0, keepdims=True)
