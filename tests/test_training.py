"""The reference trains to the advertised accuracy, and `python -m assignment.train` writes what it promises."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# One BLAS thread, as `make test` exports: this only works before the process first imports NumPy, and
# a second busy-waiting OpenBLAS thread on a loaded machine makes an epoch 10x slower (measured).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

from data.idx import load_mnist
from solution.train import TrainConfig, evaluate, load_submission, train

ROOT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def reference():
    return load_submission(ROOT / "solution")


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def run_train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assignment.train", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_reference_reaches_97_percent_with_the_defaults(reference, mnist):
    _, history = train(reference, mnist, TrainConfig())
    assert len(history.epochs) == 5
    assert history.final_test_accuracy >= 0.97, history.to_json()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_reference_reaches_95_percent_in_two_epochs(reference, mnist, seed):
    _, history = train(reference, mnist, TrainConfig(epochs=2, seed=seed))
    assert history.final_test_accuracy >= 0.95, [e.test_accuracy for e in history.epochs]


@pytest.mark.slow
def test_train_command_writes_curves_metrics_and_weights(reference, mnist, tmp_path):
    out = tmp_path / "run"
    proc = run_train("--submission", "solution", "--epochs", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr

    png = (out / "curves.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    import matplotlib.image

    image = matplotlib.image.imread(out / "curves.png")  # decodes the whole file, so it is a valid PNG
    assert image.ndim == 3 and image.shape[0] >= 100 and image.shape[1] >= 100

    metrics = json.loads((out / "metrics.json").read_text())
    assert {"final_test_accuracy", "seconds_per_epoch", "hyperparameters", "seed", "epochs"} <= set(metrics)
    assert metrics["hyperparameters"] == vars(TrainConfig(epochs=1)) and metrics["seed"] == 0
    assert isinstance(metrics["epochs"], list) and [e["epoch"] for e in metrics["epochs"]] == [1]
    assert metrics["seconds_per_epoch"] > 0 and metrics["final_test_accuracy"] >= 0.95

    with np.load(out / "weights.npz") as npz:
        weights = {key: npz[key] for key in npz.files}
    sizes = reference.LAYER_SIZES
    expected = {f"W{k}": (sizes[k - 1], sizes[k]) for k in (1, 2, 3)} | {f"b{k}": (sizes[k],) for k in (1, 2, 3)}
    assert {key: w.shape for key, w in weights.items()} == expected
    assert all(w.dtype == np.float32 for w in weights.values())
    assert evaluate(reference, weights, mnist.test)[1] == metrics["final_test_accuracy"]


def test_untouched_stubs_fail_with_one_clear_line(tmp_path):
    out = tmp_path / "run"
    proc = run_train("--submission", "assignment", "--epochs", "1", "--out", str(out))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and "is not implemented yet" in lines[0]
    assert "pytest tests_public" in lines[0]
    assert not out.exists(), "nothing should be written when training fails"


def test_help_shows_every_default():
    proc = run_train("--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for flag, default in (("--epochs", 5), ("--lr", 0.05), ("--batch-size", 64), ("--momentum", 0.9),
                          ("--seed", 0), ("--lr-decay", 0.7)):
        assert flag in text and f"(default: {default})" in text, (flag, proc.stdout)


@pytest.mark.parametrize("source, expected", [
    ("def softmax(logits):\n    e = np.exp(logits - logits.max(axis=1))\n    return e / e.sum(axis=1)\n",
     "softmax raised ValueError: operands could not be broadcast"),
    ("def cross_entropy(probs, labels):\n    return -np.log(probs[np.arange(len(labels)), labels])\n",
     "cross_entropy returned an array of shape (64,), expected one number"),
], ids=["exception", "non_scalar_loss"])
def test_a_crash_is_one_line_naming_the_function(tmp_path, source, expected):
    from submissions import make_submission

    proc = run_train("--submission", str(make_submission(tmp_path / "sub", source)), "--epochs", "1",
                     "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], proc.stderr
    assert "pytest tests_public -m" in lines[0]


@pytest.mark.slow
def test_a_diverging_run_ends_with_a_hint(tmp_path):
    from submissions import BUGGY, make_submission

    folder = make_submission(tmp_path / "sub", (BUGGY / "backward_sign_flipped.py").read_text())
    proc = run_train("--submission", str(folder), "--epochs", "1", "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "near chance" in proc.stderr and "diverged" in proc.stderr and "pytest tests_public" in proc.stderr
