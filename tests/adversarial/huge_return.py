"""softmax returns a 100 MB array (over the protocol's 64 MB cap): the grader refuses the reply and fails softmax
with a message naming the problem; the other functions are still graded."""
EXPECT = {
    "failed": {"softmax (public tests)": "too large"},
    "passed": ["relu_grad", "cross_entropy", "backward", "sgd_step"],
    "not_timed_out": ["*"],
}


def softmax(logits):
    return np.zeros(100_000_000 // 8)
