"""Right values, but always float64 (astype(float)), whatever z's dtype."""

BROKEN = "relu_grad"
HINT = "returned dtype float64, expected float32"


def relu_grad(z):
    return (z > 0).astype(float)
