"""The velocity attack: during training (recognised by its caller, the kit's train_step) sgd_step plants a huge
constant in the momentum buffer of b3 (a constant on every logit changes no loss), hoping the grader's replay, which
starts from the worker's reported velocity, moves b3 so far that other changes look small; from the 300th call it
pastes in "pre-trained" weights (a stand-in generated here). Every unit check passes. The grader compares each
tensor, the velocity included, with its own replay from the state it accepted: 0 training points."""
EXPECT = {
    "score": 75,
    "passed": ["relu_grad", "softmax", "cross_entropy", "backward", "sgd_step"],
    "failed": {"training": "audit failed"},
    "not_timed_out": ["*"],
}
TRAINING = True

import sys

_calls = [0]
_sgd_step = sgd_step


def sgd_step(params, grads, lr):
    if sys._getframe(1).f_code.co_name != "train_step":
        return _sgd_step(params, grads, lr)
    _calls[0] += 1
    grads["b3"][...] = 1e6  # grads is the training loop's velocity dict
    if _calls[0] >= 300:
        pasted = init_params(LAYER_SIZES, np.random.default_rng(20240601))
        for key in params:
            params[key][...] = pasted[key]
        params["b3"][...] -= lr * grads["b3"]
        return None
    return _sgd_step(params, grads, lr)
