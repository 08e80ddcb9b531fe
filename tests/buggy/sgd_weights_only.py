"""Updates the weights but forgets the biases."""

BROKEN = "sgd_step"
HINT = "params['b1'] is unchanged"


def sgd_step(params, grads, lr):
    for key, grad in grads.items():
        if key.startswith("W"):
            params[key] -= lr * grad
