"""Returns the per-sample losses instead of their mean."""
import numpy as np

BROKEN = "cross_entropy"
HINT = "take the mean"


def cross_entropy(probs, labels):
    return -np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, 1.0))
