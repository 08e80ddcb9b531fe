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

Optional extension (at the end of this file; graded only if your course says so): two more optimizers,
momentum_step and adam_step, with their own public tests (`pytest tests_public -m adam_step`).
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


# ================================================================ optional extension: momentum and Adam
# Two optimizers that use the gradients of past steps too. They are optional: the training run above uses
# sgd_step (the training loop does the momentum itself), and your course says whether these are graded.
def momentum_step(params: Params, grads: Params, velocity: Params, lr: float, momentum: float) -> None:
    """One step of SGD with (heavy-ball) momentum, IN PLACE, for every key k:

        velocity[k] = momentum * velocity[k] + grads[k]
        params[k]  -= lr * velocity[k]

    the convention of the given training loop (and of PyTorch's SGD with momentum, without dampening): the
    velocity is a running sum of gradients decayed by `momentum`; with momentum=0 it is sgd_step.
    Input:  params, grads and velocity with the same keys W1, b1, W2, b2, W3, b3 and shapes (velocity starts as
            zeros, {k: np.zeros_like(p) for k, p in params.items()}); lr > 0; 0 <= momentum < 1.
    Output: None. Update params[k] AND velocity[k] in place (e.g. with `*=`, `+=`, `-=`): the caller keeps the
    same dicts and arrays from step to step, as with sgd_step. Must not modify grads.
    """
    # YOUR CODE HERE
    raise NotImplementedError("momentum_step is not implemented yet: write it in assignment/mlp.py, then run pytest tests_public -m momentum_step")


def adam_state(params: Params) -> dict:
    """The state adam_step starts from: no step taken, both moments zero.

    Returns {"t": 0, "m": {k: zeros like params[k]}, "v": {k: zeros like params[k]}}.
    """
    return {"t": 0, "m": {k: np.zeros_like(p) for k, p in params.items()},
            "v": {k: np.zeros_like(p) for k, p in params.items()}}


def adam_step(params: Params, grads: Params, state: dict, lr: float, beta1: float = 0.9, beta2: float = 0.999,
              eps: float = 1e-8) -> None:
    """One step of Adam (Kingma & Ba 2015, Algorithm 1; the same update as PyTorch's torch.optim.Adam), IN PLACE.

    state (see adam_state): "t" the number of steps taken so far (an int), "m" and "v" dicts of arrays with the
    same keys and shapes as params (the running first and second moments of the gradient). One step:

        t = t + 1                                          (first, so the first step uses t = 1)
        for every key k, with g = grads[k]:
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g * g      (elementwise square)
            m_hat = m[k] / (1 - beta1 ** t)                (bias correction: m and v start at 0)
            v_hat = v[k] / (1 - beta2 ** t)
            params[k] -= lr * m_hat / (sqrt(v_hat) + eps)  (eps outside the square root)

    So the first step moves every parameter by about lr, against the sign of its gradient.
    Input:  params and grads (keys W1, b1, W2, b2, W3, b3), state as above; lr > 0; 0 <= beta1, beta2 < 1; eps > 0.
    Output: None. Update params[k], state["m"][k] and state["v"][k] in place (same arrays, new values) and store
    the new t in state["t"]. Must not modify grads.
    """
    # YOUR CODE HERE
    raise NotImplementedError("adam_step is not implemented yet: write it in assignment/mlp.py, then run pytest tests_public -m adam_step")
