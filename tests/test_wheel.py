"""The kit as a package: the wheel holds everything the grader needs, and once installed outside the checkout its
console script grades a submission in the sandbox.

The venv for the install is a hard-linked copy of the kit's own (instant, and offline: the dependencies are already
there) with the kit's editable install removed, so the only copy of the kit it can import is the wheel's.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.prefix)
MNIST = ROOT / "data" / "mnist"
NEEDED = {"autograder/grading/scoring.toml", "autograder/classops/rubric.toml", "autograder/grading/worker/serve.py",
          "autograder/grading/worker/protocol.py", "autograder/report/dashboard.py", "autograder/builders/gradescope/run_autograder",
          "autograder/builders/STUDENT_README.md", "solution/mlp.py", "solution/train.py", "assignment/train.py",
          "tests_public/substitutes.py", "tests_public/conftest.py", "tests_hidden/conftest.py", "data/fetch.py"}


def run(*args: str | Path, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | env)
    assert proc.returncode == 0, f"{args}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-q", "-w", out, cwd=out)
    return next(out.glob("mnist_mlp_kit-*.whl"))


def test_the_wheel_holds_the_grader_and_a_console_script(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        entry_points = next(z.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert NEEDED <= names, sorted(NEEDED - names)
    assert "mlp-kit = autograder.__main__:main" in entry_points
    assert not [n for n in names if n.startswith(("tests/", "data/mnist", "dist/", "runs/")) or n.endswith(".pyc")]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the autograder's sandbox needs root")
def test_installed_outside_the_checkout_it_grades_a_submission(wheel, tmp_path):
    venv = tmp_path / "venv"
    shutil.copytree(VENV, venv, symlinks=True, copy_function=os.link)  # hard links: no data copied
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "uninstall", "-q", "-y", "mnist-mlp-kit", cwd=tmp_path)
    run(python, "-m", "pip", "install", "-q", "--no-deps", wheel, cwd=tmp_path)
    script = venv / "bin" / "mlp-kit"
    assert run(script, "--version", cwd=tmp_path).stdout.strip() == "mnist-mlp-kit 0.1.0"
    where = run(python, "-c", "import autograder; print(autograder.__file__)", cwd=tmp_path).stdout
    assert str(venv) in where and str(ROOT) not in where  # the wheel's copy, not the checkout
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copyfile(ROOT / "solution" / "mlp.py", upload / "mlp.py")
    run(script, "grade", upload, "--out", tmp_path / "out", "--seed", "1", "--no-training", cwd=tmp_path,
        MNIST_DIR=str(MNIST), OPENBLAS_NUM_THREADS="1")
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["score"] == 75 and "grader_error" not in data["extra_data"], data["output"]  # 25 are training's
