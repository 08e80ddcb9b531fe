"""An honest bug, not an attack: backward returns half of W1's gradient. Backward's checks fail (and only those),
but the update still follows the gradient and the network trains past 95%: the training run earns its
accuracy-based credit (the training-credit policy in scoring.toml)."""
EXPECT = {
    "passed": ["relu_grad", "softmax", "cross_entropy", "sgd_step", "training"],
    "failed": ["backward"],
    "not_timed_out": ["*"],
}
TRAINING = True

_backward = backward


def backward(params, cache, labels):
    grads = _backward(params, cache, labels)
    grads["W1"] = grads["W1"] * 0.5
    return grads
