"""A small Layer record per layer, walked backwards; sgd_step through np.add with out=."""
from dataclasses import dataclass

import numpy as np


@dataclass
class _Layer:
    index: int
    inputs: np.ndarray
    pre: np.ndarray | None  # the pre-activation of the layer below (None for the first layer)


def backward(params, cache, labels):
    n = labels.size
    grad = cache["probs"] - np.eye(cache["probs"].shape[1], dtype=cache["probs"].dtype)[labels]
    grad = grad / n
    grads = {}
    for layer in (_Layer(3, cache["a2"], cache["z2"]), _Layer(2, cache["a1"], cache["z1"]), _Layer(1, cache["X"], None)):
        grads["W%d" % layer.index] = layer.inputs.T.dot(grad)
        grads["b%d" % layer.index] = grad.sum(axis=0)
        if layer.pre is not None:
            grad = grad.dot(params["W%d" % layer.index].T) * relu_grad(layer.pre)
    return grads


def sgd_step(params, grads, lr):
    for key in list(params):
        np.add(params[key], -lr * grads[key], out=params[key], casting="unsafe")
