"""Right values, wrong dtypes: relu_grad gives bool, softmax always float64 (so float32 inputs fail)."""
EXPECT = {"failed": {"relu_grad (public tests)": "dtype", "softmax (public tests)": "dtype"},
          "partial": ["softmax (public tests)"],
          "passed": ["sgd_step"]}

_softmax = softmax


def relu_grad(z):
    return z > 0


def softmax(logits):
    return _softmax(logits.astype(np.float64))
