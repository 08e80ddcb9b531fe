"""Returns the mean loss wrapped in an array of shape (1,)."""
import numpy as np

BROKEN = "cross_entropy"
HINT = "must return one number"


def cross_entropy(probs, labels):
    picked = probs[np.arange(len(labels)), labels]
    return np.array([-np.log(np.clip(picked, 1e-12, 1.0)).mean()])
