"""An honest bug: backward returns W2's gradient with the wrong sign. Backward's checks fail; in training W2's
update points against the gradient, which the audit reports with a hint at backward's sign (no accusation)."""
EXPECT = {
    "passed": ["relu_grad", "softmax", "cross_entropy", "sgd_step"],
    "failed": {"backward": "", "training": "check backward"},
    "not_timed_out": ["*"],
}
TRAINING = True

_backward = backward


def backward(params, cache, labels):
    grads = _backward(params, cache, labels)
    grads["W2"] = -grads["W2"]
    return grads
