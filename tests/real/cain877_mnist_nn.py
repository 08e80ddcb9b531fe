"""Adapted from cain877/mnist-nn-from-scratch, mnist_nn.py (commit 548f05d8): a Samson-Zhang-style MNIST network.

Kept: deriv_ReLU returns the bool mask Z > 0; softmax without the max subtraction; backward's one-hot has
Y.max() + 1 columns and float64 dtype, and each bias gradient is 1/m * np.sum(dZ) over EVERY entry (one number);
update_params returns new arrays (W1 = W1 - alpha * dW1) instead of updating them. Their loss is not in the file.
"""
import numpy as np

VERDICT = {
    "relu_grad": "partial",  # right values, bool dtype: only the dtype checks fail
    "softmax": "partial",  # overflows on large logits
    "cross_entropy": "full",  # the reference's (not in the source)
    "backward": "partial",  # weight gradients right for full-width labels; scalar bias gradients; float64
    "sgd_step": "partial",  # right values, new arrays instead of in-place updates
}
TRAINING = "crashed"  # its one-hot is as wide as the batch's largest label + 1: a batch without a 9 breaks backward


def relu_grad(z):
    return z > 0


def softmax(logits):
    return np.exp(logits) / np.sum(np.exp(logits), axis=1, keepdims=True)


def one_hot(Y):
    one_hot_Y = np.zeros((Y.size, Y.max() + 1))
    one_hot_Y[np.arange(Y.size), Y] = 1
    return one_hot_Y


def backward(params, cache, labels):
    m = labels.size
    one_hot_Y = one_hot(labels)
    dZ3 = cache["probs"] - one_hot_Y
    dW3 = 1 / m * cache["a2"].T.dot(dZ3)
    db3 = 1 / m * np.sum(dZ3)
    dZ2 = dZ3.dot(params["W3"].T) * relu_grad(cache["z2"])
    dW2 = 1 / m * cache["a1"].T.dot(dZ2)
    db2 = 1 / m * np.sum(dZ2)
    dZ1 = dZ2.dot(params["W2"].T) * relu_grad(cache["z1"])
    dW1 = 1 / m * cache["X"].T.dot(dZ1)
    db1 = 1 / m * np.sum(dZ1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}


def sgd_step(params, grads, lr):
    params["W1"] = params["W1"] - lr * grads["W1"]
    params["b1"] = params["b1"] - lr * grads["b1"]
    params["W2"] = params["W2"] - lr * grads["W2"]
    params["b2"] = params["b2"] - lr * grads["b2"]
    params["W3"] = params["W3"] - lr * grads["W3"]
    params["b3"] = params["b3"] - lr * grads["b3"]
