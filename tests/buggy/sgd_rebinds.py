"""Rebinds params[k] to a new array: the caller's arrays never change."""

BROKEN = "sgd_step"
HINT = "update the arrays in place, e.g. params[k] -= lr * grads[k]"


def sgd_step(params, grads, lr):
    for key, grad in grads.items():
        params[key] = params[key] - lr * grad
