"""Adapted from jareducherek/tutor-grad-mlp, mlp.py (commit b791181b): a Keras-like DenseLayer/SequentialModel
tutorial on MNIST whose weights hold the bias as an extra COLUMN (W of shape (n_out, n_in + 1), the input extended
with a column of ones), backward written with einsum and a per-layer loop. Here [b; W] transposed is their W.

Kept: the relu df, np.where(x < 0, 0.0, 1.0) (float64, 1 at exactly 0), and backprop applying it to the layer's
ACTIVATION A = relu(z) (right for the sigmoid their notebook trains, whose df takes A; for ReLU, the mask is all
ones); softmax as np.exp(x) / np.sum(np.exp(x), axis=1) without the max subtraction; their only loss, 'mse':
np.sum(0.5 * (y_pred - y_true) ** 2) / (2 * N), whose df y_pred - y_true (no 1/N) goes through the softmax Jacobian
(diagflat(p) - p p^T per sample); every dW divided by N except the first layer's (the loop's last step, on the
input X, has no / delta.shape[0]); y_true as their make_set builds it (np.zeros, float64).
Not representable: their update W - lr * (dW + momentum * previous dW) needs state (the reference's sgd_step).
"""
import numpy as np

VERDICT = {
    "relu_grad": "partial",  # 1 at z == 0, float64
    "softmax": "partial",  # overflows on large logits
    "cross_entropy": "partial",  # a scaled squared error of the one-hot labels, not the cross-entropy
    "backward": "partial",  # the MSE gradient through the softmax Jacobian, no 1/N for W1 and b1, float64
    "sgd_step": "full",  # the reference's
}
TRAINING = "diverged"  # no 1/N in W1 and b1: their steps blow the logits up until the unstable softmax gives nan


def relu_grad(z):
    return np.where(z < 0, 0.0, 1.0)


def softmax(logits):
    return np.exp(logits) / np.sum(np.exp(logits), axis=1).reshape(-1, 1)


def _y_true(labels, classes):
    y = np.zeros((len(labels), classes))
    y[np.arange(len(labels)), labels] = 1
    return y


def cross_entropy(probs, labels):
    y_true = _y_true(labels, probs.shape[1])
    return np.sum(0.5 * (probs - y_true) ** 2) / (2 * y_true.shape[0])


def _extend(vec):
    return np.hstack([np.ones((vec.shape[0], 1)), vec])


def _softmax_df(x):
    return np.apply_along_axis(np.diagflat, axis=1, arr=x) - np.einsum('ij,ik->ijk', x, x)


def backward(params, cache, labels):
    W = {k: np.vstack([params[f"b{k}"][None, :], params[f"W{k}"]]).T for k in (1, 2, 3)}  # (n_out, n_in + 1)
    A = {0: cache["X"], 1: cache["a1"], 2: cache["a2"], 3: cache["probs"]}
    delta = cache["probs"] - _y_true(labels, cache["probs"].shape[1])  # loss_grad of 'mse'
    delta = np.einsum('ba,baz->bz', delta, _softmax_df(A[3]))  # through the last activation
    dWs = {}
    for i in (3, 2):
        dWs[i] = np.einsum('ba,bz->za', _extend(A[i - 1]), delta) / delta.shape[0]
        delta = np.einsum('bz,za,ba->ba', delta, W[i][..., 1:], relu_grad(A[i - 1]))
    dWs[1] = np.einsum('bi,bz->zi', _extend(A[0]), delta)  # final update using input X
    grads = {}
    for k, dW in dWs.items():
        grads[f"W{k}"], grads[f"b{k}"] = dW[:, 1:].T, dW[:, 0]
    return grads
