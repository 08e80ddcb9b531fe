"""Forgets the learning rate."""

BROKEN = "sgd_step"
HINT = "multiply by the learning rate"


def sgd_step(params, grads, lr):
    for key, grad in grads.items():
        params[key] -= grad
