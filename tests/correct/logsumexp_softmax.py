"""softmax through the log-sum-exp: exp(logits - logsumexp(logits))."""
import numpy as np


def softmax(logits):
    m = np.max(logits, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return np.exp(logits - lse)
