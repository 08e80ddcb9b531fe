"""Builds a new dict in a local name: nothing reaches the caller."""

BROKEN = "sgd_step"
HINT = "is unchanged"


def sgd_step(params, grads, lr):
    params = {key: params[key] - lr * grads[key] for key in params}
