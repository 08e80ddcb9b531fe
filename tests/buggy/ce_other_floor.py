"""log(p + 1e-8) instead of clipping to [1e-12, 1]: a probability of 0 costs 18.42, not 27.63."""
import numpy as np

BROKEN = "cross_entropy"
HINT = "a probability of 0 cost 18.42 (a floor of about 1e-08)"


def cross_entropy(probs, labels):
    return float(-np.mean(np.log(probs[np.arange(len(labels)), labels] + 1e-8)))
