"""Returns a new dict instead of updating in place and returning None."""

BROKEN = "sgd_step"
HINT = "must return None"


def sgd_step(params, grads, lr):
    return {key: params[key] - lr * grads[key] for key in params}
