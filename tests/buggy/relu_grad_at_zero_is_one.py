"""Takes the derivative at exactly 0 to be 1 (z >= 0)."""

BROKEN = "relu_grad"
HINT = "relu_grad(0) must be 0"


def relu_grad(z):
    return (z >= 0).astype(z.dtype)
