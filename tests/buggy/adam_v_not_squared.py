"""Adam whose second moment averages the gradient instead of its square."""

BROKEN = "adam_step"
HINT = "not its square"


def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] += 1
    t = state["t"]
    for key, grad in grads.items():
        m, v = state["m"][key], state["v"][key]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad
        params[key] -= lr * (m / (1 - beta1**t)) / (np.sqrt(np.abs(v) / (1 - beta2**t)) + eps)
