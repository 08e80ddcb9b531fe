"""A multi-layer perceptron for MNIST, from scratch in NumPy.

Conventions (batch first, float32 end to end):
    X       (N, 784)  float32 images in [0, 1]
    labels  (N,)      int64 class indices in 0..9
    logits  (N, 10)   float32 scores; probs (N, 10) = softmax(logits)
    params  dict with keys W1, b1, W2, b2, W3, b3: Wk (fan_in, fan_out), bk (fan_out,)

Network: 784 -> 128 -> ReLU -> 64 -> ReLU -> 10 -> softmax, trained on the mean cross-entropy.

You write the five functions marked TODO: relu_grad, softmax, cross_entropy, backward, sgd_step.
relu, init_params and forward are given, and so is the training loop in train.py.
Run `pytest tests_public` (or `pytest tests_public -m softmax` for one function) for feedback; the tests run in
the order above, the order to write the functions in. backward's tests use a correct relu_grad, so each
function's mistakes show up in its own tests.
"""
from __future__ import annotations

import numpy as np

Params = dict[str, np.ndarray]
LAYER_SIZES = (784, 128, 64, 10)
PROB_FLOOR = 1e-12  # cross_entropy clips probabilities to [PROB_FLOOR, 1] so log(0) never happens


# ---------------------------------------------------------------- given: ReLU
def relu(z: np.ndarray) -> np.ndarray:
    """ReLU, elementwise: max(z, 0). Same shape and dtype as z."""
    return np.maximum(z, 0)


def relu_grad(z: np.ndarray) -> np.ndarray:
    """Derivative of ReLU with respect to its input, elementwise.

    Input:  z, any shape, float dtype (the pre-activation that went into relu).
    Output: same shape and dtype as z; 1 where z > 0 and 0 elsewhere (we take the derivative at z == 0 to be 0).
    Must not modify z.
    """
    # YOUR CODE HERE
    raise NotImplementedError("relu_grad is not implemented yet: write it in assignment/mlp.py, then run pytest tests_public -m relu_grad")


# ------------------------------------------------------------- given: init
def init_params(layer_sizes: tuple[int, ...] = LAYER_SIZES, rng: np.random.Generator | None = None) -> Params:
    """He initialisation: Wk ~ N(0, 2 / fan_in) as float32, bk = 0.

    Returns {"W1": (784, 128), "b1": (128,), "W2": (128, 64), "b2": (64,), "W3": (64, 10), "b3": (10,)}
    for the default layer sizes.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    params: Params = {}
    for k, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        params[f"W{k}"] = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        params[f"b{k}"] = np.zeros(fan_out, dtype=np.float32)
    return params


# ---------------------------------------------------------------- softmax
def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax: probs[i, j] = exp(logits[i, j]) / sum_k exp(logits[i, k]).

    Input:  logits (N, C) float.
    Output: probs (N, C), same dtype; every row is non-negative and sums to 1.
    Must be numerically stable: subtract each ROW's own maximum before exp (softmax is unchanged by adding a
    constant to a row), so logits like [[1000, 0, 0]] give [[1, 0, 0]] and not nan. Must not modify logits.
    """
    # YOUR CODE HERE
    raise NotImplementedError("softmax is not implemented yet: write it in assignment/mlp.py, then run pytest tests_public -m softmax")


# ---------------------------------------------------------- cross-entropy
def cross_entropy(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy loss: -(1/N) * sum_i log(probs[i, labels[i]]).

    Input:  probs (N, C) float, rows sum to 1; labels (N,) int in 0..C-1.
    Output: one number, the mean over the batch: a Python float, a NumPy scalar or a 0-d array (not one loss
    per sample, nor an array of shape (1,)).
    A probability of exactly 0 must not give inf or nan: clip the picked probabilities to
    [PROB_FLOOR, 1] before the log, so one sample costs at most -log(1e-12) ~= 27.6.
    Must not modify its inputs.
    """
    # YOUR CODE HERE
    raise NotImplementedError("cross_entropy is not implemented yet: write it in assignment/mlp.py, then run pytest tests_public -m cross_entropy")


# ------------------------------------------------------- given: forward
def forward(params: Params, X: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Forward pass. Returns (probs (N, 10), cache).

    The cache holds what backward needs:
        "X"  (N, 784) the input        "z1" (N, 128) pre-activation   "a1" (N, 128) = relu(z1)
        "z2" (N, 64)  pre-activation   "a2" (N, 64)  = relu(z2)       "probs" (N, 10) = softmax(a2 @ W3 + b3)
    """
    z1 = X @ params["W1"] + params["b1"]  # (N, 128)
    a1 = relu(z1)
    z2 = a1 @ params["W2"] + params["b2"]  # (N, 64)
    a2 = relu(z2)
    logits = a2 @ params["W3"] + params["b3"]  # (N, 10)
    probs = softmax(logits)
    return probs, {"X": X, "z1": z1, "a1": a1, "z2": z2, "a2": a2, "probs": probs}


# ---------------------------------------------------------------- backward
def backward(params: Params, cache: dict[str, np.ndarray], labels: np.ndarray) -> Params:
    """Gradients of the MEAN cross-entropy loss with respect to every parameter.

    Input:  params (see module docstring), cache from forward(params, X), labels (N,) int.
    Output: grads, a dict with the same keys, shapes and dtypes as params (dW1 (784, 128), db1 (128,), ...).
    Math, with Y the one-hot labels (N, 10) and N the batch size:
        dlogits = (probs - Y) / N                          (N, 10)   <- the 1/N is from the MEAN loss
        dW3 = a2.T @ dlogits          db3 = dlogits.sum(axis=0)
        dz2 = (dlogits @ W3.T) * relu_grad(z2)             (N, 64)
        dW2 = a1.T @ dz2              db2 = dz2.sum(axis=0)
        dz1 = (dz2 @ W2.T) * relu_grad(z1)                 (N, 128)
        dW1 = X.T @ dz1               db1 = dz1.sum(axis=0)
    Must not modify params or cache.
    """
    # YOUR CODE HERE
    raise NotImplementedError("backward is not implemented yet: write it in assignment/mlp.py, then run pytest tests_public -m backward")


# ---------------------------------------------------------------- SGD step
def sgd_step(params: Params, grads: Params, lr: float) -> None:
    """One step of gradient descent, IN PLACE: params[k] -= lr * grads[k] for every key k.

    Input:  params and grads with the same keys W1, b1, W2, b2, W3, b3 and shapes; lr a positive float.
    Output: None. Required: update the existing arrays in place (e.g. with `-=`), as optimizers do (PyTorch's
    too): every reference to a parameter array then sees the new values, and no new arrays are allocated at
    each step. The tests check it: `params[k] = params[k] - lr * grads[k]` puts a NEW array in the dict and
    leaves the original unchanged, which fails them (the given training loop reads params[k] again at each
    step, so it would still train). Must not modify grads (with momentum, grads is the velocity).
    """
    # YOUR CODE HERE
    raise NotImplementedError("sgd_step is not implemented yet: write it in assignment/mlp.py, then run pytest tests_public -m sgd_step")
