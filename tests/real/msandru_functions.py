"""Adapted from msandru/Neural-Networks-Assignments, Assignment_3/functions.py: helpers of a course assignment.

Kept: softmax as y = np.exp(x); y / y.sum(), normalising over the WHOLE batch and without the max subtraction;
cross_entropy as -np.sum(targets * np.log(predictions)), a sum with no clipping.
"""
import numpy as np

VERDICT = {
    "relu_grad": "full",  # the reference's (sigmoid network in the source)
    "softmax": "partial",  # only the dtype and no-mutation checks pass
    "cross_entropy": "partial",  # right only for a batch of one without zeros
    "backward": "full",  # the reference's
    "sgd_step": "full",  # the reference's
}
TRAINING = "diverged"  # softmax normalised over the whole batch: true-class logits rise until exp overflows


def softmax(logits):
    y = np.exp(logits)
    return y / y.sum()


def cross_entropy(probs, labels):
    targets = np.eye(probs.shape[1])[labels]
    return -np.sum(targets * np.log(probs))
