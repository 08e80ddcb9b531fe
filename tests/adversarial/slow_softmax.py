"""A correct but very slow softmax (30 s per call): its checks are 'timed out', tagged and worded as such -
distinct from a wrong answer - and the other functions are still graded."""
import time

EXPECT = {
    "failed": {"softmax (public tests)": "TIMED OUT"},
    "timed_out": ["softmax (public tests)"],
    "passed": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "not_timed_out": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "output": "Some checks timed out",
    "status": "timed out",
}

_softmax = softmax


def softmax(logits):
    time.sleep(30)
    return _softmax(logits)
