"""softmax allocates memory until the address-space limit stops it (the first call writes every page; later calls
only reserve, to keep the test quick). MemoryError fails softmax; the worker survives, the rest is graded."""
EXPECT = {
    "failed": {"softmax": "MemoryError"},
    "passed": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "not_timed_out": ["*"],
}
_first = [True]


def softmax(logits):
    hog, make = [], np.ones if _first[0] else np.empty
    _first[0] = False
    while True:
        hog.append(make(1 << 25))  # 256 MiB each
