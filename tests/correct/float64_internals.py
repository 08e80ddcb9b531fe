"""Computes in float64 for accuracy and casts the results back to the input dtype."""
import numpy as np


def softmax(logits):
    x = logits.astype(np.float64)
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return (e / e.sum(axis=1, keepdims=True)).astype(logits.dtype)


def cross_entropy(probs, labels):
    p = probs.astype(np.float64)[np.arange(len(labels)), labels]
    return float(np.mean(-np.log(np.clip(p, PROB_FLOOR, 1.0))))


def backward(params, cache, labels):
    dtype = params["W1"].dtype
    P = {k: v.astype(np.float64) for k, v in params.items()}
    C = {k: v.astype(np.float64) for k, v in cache.items()}
    n = len(labels)
    d3 = C["probs"].copy()
    d3[np.arange(n), labels] -= 1.0
    d3 /= n
    d2 = (d3 @ P["W3"].T) * relu_grad(C["z2"])
    d1 = (d2 @ P["W2"].T) * relu_grad(C["z1"])
    grads = {"W3": C["a2"].T @ d3, "b3": d3.sum(0), "W2": C["a1"].T @ d2, "b2": d2.sum(0),
             "W1": C["X"].T @ d1, "b1": d1.sum(0)}
    return {k: v.astype(dtype) for k, v in grads.items()}


def relu_grad(z):
    return (z.astype(np.float64) > 0).astype(z.dtype)
