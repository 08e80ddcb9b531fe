"""Momentum as an average of the gradients, v = momentum * v + (1 - momentum) * g (dampening), not their sum."""

BROKEN = "momentum_step"
HINT = "(dampening)"


def momentum_step(params, grads, velocity, lr, momentum):
    for key, grad in grads.items():
        velocity[key] *= momentum
        velocity[key] += (1 - momentum) * grad
        params[key] -= lr * velocity[key]
