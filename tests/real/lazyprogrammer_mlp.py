"""Adapted from lazyprogrammer/machine_learning_examples, ann_class2/mlp.py (commit 30090350): one hidden layer
there, two here (derivative_w1's pattern applied to each hidden layer).

Kept: softmax as expA / expA.sum(axis=1, keepdims=True) without the max subtraction; the ReLU derivative as the
bool mask (Z > 0); the gradients of the SUM of the losses (Z.T.dot(Y - T), no 1/N: the course's regularised
update scales the learning rate instead); T as a float64 indicator matrix (their y2indicator).
"""
import numpy as np

VERDICT = {
    "relu_grad": "partial",  # bool dtype
    "softmax": "partial",  # overflows on large logits
    "cross_entropy": "full",  # the reference's (their cost is in another file)
    "backward": "partial",  # N times the gradient of the mean loss, float64; keys and shapes right
    "sgd_step": "full",  # the reference's
}
TRAINING = "diverged"  # no 1/N: 64 times the gradient at lr 0.05 with momentum


def relu_grad(z):
    return z > 0


def softmax(logits):
    expA = np.exp(logits)
    return expA / expA.sum(axis=1, keepdims=True)


def y2indicator(y, K):
    N = len(y)
    ind = np.zeros((N, K))
    for i in range(N):
        ind[i, y[i]] = 1
    return ind


def backward(params, cache, labels):
    Y, T = cache["probs"], y2indicator(labels, cache["probs"].shape[1])
    delta3 = Y - T
    delta2 = delta3.dot(params["W3"].T) * relu_grad(cache["z2"])
    delta1 = delta2.dot(params["W2"].T) * relu_grad(cache["z1"])
    return {"W3": cache["a2"].T.dot(delta3), "b3": delta3.sum(axis=0),
            "W2": cache["a1"].T.dot(delta2), "b2": delta2.sum(axis=0),
            "W1": cache["X"].T.dot(delta1), "b1": delta1.sum(axis=0)}
