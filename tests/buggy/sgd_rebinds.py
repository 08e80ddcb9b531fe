"""Rebinds params[k] to a new array: the caller's original arrays never change (the right values, not in place)."""

BROKEN = "sgd_step"
HINT = "must update the existing arrays in place, e.g. params[k] -= lr * grads[k]"


def sgd_step(params, grads, lr):
    for key, grad in grads.items():
        params[key] = params[key] - lr * grad
