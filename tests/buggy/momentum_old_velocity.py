"""Momentum that moves params with the velocity of the previous step, then updates the velocity."""

BROKEN = "momentum_step"
HINT = "OLD velocity"


def momentum_step(params, grads, velocity, lr, momentum):
    for key, grad in grads.items():
        params[key] -= lr * velocity[key]
        velocity[key] *= momentum
        velocity[key] += grad
