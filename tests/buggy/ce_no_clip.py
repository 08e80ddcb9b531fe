"""No clipping: a probability of 0 gives inf."""
import numpy as np

BROKEN = "cross_entropy"
HINT = "clip the picked probabilities"


def cross_entropy(probs, labels):
    return float(-np.log(probs[np.arange(len(labels)), labels]).mean())
