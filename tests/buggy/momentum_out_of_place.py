"""Momentum with the right values in NEW arrays: velocity and params are rebound in their dicts."""

BROKEN = "momentum_step"
HINT = "original array was left unchanged"


def momentum_step(params, grads, velocity, lr, momentum):
    for key, grad in grads.items():
        velocity[key] = momentum * velocity[key] + grad
        params[key] = params[key] - lr * velocity[key]
