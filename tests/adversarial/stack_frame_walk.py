"""softmax walks every stack frame (sys._getframe, inspect) and the garbage collector looking for the grader's
expected values; the worker has none, so it returns garbage and fails."""
import gc as _gc
import inspect as _inspect
import sys as _sys

EXPECT = {"failed": {"softmax": ""}, "passed": ["relu_grad", "sgd_step"], "worker_output": "frames seen:"}
_SUSPECT = ("expected", "want", "reference", "ref", "target", "answer")
_said = []


def softmax(logits):
    found, names = None, []
    frame = _sys._getframe(1)
    while frame is not None:
        names.append(f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_code.co_name}")
        for key, value in frame.f_locals.items():
            if key in _SUSPECT and isinstance(value, np.ndarray) and value.shape == logits.shape:
                found = value
        frame = frame.f_back
    for info in _inspect.stack():
        for key, value in info.frame.f_locals.items():
            if key in _SUSPECT and isinstance(value, np.ndarray) and value.shape == logits.shape:
                found = value
    for obj in _gc.get_objects():
        if isinstance(obj, dict) and "expected" in obj and isinstance(obj["expected"], np.ndarray):
            found = obj["expected"]
    if not _said:
        _said.append(1)
        print("frames seen:", " <- ".join(names), "| found:", found is not None, flush=True)
    return found if found is not None else np.zeros_like(logits)
