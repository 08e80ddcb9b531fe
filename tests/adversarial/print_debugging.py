"""A correct submission that prints a debugging line at import and in softmax, without flush (as students do).
The staff's extra_data.worker_output ("what the student's code printed") should show it."""
EXPECT = {"score": 75, "passed": ["*"], "worker_output": ["debug: mlp.py imported", "debug: softmax called"]}

print("debug: mlp.py imported")
_softmax = softmax


def softmax(logits):
    print("debug: softmax called with shape", logits.shape)
    return _softmax(logits)
