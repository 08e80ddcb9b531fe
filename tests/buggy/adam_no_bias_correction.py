"""Adam without the bias correction: m and v are used as they are, so early steps are far too large."""

BROKEN = "adam_step"
HINT = "without bias correction"


def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] += 1
    for key, grad in grads.items():
        m, v = state["m"][key], state["v"][key]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        params[key] -= lr * m / (np.sqrt(v) + eps)
