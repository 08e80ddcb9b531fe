"""sys.exit() inside softmax: must count as softmax's failure only, the worker keeps serving."""
import sys

EXPECT = {
    "failed": {"softmax": "sys.exit"},
    "passed": ["relu_grad", "sgd_step", "cross_entropy (public tests)", "backward (public tests)"],
    "not_timed_out": ["*"],
    "status": "graded",
}


def softmax(logits):
    sys.exit(3)
