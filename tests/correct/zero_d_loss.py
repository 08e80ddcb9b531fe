"""cross_entropy returns a 0-d array (np.asarray of the mean), relu_grad builds the mask with np.where."""
import numpy as np


def cross_entropy(probs, labels):
    logs = np.log(np.maximum(probs[np.arange(probs.shape[0]), labels], PROB_FLOOR))
    return np.asarray(-np.sum(logs) / probs.shape[0])


def relu_grad(z):
    return np.where(z > 0, np.ones_like(z), np.zeros_like(z))
