"""An L2 (weight decay) term added to every weight gradient, as in the deeplearning.ai regularization exercise:
the loss has none."""
import numpy as np

BROKEN = "backward"
HINT = "an L2 (weight decay) term"
LAMBD = 0.7


def backward(params, cache, labels):
    n = len(labels)
    dlogits = cache["probs"].copy()
    dlogits[np.arange(n), labels] -= 1
    dlogits /= n
    dz2 = (dlogits @ params["W3"].T) * relu_grad(cache["z2"])
    dz1 = (dz2 @ params["W2"].T) * relu_grad(cache["z1"])
    decay = params["W1"].dtype.type(LAMBD / n)
    return {
        "W1": cache["X"].T @ dz1 + decay * params["W1"], "b1": dz1.sum(axis=0),
        "W2": cache["a1"].T @ dz2 + decay * params["W2"], "b2": dz2.sum(axis=0),
        "W3": cache["a2"].T @ dlogits + decay * params["W3"], "b3": dlogits.sum(axis=0),
    }
