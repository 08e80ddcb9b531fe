"""softmax prints 1 GB on its first call (then computes correctly): the capture keeps 64 KB, results.json stays
small, the function still passes."""
import sys as _sys

EXPECT = {"passed": ["softmax"], "worker_output": "bytes truncated", "score": 75}
_printed = []
_softmax = softmax


def softmax(logits):
    if not _printed:
        _printed.append(1)
        line = "spam " * 200_000 + "\n"  # 1 MB
        for _ in range(1000):
            _sys.stdout.write(line)
        _sys.stdout.flush()
    return _softmax(logits)
