"""Adam that increments the step count inside the loop over the keys: once per array, not once per step."""

BROKEN = "adam_step"
HINT = "once per step, not once per key"


def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    for key, grad in grads.items():
        state["t"] += 1
        t = state["t"]
        m, v = state["m"][key], state["v"][key]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        params[key] -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
