"""Momentum applied to the gradient too: v = momentum * (v + g)."""

BROKEN = "momentum_step"
HINT = "momentum scales only the old velocity"


def momentum_step(params, grads, velocity, lr, momentum):
    for key, grad in grads.items():
        velocity[key] += grad
        velocity[key] *= momentum
        params[key] -= lr * velocity[key]
