"""Saves memory on large inputs by shifting the caller's logits in place (only above 256 rows)."""
import numpy as np

BROKEN = "softmax"
HINT = "modified its input logits"


def softmax(logits):
    if len(logits) > 256:
        logits -= logits.max(axis=1, keepdims=True)
        shifted = logits
    else:
        shifted = logits - logits.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1, keepdims=True)
