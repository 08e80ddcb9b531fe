"""probs[:, labels] picks an N x N block instead of one entry per row."""
import numpy as np

BROKEN = "cross_entropy"
HINT = "N x N block"


def cross_entropy(probs, labels):
    return float(-np.log(np.clip(probs[:, labels], 1e-12, 1.0)).mean())
