"""Adds the gradient (gradient ascent)."""

BROKEN = "sgd_step"
HINT = "subtract"


def sgd_step(params, grads, lr):
    for key, grad in grads.items():
        params[key] += lr * grad
