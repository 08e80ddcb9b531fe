"""Bias gradients summed with keepdims=True, then flattened with .ravel()."""
import numpy as np


def backward(params, cache, labels):
    n = len(labels)
    d = cache["probs"].copy()
    d[np.arange(n), labels] -= 1
    d /= n
    out = {}
    for k, a, z in ((3, cache["a2"], cache["z2"]), (2, cache["a1"], cache["z1"]), (1, cache["X"], None)):
        out[f"W{k}"] = a.T @ d
        out[f"b{k}"] = np.sum(d, axis=0, keepdims=True).ravel()
        if z is not None:
            d = (d @ params[f"W{k}"].T) * relu_grad(z)
    return out
