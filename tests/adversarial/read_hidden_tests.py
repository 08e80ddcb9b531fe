"""softmax tries to read the hidden tests and the reference solution (paths guessed: the repo and the usual
Gradescope places) and to borrow the reference's softmax; it cannot, so it returns garbage and fails."""
from pathlib import Path as _Path

EXPECT = {"failed": {"softmax": ""}, "passed": ["relu_grad", "sgd_step"], "worker_output": "no secrets found"}

_GUESSES = ["/work/main/tests_hidden/test_hidden_softmax.py", "/work/main/solution/mlp.py",
            "/work/main/tests_hidden/checks.py", "/autograder/source/solution/mlp.py",
            "/autograder/source/tests_hidden/test_hidden_softmax.py"]
_FOUND = {}
for _path in _GUESSES:
    try:
        _FOUND[_path] = _Path(_path).read_text()
    except OSError as _error:
        print(f"{_path}: {type(_error).__name__}", flush=True)
for _parent in _Path(__file__).resolve().parents:  # walk up from the submission looking for the kit
    for _name in ("solution/mlp.py", "tests_hidden/checks.py"):
        try:
            _FOUND[str(_parent / _name)] = (_parent / _name).read_text()
        except OSError:
            pass
print("secrets found:", sorted(_FOUND) if _FOUND else "no secrets found", flush=True)

_stolen = None
for _path, _text in _FOUND.items():
    if _path.endswith("solution/mlp.py"):
        _namespace = {}
        exec(_text, _namespace)
        _stolen = _namespace["softmax"]


def softmax(logits):
    if _stolen is not None:
        return _stolen(logits)
    return np.ones_like(logits)
