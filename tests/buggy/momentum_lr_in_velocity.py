"""Momentum in the other common convention, v = momentum * v - lr * g; p += v (the velocity holds steps, not
gradients): the same trajectory at a constant lr, but not this assignment's (and the training loop's) velocity."""

BROKEN = "momentum_step"
HINT = "another convention"


def momentum_step(params, grads, velocity, lr, momentum):
    for key, grad in grads.items():
        velocity[key] *= momentum
        velocity[key] -= lr * grad
        params[key] += velocity[key]
