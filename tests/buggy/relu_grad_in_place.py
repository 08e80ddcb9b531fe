"""Overwrites z with the mask."""

BROKEN = "relu_grad"
HINT = "modified its input z"


def relu_grad(z):
    z[z <= 0] = 0
    z[z > 0] = 1
    return z
