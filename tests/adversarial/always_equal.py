"""softmax returns an object equal to everything (and cross_entropy a float subclass that is): the worker cannot
send the object, and the float arrives as a plain float."""
EXPECT = {"failed": {"softmax (public tests)": "cannot send a value of type AlwaysEqual",
                     "softmax (hidden tests)": "cannot send", "cross_entropy": ""},
          "passed": ["relu_grad", "sgd_step"]}


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__
    shape = property(lambda self: _Shape())
    dtype = property(lambda self: _Shape())

    def __array__(self, *args, **kwargs):
        return np.zeros((1, 1))

    def __getattr__(self, name):
        return self


class _Shape(tuple):
    def __eq__(self, other):
        return True

    __hash__ = tuple.__hash__


class EqualFloat(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


def softmax(logits):
    return AlwaysEqual()


def cross_entropy(probs, labels):
    return EqualFloat(123.0)
