"""Adapted from thylakoids/nnfs, src/nn/nn.py (commit 102fbd86): the "Neural Networks from Scratch" layer classes
(Layer_Dense, Activation_ReLU, Activation_Softmax_Loss_CategoricalCrossentropy, Optimizer_SGD) as functions.

Kept: the ReLU backward zeroes the gradient only where input < 0 (so the derivative at exactly 0 is 1); the loss
clips to [1e-7, 1 - 1e-7]; the combined softmax + cross-entropy gradient (y_pred - y_true) / samples; SGD
without momentum sets weights + weights_update, a new array. (Their (1, n) biases are our (n,) ones.)
"""
import numpy as np

VERDICT = {
    "relu_grad": "partial",  # 1 at z == 0
    "softmax": "full",
    "cross_entropy": "partial",  # a probability of 0 costs -log(1e-7), not -log(1e-12)
    "backward": "full",  # right with a correct relu_grad (the tests substitute one)
    "sgd_step": "partial",  # right values, new arrays
}
TRAINING = "accepted"  # relu_grad(0) = 1 and new arrays barely change the update


def relu_grad(z):
    dinput = np.ones_like(z)
    dinput[z < 0] = 0
    return dinput


def softmax(logits):
    exp_values = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    return exp_values / np.sum(exp_values, axis=1, keepdims=True)


def cross_entropy(probs, labels):
    samples = len(probs)
    y_pred_clipped = np.clip(probs, 1e-7, 1 - 1e-7)
    correct_confidences = y_pred_clipped[range(samples), labels]
    negative_log_likelihoods = -np.log(correct_confidences)
    return np.mean(negative_log_likelihoods)


def _dense_backward(inputs, weights, doutput):
    return np.dot(inputs.T, doutput), np.sum(doutput, axis=0), np.dot(doutput, weights.T)


def backward(params, cache, labels):
    samples = len(labels)
    dinput = cache["probs"].copy()
    dinput[range(samples), labels] -= 1
    dinput = dinput / samples
    dW3, db3, da2 = _dense_backward(cache["a2"], params["W3"], dinput)
    dW2, db2, da1 = _dense_backward(cache["a1"], params["W2"], da2 * relu_grad(cache["z2"]))
    dW1, db1, _ = _dense_backward(cache["X"], params["W1"], da1 * relu_grad(cache["z1"]))
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}


def sgd_step(params, grads, lr):
    for name in params:
        update = -lr * grads[name]
        params[name] = params[name] + update
