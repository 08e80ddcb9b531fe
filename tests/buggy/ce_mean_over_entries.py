"""The mean over all N x C entries of the one-hot product (np.mean(y * log p)): 1/C of the loss."""
import numpy as np

BROKEN = "cross_entropy"
HINT = "mean over every entry of the N x C one-hot product"


def cross_entropy(probs, labels):
    one_hot = np.eye(probs.shape[1])[labels]
    return float(-np.mean(one_hot * np.log(np.clip(probs, 1e-12, 1.0))))
