"""Scales the caller's gradients in place (breaks momentum, which reuses them)."""

BROKEN = "sgd_step"
HINT = "modified its input grads"


def sgd_step(params, grads, lr):
    for key, grad in grads.items():
        grad *= lr
        params[key] -= grad
