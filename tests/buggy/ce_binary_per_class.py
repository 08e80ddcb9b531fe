"""A binary cross-entropy per class: -log(p) of the true class plus -log(1 - p) of every other class."""
import numpy as np

BROKEN = "cross_entropy"
HINT = "a binary cross-entropy per class"


def cross_entropy(probs, labels):
    y = np.eye(probs.shape[1])[labels]
    p = np.clip(probs, 1e-12, 1 - 1e-12)
    return float(-np.mean(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p), axis=1)))
