"""A skipped tensor: sgd_step passes every unit check but during training (recognised by its caller, the
kit's train_step) leaves the biases as they are. The grader checks each tensor's update against its replay: 0 training
points."""
EXPECT = {
    "score": 75,
    "passed": ["relu_grad", "softmax", "cross_entropy", "backward", "sgd_step"],
    "failed": {"training": "outside the tested update"},
    "not_timed_out": ["*"],
}
TRAINING = True

import sys

_sgd_step = sgd_step


def sgd_step(params, grads, lr):
    if sys._getframe(1).f_code.co_name != "train_step":
        return _sgd_step(params, grads, lr)
    for key in params:
        if key.startswith("W"):
            params[key] -= np.float32(lr) * grads[key]
    return None
