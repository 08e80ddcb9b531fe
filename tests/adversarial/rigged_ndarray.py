"""softmax returns an ndarray subclass whose ==, comparisons and ufuncs claim success; it arrives in the grader as
a plain ndarray of zeros and fails."""
EXPECT = {"failed": {"softmax": ""}, "passed": ["relu_grad", "sgd_step"]}


class Rigged(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    __ne__ = lambda self, other: np.zeros(self.shape, dtype=bool)
    __hash__ = None

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.ones(np.broadcast_shapes(*(np.shape(i) for i in inputs)), dtype=bool)

    def __array_function__(self, func, types, args, kwargs):
        return True

    def __reduce__(self):
        raise RuntimeError("no pickling please")


def softmax(logits):
    return np.zeros(logits.shape, dtype=logits.dtype).view(Rigged)
