"""No max subtraction: exp(1000) overflows."""
import numpy as np

BROKEN = "softmax"
HINT = "exp overflowed"


def softmax(logits):
    exps = np.exp(logits)
    return exps / exps.sum(axis=1, keepdims=True)
