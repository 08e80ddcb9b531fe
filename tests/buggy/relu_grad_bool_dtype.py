"""Returns the boolean mask itself."""

BROKEN = "relu_grad"
HINT = "convert with .astype(z.dtype)"


def relu_grad(z):
    return z > 0
