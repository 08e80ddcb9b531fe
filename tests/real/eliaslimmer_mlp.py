"""Adapted from eliaslimmer/dl-from-scratch, 01_mlp_numpy/mlp/neural_net.py (commit 632c546a) and mlp/activations.py
(commit c5bfc1df): one hidden layer there, two here.

Kept: reLuDerivative returns the bool mask Z > 0; the stable softmax; (1 / m) on every dW and db; in-place
updates (self.W1 -= self.learning_rate * dW1).
"""
import numpy as np

VERDICT = {
    "relu_grad": "partial",  # bool dtype
    "softmax": "full",
    "cross_entropy": "full",  # the reference's (not in the source)
    "backward": "full",
    "sgd_step": "full",
}
TRAINING = "accepted"  # a bool mask trains exactly like the reference


def relu_grad(z):
    return z > 0


def softmax(logits):
    expZ = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    return expZ / np.sum(expZ, axis=1, keepdims=True)


def backward(params, cache, labels):
    m = cache["X"].shape[0]
    Y = np.zeros_like(cache["probs"])
    Y[np.arange(m), labels] = 1
    dZ3 = cache["probs"] - Y
    dW3, db3 = (1 / m) * np.dot(cache["a2"].T, dZ3), (1 / m) * np.sum(dZ3, axis=0)
    dZ2 = np.dot(dZ3, params["W3"].T) * relu_grad(cache["z2"])
    dW2, db2 = (1 / m) * np.dot(cache["a1"].T, dZ2), (1 / m) * np.sum(dZ2, axis=0)
    dZ1 = np.dot(dZ2, params["W2"].T) * relu_grad(cache["z1"])
    dW1, db1 = (1 / m) * np.dot(cache["X"].T, dZ1), (1 / m) * np.sum(dZ1, axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}


def sgd_step(params, grads, lr):
    params["W1"] -= lr * grads["W1"]
    params["b1"] -= lr * grads["b1"]
    params["W2"] -= lr * grads["W2"]
    params["b2"] -= lr * grads["b2"]
    params["W3"] -= lr * grads["W3"]
    params["b3"] -= lr * grads["b3"]
