"""Adapted from baishuhuaGitHub/DeepLearning.ai, Coursera-deeplearning.ai2-1/backward_propagation_with_regularization.py
and reg_utils.py (commit 89fc524d): a learner's deeplearning.ai "Regularization" assignment, the 3-layer
LINEAR->RELU->LINEAR->RELU->LINEAR->SIGMOID network, feature first (W @ X, examples in columns).

Kept: the L2 term lambd * W / m added to every dW (lambd = 0.7, the value of their L2 run; m = the batch size), so
backward returns the gradient of cross-entropy + (lambd / 2m) * sum ||W||^2; the ReLU derivative inline as
np.int64(A > 0) on the activations, which makes the hidden layers' gradients float64; (1 / m) on every dW and db;
Y as float64 one-hot (their labels come from data.mat); the folder's update_parameters (reg_utils.py, the course's
helpers): parameters["W1"] = parameters["W1"] - learning_rate * grads["dW1"], new arrays; the cost's cross-entropy
part, reg_utils' compute_cost, 1/m * np.nansum(-log(a3) * Y - log(1 - a3) * (1 - Y)): the BINARY cross-entropy of
each class (right for their single sigmoid output), no clipping. Their output is a sigmoid (dZ3 = A3 - Y holds for
it as for the softmax), so softmax is the reference's. (Their (n, 1) biases summed with keepdims are our (n,) ones.)
"""
import numpy as np

VERDICT = {
    "relu_grad": "full",  # the reference's (their ReLU derivative is inline in backward)
    "softmax": "full",  # the reference's (sigmoid output in the source)
    "cross_entropy": "partial",  # adds -log(1 - p) for every wrong class; inf when a probability is 0 or 1
    "backward": "partial",  # + lambd/m * W on every weight gradient; float64 hidden layers
    "sgd_step": "partial",  # right values, new arrays instead of in-place updates
}
TRAINING = "accepted"  # honest: L2 weight decay (0.7/64 * W) on top of the right gradient still goes downhill

LAMBD = 0.7


def cross_entropy(probs, labels):
    a3, Y = probs, np.eye(probs.shape[1])[labels]
    m = Y.shape[0]
    logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    cost = 1. / m * np.nansum(logprobs)
    return cost


def backward(params, cache, labels):
    lambd = LAMBD
    X, Z1, A1, Z2, A2, A3 = (cache[k] for k in ("X", "z1", "a1", "z2", "a2", "probs"))
    W1, W2, W3 = params["W1"], params["W2"], params["W3"]
    Y = np.eye(A3.shape[1])[labels]
    m = X.shape[0]

    dZ3 = A3 - Y

    dW3 = np.dot(A2.T, dZ3) / m + lambd * W3 / m
    db3 = np.sum(dZ3, axis=0) / m

    dA2 = np.dot(dZ3, W3.T)
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = np.dot(A1.T, dZ2) / m + lambd * W2 / m
    db2 = np.sum(dZ2, axis=0) / m

    dA1 = np.dot(dZ2, W2.T)
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = np.dot(X.T, dZ1) / m + lambd * W1 / m
    db1 = np.sum(dZ1, axis=0) / m

    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}


def sgd_step(params, grads, lr):
    n = len(params) // 2
    for k in range(n):
        params["W" + str(k + 1)] = params["W" + str(k + 1)] - lr * grads["W" + str(k + 1)]
        params["b" + str(k + 1)] = params["b" + str(k + 1)] - lr * grads["b" + str(k + 1)]
