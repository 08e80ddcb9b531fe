"""softmax ignores SIGTERM and spins forever: its checks time out; the other functions are still graded."""
import signal

EXPECT = {
    "failed": {"softmax": "timed out"},
    "timed_out": ["softmax (public tests)"],
    "passed": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "not_timed_out": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "output": "timed out",
    "status": "timed out",
}


def softmax(logits):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    x = 0
    while True:
        x += 1
