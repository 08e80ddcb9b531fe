"""backward one sample at a time, accumulating outer products (slow but correct), in the params' dtype."""
import numpy as np


def backward(params, cache, labels):
    n = len(labels)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    for i in range(n):
        d3 = cache["probs"][i].copy()
        d3[labels[i]] -= 1
        d3 /= n
        d2 = (params["W3"] @ d3) * relu_grad(cache["z2"][i])
        d1 = (params["W2"] @ d2) * relu_grad(cache["z1"][i])
        grads["W3"] += np.outer(cache["a2"][i], d3)
        grads["b3"] += d3
        grads["W2"] += np.outer(cache["a1"][i], d2)
        grads["b2"] += d2
        grads["W1"] += np.outer(cache["X"][i], d1)
        grads["b1"] += d1
    return grads
