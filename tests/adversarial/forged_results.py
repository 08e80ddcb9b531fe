"""Writes a perfect results.json everywhere a grader might look: cwd, /tmp, the submission folder, the out folder
(guessed from mlp.py's own path), Gradescope's /autograder/results/ - at import and again from softmax, whose own
answers are garbage. The grade must be the grader's own (softmax fails), with no trace of the forgery."""
import json as _json
import os as _os
from pathlib import Path as _Path

EXPECT = {
    "failed": {"softmax": ""},
    "passed": ["relu_grad", "sgd_step"],
    "score": [0, 74],
    "worker_output": "forge attempts:",
}

_FORGED = {"score": 100.0, "output": "FORGED results.json", "tests": [{"name": "FORGED", "score": 100,
                                                                        "max_score": 100}]}


def _forge():
    here = _Path(__file__).resolve().parent
    targets = [_Path.cwd() / "results.json", _Path("/tmp/results.json"), here / "results.json",
               here.parent / "results.json", here.parent / "gradebook.csv", here.parent.parent / "gradebook.csv",
               _Path("/autograder/results/results.json"), _Path(_os.environ.get("HOME", "/tmp")) / "results.json"]
    report = []
    for target in targets:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_json.dumps(_FORGED))
            report.append(f"{target}: written")
        except OSError as error:
            report.append(f"{target}: {type(error).__name__}")
    print("forge attempts:", "; ".join(report), flush=True)


_forge()


def softmax(logits):
    _forge()
    return np.full_like(logits, 0.5)
