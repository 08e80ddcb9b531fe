"""softmax kills its own process (SIGKILL): a crash, not a timeout. softmax fails ('the worker died'); the worker
is restarted and the other functions are still graded."""
import os
import signal

EXPECT = {
    "failed": {"softmax (public tests)": "the worker died"},
    "passed": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "not_timed_out": ["*"],
}


def softmax(logits):
    os.kill(os.getpid(), signal.SIGKILL)
