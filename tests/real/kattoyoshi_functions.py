"""Adapted from kattoyoshi/NeuralNetworkFromScratch, functions.py: loss and activation helpers.

Kept: cross_entropy_loss as -np.sum(t * np.log(y + 1e-7)), the SUM over the batch (no mean) with 1e-7 added
inside the log; relu_derivative through a zeros_like array set to 1 where X > 0; softmax row by row with each
row's max subtracted.
"""
import numpy as np

VERDICT = {
    "relu_grad": "full",
    "softmax": "full",
    "cross_entropy": "partial",  # the sum, not the mean (right only for a batch of one)
    "backward": "full",  # the reference's
    "sgd_step": "full",  # the reference's
}
TRAINING = "accepted"  # only the reported loss is summed; the update is the reference's


def cross_entropy(probs, labels):
    y_hat = np.eye(probs.shape[1])[labels]
    delta = 1e-7
    return -np.sum(y_hat * np.log(probs + delta))


def relu_grad(z):
    X_ = np.zeros_like(z)
    X_[z > 0] = 1
    return X_


def softmax(logits):
    def _softmax(X):
        const = np.max(X)
        exp_X = np.exp(X - const)
        return exp_X / np.sum(exp_X)
    rows = []
    for x in logits:
        rows.append(_softmax(x))
    return np.array(rows)
