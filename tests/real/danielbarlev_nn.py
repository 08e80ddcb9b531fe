"""Adapted from DanielBarLev2/Machine-Learning, A2-Neural_Network/src/backward.py and activation_functions.py
(commits 139b8f5e, 1bc6c271): an L-layer network with per-layer linear/activation backward steps.

Kept: softmax divides np.exp(z) by its sum over the classes without the max subtraction; relu_backward's mask is
np.int64(a > 0) with a = relu(z); softmax_backward multiplies the output error by the SIGMOID derivative of the
output pre-activation (dz = da * s * (1 - s), s = sigmoid(z)); each layer divides dW and db by m.
"""
import numpy as np

VERDICT = {
    "relu_grad": "partial",  # int64 dtype
    "softmax": "partial",  # overflows on large logits
    "cross_entropy": "full",  # the reference's (their cost is elsewhere)
    "backward": "partial",  # every gradient scaled by the sigmoid factor; keys, shapes, dtype right
    "sgd_step": "full",  # the reference's
}
TRAINING = "accepted"  # honest: the sigmoid derivative on the output changes the update; it still follows the gradient


def relu_grad(z):
    a = np.maximum(0, z)
    return np.int64(a > 0)


def softmax(logits):
    return np.exp(logits) / np.sum(np.exp(logits), axis=1, keepdims=True)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _linear_backward(dz, activation_prev, w):
    m = activation_prev.shape[0]
    return np.dot(dz, w.T), np.dot(activation_prev.T, dz) / m, np.sum(dz, axis=0) / m


def backward(params, cache, labels):
    y_train = np.eye(cache["probs"].shape[1], dtype=cache["probs"].dtype)[labels]
    d_cost = cache["probs"] - y_train
    a = _sigmoid(cache["a2"] @ params["W3"] + params["b3"])  # their softmax_backward
    dz = d_cost * a * (1 - a)
    grads = {}
    da_prev, grads["W3"], grads["b3"] = _linear_backward(dz, cache["a2"], params["W3"])
    da_prev, grads["W2"], grads["b2"] = _linear_backward(da_prev * relu_grad(cache["z2"]), cache["a1"], params["W2"])
    _, grads["W1"], grads["b1"] = _linear_backward(da_prev * relu_grad(cache["z1"]), cache["X"], params["W1"])
    return grads
