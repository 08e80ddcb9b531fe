"""relu_grad as a boolean mask multiplied into ones of z's dtype; softmax divides by the reciprocal row sums."""
import numpy as np


def relu_grad(z):
    return np.ones_like(z) * (z > 0)


def softmax(logits):
    shifted = np.subtract(logits, np.amax(logits, axis=-1, keepdims=True))
    e = np.exp(shifted)
    return e * (1 / np.sum(e, axis=-1, keepdims=True))
