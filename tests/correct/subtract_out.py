"""sgd_step with np.subtract(..., out=) into the existing arrays."""
import numpy as np


def sgd_step(params, grads, lr):
    for key in grads:
        np.subtract(params[key], lr * grads[key], out=params[key], casting="unsafe")
