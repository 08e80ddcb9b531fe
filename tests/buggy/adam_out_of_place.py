"""Adam with the right values in NEW arrays: params, m and v are rebound in their dicts, not updated in place."""

BROKEN = "adam_step"
HINT = "original array was left unchanged"


def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] += 1
    t = state["t"]
    for key, grad in grads.items():
        state["m"][key] = beta1 * state["m"][key] + (1 - beta1) * grad
        state["v"][key] = beta2 * state["v"][key] + (1 - beta2) * grad * grad
        m_hat = state["m"][key] / (1 - beta1**t)
        v_hat = state["v"][key] / (1 - beta2**t)
        params[key] = params[key] - lr * m_hat / (np.sqrt(v_hat) + eps)
