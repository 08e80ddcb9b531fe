"""Adam with eps under the square root, sqrt(v_hat + eps): only visible when gradients are small."""

BROKEN = "adam_step"
HINT = "eps inside the square root"


def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] += 1
    t = state["t"]
    for key, grad in grads.items():
        m, v = state["m"][key], state["v"][key]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        params[key] -= lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t) + eps)
