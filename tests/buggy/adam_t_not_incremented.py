"""Adam that computes the right step with t + 1 but never stores the new step count in the state."""

BROKEN = "adam_step"
HINT = "it is unchanged: add 1"


def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] + 1
    for key, grad in grads.items():
        m, v = state["m"][key], state["v"][key]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        params[key] -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
