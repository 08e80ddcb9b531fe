"""softmax allocates (and touches) memory until the address-space limit stops it."""
EXPECT = {
    "failed": {"softmax": "MemoryError"},
    "passed": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "not_timed_out": ["*"],
}


def softmax(logits):
    hog = []
    while True:
        hog.append(np.ones(1 << 25))  # 256 MiB each, written
