"""Takes the log of every probability, not only the true class's."""
import numpy as np

BROKEN = "cross_entropy"
HINT = "log of EVERY probability"


def cross_entropy(probs, labels):
    return float(-np.log(np.clip(probs, 1e-12, 1.0)).mean())
