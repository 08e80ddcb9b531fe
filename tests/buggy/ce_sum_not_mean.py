"""Sums the per-sample losses instead of averaging them."""
import numpy as np

BROKEN = "cross_entropy"
HINT = "instead of taking the mean"


def cross_entropy(probs, labels):
    picked = probs[np.arange(len(labels)), labels]
    return float(-np.log(np.clip(picked, 1e-12, 1.0)).sum())
