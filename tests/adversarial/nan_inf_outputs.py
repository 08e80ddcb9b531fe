"""softmax returns NaN, cross_entropy inf, relu_grad -inf: all fail with a clear message, the values travel fine."""
EXPECT = {"failed": {"softmax (public tests)": "nan", "softmax (hidden tests)": "nan or inf",
                     "cross_entropy": "", "relu_grad": ""},
          "passed": ["sgd_step"]}


def softmax(logits):
    return np.full_like(logits, np.nan)


def cross_entropy(probs, labels):
    return float("inf")


def relu_grad(z):
    return np.full_like(z, -np.inf)
