"""relu_grad with np.heaviside (step function, value 0 at exactly 0)."""
import numpy as np


def relu_grad(z):
    return np.heaviside(z, 0).astype(z.dtype, copy=False)
