"""softmax forks until the process limit; every child keeps forking, then sleeps forever."""
import os
import time

EXPECT = {
    "failed": {"softmax": "fork"},
    "passed": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "not_timed_out": ["*"],
}


def softmax(logits):
    me = os.getpid()
    try:
        while True:
            os.fork()
    except OSError as error:
        if os.getpid() != me:
            while True:
                time.sleep(1)
        raise RuntimeError(f"the fork bomb hit the process limit: {error}") from None
