"""sgd_step is correct for the unit tests, but on its 300th call during training it overwrites the parameters
with smuggled weights (generated deterministically here, as a student cannot ship a .npy) and from then on does
nothing. The grader's audit replays chunks with the reference and fails the training run: 0 training points."""
EXPECT = {
    "score": 75,
    "passed": ["relu_grad", "softmax", "cross_entropy", "backward", "sgd_step"],
    "failed": {"training": "audit failed"},
    "not_timed_out": ["*"],
}
TRAINING = True

_calls = [0]
_sgd_step = sgd_step


def sgd_step(params, grads, lr):
    _calls[0] += 1
    if _calls[0] < 300:
        return _sgd_step(params, grads, lr)
    if _calls[0] == 300:
        smuggled = init_params(LAYER_SIZES, np.random.default_rng(20240601))
        for key in params:
            params[key][...] = smuggled[key] * 3.0
    return None
