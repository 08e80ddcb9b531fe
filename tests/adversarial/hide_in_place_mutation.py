"""softmax shifts the caller's logits in place (a classic bug: tests/buggy/softmax_in_place.py) and hides it by
replacing np.array_equal in the worker, which the worker uses to detect in-place changes to report back. The
"does not modify logits" checks must still fail."""
EXPECT = {"failed": {"softmax (public tests)": "modified its input logits",
                     "softmax (hidden tests)": "modified its input logits"},
          "passed": ["relu_grad", "cross_entropy", "backward (public tests)"]}

np.array_equal = lambda *args, **kwargs: True


def softmax(logits):
    logits -= logits.max(axis=1, keepdims=True)
    exps = np.exp(logits)
    return exps / exps.sum(axis=1, keepdims=True)
