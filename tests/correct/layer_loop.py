"""backward loops over the layers from the top, sgd_step over the dict."""
import numpy as np


def backward(params, cache, labels):
    n = len(labels)
    delta = cache["probs"].copy()
    delta[np.arange(n), labels] -= 1
    delta /= n
    inputs = {1: cache["X"], 2: cache["a1"], 3: cache["a2"]}
    grads = {}
    for layer in (3, 2, 1):
        grads[f"W{layer}"] = inputs[layer].T @ delta
        grads[f"b{layer}"] = delta.sum(axis=0)
        if layer > 1:
            delta = (delta @ params[f"W{layer}"].T) * relu_grad(cache[f"z{layer - 1}"])
    return grads


def sgd_step(params, grads, lr):
    for name in params:
        params[name] -= lr * grads[name]
