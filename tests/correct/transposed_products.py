"""backward builds each weight gradient as (dz.T @ input).T and each bias gradient as ones @ dz."""
import numpy as np


def backward(params, cache, labels):
    n = len(labels)
    ones = np.ones(n, dtype=cache["probs"].dtype)
    dz3 = cache["probs"].copy()
    np.subtract.at(dz3, (np.arange(n), labels), 1)
    dz3 = dz3 / n
    dz2 = (params["W3"] @ dz3.T).T * relu_grad(cache["z2"])
    dz1 = (params["W2"] @ dz2.T).T * relu_grad(cache["z1"])
    return {"W1": (dz1.T @ cache["X"]).T, "b1": ones @ dz1, "W2": (dz2.T @ cache["a1"]).T, "b2": ones @ dz2,
            "W3": (dz3.T @ cache["a2"]).T, "b3": ones @ dz3}
