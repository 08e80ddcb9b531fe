"""softmax returns the transpose, relu_grad a flattened array: shape failures, with the shapes named."""
EXPECT = {"failed": {"softmax (hidden tests)": "shape", "relu_grad (public tests)": "shape"},
          "passed": ["sgd_step"]}

_softmax, _relu_grad = softmax, relu_grad


def softmax(logits):
    return np.ascontiguousarray(_softmax(logits).T)


def relu_grad(z):
    return _relu_grad(z).ravel()
