"""All five functions at once, in one student's style: helpers, np.where, np.log of the clipped row pick,
a generator over the keys."""
import numpy as np


def _rows(a):
    return np.arange(a.shape[0])


def relu_grad(z):
    return np.where(z > 0, z.dtype.type(1), z.dtype.type(0))


def softmax(logits):
    z = logits - np.max(logits, 1)[:, np.newaxis]
    p = np.exp(z)
    return p / np.sum(p, 1)[:, np.newaxis]


def cross_entropy(probs, labels):
    return float(np.average(-np.log(probs[_rows(probs), labels].clip(min=PROB_FLOOR))))


def backward(params, cache, labels):
    g = cache["probs"].copy()
    g[_rows(g), labels] -= 1
    g /= g.shape[0]
    grads = {"W3": cache["a2"].T @ g, "b3": g.sum(0)}
    g = np.multiply(g @ params["W3"].T, relu_grad(cache["z2"]))
    grads["W2"], grads["b2"] = cache["a1"].T @ g, g.sum(0)
    g = np.multiply(g @ params["W2"].T, relu_grad(cache["z1"]))
    grads["W1"], grads["b1"] = cache["X"].T @ g, g.sum(0)
    return dict(sorted(grads.items()))


def sgd_step(params, grads, lr):
    for k in (key for key in params if key in grads):
        params[k] *= 1  # a no-op that keeps the same array
        params[k] -= grads[k] * lr
