"""Adapted from Tim2othy/tiny-nn, minm_net.py (commit 1c7888e1): a learner's 784-100-50-10 ReLU network on MNIST
trained one sample at a time, with layer functions fc_bp / relu_bp (the updates inside fc_bp).

Kept: relu_prime as np.where(x > 0, 1, 0), int64 whatever x's dtype; the stable softmax_fp; the loss is mse,
np.mean(np.power(y_true - y_pred, 2)), not the cross-entropy; backward starts from mse_prime,
2 * (y_pred - y_true) / y_true.size ("skipping softmax since error isn't changed"), applied here to the whole
batch (y_true.size = N * C), so 2 / (N * C) where the mean cross-entropy has 1 / N; y_true from their
to_categorical (np.zeros, float64); the error passed on with the weights before the update; in-place updates
(weights -= LEARNING_RATE * weights_error, their module constant being our lr). (Their (1, n) biases, whose
gradient is the one sample's error row, are our (n,) ones: the batch's rows summed.)
"""
import numpy as np

VERDICT = {
    "relu_grad": "partial",  # right values, int64
    "softmax": "full",
    "cross_entropy": "partial",  # the mean squared error of the one-hot labels
    "backward": "partial",  # 2 / C times the right gradients (0.2 for MNIST), float64
    "sgd_step": "full",
}
TRAINING = "accepted"  # honest: the MSE gradient without the softmax Jacobian still points downhill


def relu_grad(z):
    return np.where(z > 0, 1, 0)


def softmax(logits):
    exp_values = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    probabilities = exp_values / np.sum(exp_values, axis=1, keepdims=True)
    return probabilities


def to_categorical(y, num_classes=10):
    y = np.array(y, dtype="int")
    n = y.shape[0]
    categorical = np.zeros((n, num_classes))
    categorical[np.arange(n), y] = 1
    return categorical


def cross_entropy(probs, labels):
    y_true, y_pred = to_categorical(labels, probs.shape[1]), probs
    return np.mean(np.power(y_true - y_pred, 2))


def mse_prime(y_true, y_pred):
    return 2 * (y_pred - y_true) / y_true.size


def _fc_bp(weights, input, output_error):
    input_error = np.dot(output_error, weights.T)
    weights_error = np.dot(input.T, output_error)
    return input_error, weights_error, output_error.sum(axis=0)


def backward(params, cache, labels):
    error = mse_prime(to_categorical(labels, cache["probs"].shape[1]), cache["probs"])
    grads = {}
    # skipping softmax since error isn't changed
    error, grads["W3"], grads["b3"] = _fc_bp(params["W3"], cache["a2"], error)
    error = relu_grad(cache["z2"]) * error
    error, grads["W2"], grads["b2"] = _fc_bp(params["W2"], cache["a1"], error)
    error = relu_grad(cache["z1"]) * error
    _, grads["W1"], grads["b1"] = _fc_bp(params["W1"], cache["X"], error)
    return grads


def sgd_step(params, grads, lr):
    for key in ("W3", "b3", "W2", "b2", "W1", "b1"):
        params[key] -= lr * grads[key]
