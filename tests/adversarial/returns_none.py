"""softmax, relu_grad and cross_entropy return None (forgot the return)."""
EXPECT = {"failed": {"softmax (public tests)": "got NoneType", "relu_grad (public tests)": "is None (a missing return?)",
                     "softmax (hidden tests)": "is None (a missing return?)", "cross_entropy": ""},
          "passed": ["sgd_step"]}


def softmax(logits):
    np.exp(logits - logits.max(axis=1, keepdims=True))


def relu_grad(z):
    (z > 0).astype(z.dtype)


def cross_entropy(probs, labels):
    pass
