"""Adapted from Shreyas-Rathod/Deep-Learning-assignments, Question_2.py (commit 46dfb7b1): activation and loss
helpers of a Fashion-MNIST network.

Kept: relu_derivative as (Z > 0).astype(float), float64 whatever Z's dtype; the stable softmax; the loss on
one-hot targets with predictions clipped to [1e-12, 1 - 1e-12], summed and divided by m.
"""
import numpy as np

VERDICT = {
    "relu_grad": "partial",  # float64 for float32 z
    "softmax": "full",
    "cross_entropy": "full",
    "backward": "full",  # the reference's (not in the file)
    "sgd_step": "full",  # the reference's
}
TRAINING = "accepted"  # a float64 mask trains like the reference


def relu_grad(z):
    return (z > 0).astype(float)


def softmax(logits):
    expZ = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    return expZ / np.sum(expZ, axis=1, keepdims=True)


def cross_entropy(probs, labels):
    targets = np.eye(probs.shape[1])[labels]
    epsilon = 1e-12
    predictions = np.clip(probs, epsilon, 1. - epsilon)
    m = predictions.shape[0]
    return -np.sum(targets * np.log(predictions)) / m
