"""Every parameter by name, no loops: sgd_step and backward spell out W1..b3."""
import numpy as np


def sgd_step(params, grads, lr):
    params["W1"] -= lr * grads["W1"]
    params["b1"] -= lr * grads["b1"]
    params["W2"] -= lr * grads["W2"]
    params["b2"] -= lr * grads["b2"]
    params["W3"] -= lr * grads["W3"]
    params["b3"] -= lr * grads["b3"]


def backward(params, cache, labels):
    N = labels.shape[0]
    delta3 = cache["probs"].copy()
    delta3[range(N), labels] -= 1
    delta3 = delta3 / N
    dW3 = np.dot(cache["a2"].T, delta3)
    db3 = np.sum(delta3, axis=0)
    delta2 = np.dot(delta3, params["W3"].T) * relu_grad(cache["z2"])
    dW2 = np.dot(cache["a1"].T, delta2)
    db2 = np.sum(delta2, axis=0)
    delta1 = np.dot(delta2, params["W2"].T) * relu_grad(cache["z1"])
    dW1 = np.dot(cache["X"].T, delta1)
    db1 = np.sum(delta1, axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}
