"""Always returns float64, whatever the input dtype."""
import numpy as np

BROKEN = "softmax"
HINT = "expected float32"


def softmax(logits):
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1, keepdims=True)
