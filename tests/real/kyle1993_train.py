"""Adapted from Kyle1993/MNIST_NumpyOnly, train.py (commit ce2e3ba5): a learner's 784-392-10 ReLU network on MNIST,
batch first, the backward pass and the update written inline in the training loop; two hidden layers here (their
relu_diff applied to each).

Kept: relu_diff's mask (input > 0).astype(np.int32), which makes the hidden layers' gradients float64; CEL_backward
recomputing each row's softmax from the logits o3 (row max subtracted, in a Python loop) minus an int32 one-hot, with
no 1/N, returned as float32; the weight gradients np.dot(np.transpose(o2), diff) of the SUM of the losses, while
each bias gradient is the per-sample error matrix (add_diff) that their update averages over the batch,
biase2 += np.mean(-lr * grad_b2, axis=0): here that batch mean is the bias gradient, so the weights get N times the
gradient of the mean loss and the biases exactly it; in-place updates (weight2 += -lr * grad_w2).
Not representable: their CrossEntropyLoss takes the logits (log-sum-exp per row), not probs (the reference's).
The logits o3, not in the cache, are recomputed from a2 as in their forward pass; their one-hot has output_size
(10) entries, here the number of columns of the logits.
"""
import numpy as np

VERDICT = {
    "relu_grad": "partial",  # right values, int32
    "softmax": "full",  # the reference's (their softmax is inline in the loss and its gradient)
    "cross_entropy": "full",  # the reference's (theirs takes the logits)
    "backward": "partial",  # weight gradients N times too large, bias gradients right; float64 hidden layers
    "sgd_step": "full",
}
TRAINING = "audit failed"  # weight gradients 64x too large: weights explode (finite, stable softmax) past 50x a step


def relu_grad(z):
    return (z > 0).astype(np.int32)


def _relu_diff(input, grad_backward):
    return np.multiply(grad_backward, ((input > 0).astype(np.int32)))


def _cel_backward(y, tar):
    grad = []
    for i in range(y.shape[0]):
        logit = y[i, :] - max(y[i, :])
        logit = np.exp(logit) / np.sum(np.exp(logit))
        tar_onehot = np.zeros((y.shape[1]), dtype=np.int32)
        tar_onehot[tar[i]] = 1
        grad.append(logit - tar_onehot)
    return np.asarray(grad, dtype=np.float32)


def backward(params, cache, labels):
    o3 = np.dot(cache["a2"], params["W3"]) + params["b3"]
    diff_loss_o3 = _cel_backward(o3, labels)
    grad_w3 = np.dot(np.transpose(cache["a2"]), diff_loss_o3)
    grad_b3 = np.mean(diff_loss_o3, axis=0)
    diff_o3_o2 = np.dot(diff_loss_o3, np.transpose(params["W3"]))
    diff_o2_z2 = _relu_diff(cache["z2"], diff_o3_o2)
    grad_w2 = np.dot(np.transpose(cache["a1"]), diff_o2_z2)
    grad_b2 = np.mean(diff_o2_z2, axis=0)
    diff_z2_a1 = np.dot(diff_o2_z2, np.transpose(params["W2"]))
    diff_a1_z1 = _relu_diff(cache["z1"], diff_z2_a1)
    grad_w1 = np.dot(np.transpose(cache["X"]), diff_a1_z1)
    grad_b1 = np.mean(diff_a1_z1, axis=0)
    return {"W1": grad_w1, "b1": grad_b1, "W2": grad_w2, "b2": grad_b2, "W3": grad_w3, "b3": grad_b3}


def sgd_step(params, grads, lr):
    params["W3"] += -lr * grads["W3"]
    params["b3"] += -lr * grads["b3"]
    params["W2"] += -lr * grads["W2"]
    params["b2"] += -lr * grads["b2"]
    params["W1"] += -lr * grads["W1"]
    params["b1"] += -lr * grads["b1"]
