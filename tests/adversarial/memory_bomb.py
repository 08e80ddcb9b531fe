"""softmax allocates memory until the address-space limit stops it. The first call makes every page resident with
one write per 4 KiB page (filling every byte of 2 GiB took 1 to 7 s here, against the 10 s limit of one call);
later calls only reserve, to keep the test quick. MemoryError fails softmax; the worker survives, the rest is
graded."""
EXPECT = {
    "failed": {"softmax": "MemoryError"},
    "passed": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "not_timed_out": ["*"],
}
_first = [True]


def softmax(logits):
    hog, touch = [], _first[0]
    _first[0] = False
    while True:
        block = np.empty(1 << 25)  # 256 MiB
        if touch:
            block[::512] = 1.0  # one float64 per page: resident
        hog.append(block)
