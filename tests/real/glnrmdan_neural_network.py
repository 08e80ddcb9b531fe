"""Adapted from glnrmdan/Semantic-Segmentation-Using-CNN, utils/neural_network.py (commit bd4467a7): a NumPy
NeuralNetwork class, one ReLU hidden layer there, two here (their hidden-layer step applied to each).

Kept: softmax as np.exp(X) / np.sum(..., axis=1, keepdims=True) without the max subtraction; backward starts
from delta3 = self.probs and subtracts 1 at the true classes IN PLACE, so it overwrites the cached
probabilities (here cache["probs"]); the gradients of the SUM of the losses (no 1/m, though m is computed);
the ReLU derivative inline, delta2[self.a1 <= 0] = 0 (on the activation, so 0 at z == 0); in-place updates
(self.W1 -= learning_rate * dW1). Their loss is not in the file.
"""
import numpy as np

VERDICT = {
    "relu_grad": "full",  # the reference's (their ReLU derivative is inline in backward)
    "softmax": "partial",  # overflows on large logits
    "cross_entropy": "full",  # the reference's (not in the source)
    "backward": "partial",  # N times the gradient of the mean loss; modifies cache["probs"]
    "sgd_step": "full",
}
TRAINING = "diverged"  # no 1/N: 64 times the gradient at lr 0.05 with momentum


def softmax(logits):
    exp_scores = np.exp(logits)
    return exp_scores / np.sum(exp_scores, axis=1, keepdims=True)


def backward(params, cache, labels):
    m = cache["X"].shape[0]
    delta4 = cache["probs"]
    delta4[range(m), labels] -= 1
    delta3 = np.dot(delta4, params["W3"].T)
    delta3[cache["a2"] <= 0] = 0  # ReLU derivative
    delta2 = np.dot(delta3, params["W2"].T)
    delta2[cache["a1"] <= 0] = 0  # ReLU derivative
    dW3 = np.dot(cache["a2"].T, delta4)
    db3 = np.sum(delta4, axis=0)
    dW2 = np.dot(cache["a1"].T, delta3)
    db2 = np.sum(delta3, axis=0)
    dW1 = np.dot(cache["X"].T, delta2)
    db1 = np.sum(delta2, axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}


def sgd_step(params, grads, lr):
    params["W1"] -= lr * grads["W1"]
    params["b1"] -= lr * grads["b1"]
    params["W2"] -= lr * grads["W2"]
    params["b2"] -= lr * grads["b2"]
    params["W3"] -= lr * grads["W3"]
    params["b3"] -= lr * grads["b3"]
