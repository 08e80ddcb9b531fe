"""Divides by N in each weight and bias gradient instead of once in dlogits (the same numbers)."""
import numpy as np


def backward(params, cache, labels):
    N = len(labels)
    err = cache["probs"].copy()
    err[np.arange(N), labels] -= 1  # the gradient of the SUM of the losses
    grads = {"W3": cache["a2"].T @ err / N, "b3": err.sum(axis=0) / N}
    err = (err @ params["W3"].T) * relu_grad(cache["z2"])
    grads["W2"], grads["b2"] = cache["a1"].T @ err / N, err.sum(axis=0) / N
    err = (err @ params["W2"].T) * relu_grad(cache["z1"])
    grads["W1"], grads["b1"] = cache["X"].T @ err / N, err.sum(axis=0) / N
    return grads


def cross_entropy(probs, labels):
    total = -np.sum(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None)))
    return total / len(labels)
