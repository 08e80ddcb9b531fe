"""Divides by exps.sum(axis=1) without keepdims: crashes unless N == C, where it divides column j by row j's sum."""
import numpy as np

BROKEN = "softmax"
HINT = "keepdims=True"


def softmax(logits):
    exps = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1)
