"""The optional study command (solution/study.py, handed out as assignment/study.py): full batch, mini-batch and
one-image SGD on real MNIST from the same weights, the same training-time budget each."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy is imported (see tests/test_data.py)

import pytest

from solution import study

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| (.+?) \| ([\d,]+) \| ([\d.]+) \| ([\d.]+) \| ([\d,]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", re.M)


def run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow
def test_study_trains_three_ways_within_the_budget_and_writes_table_and_plot(tmp_path):
    proc = run("solution.study", "--seconds", "1", "--subset", "2000", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    table = (tmp_path / "study.md").read_text()
    assert table in proc.stdout
    rows = {name: values for name, *values in ROW.findall(table)}
    assert list(rows) == ["full batch", "mini-batch (64)", "SGD (1 image, 2,000-image subset)"], table
    for name, (batch, lr, momentum, steps, epochs, start, end) in rows.items():
        steps = int(steps.replace(",", ""))
        assert steps >= 1 and float(end) < float(start), (name, table)
        # epochs of data = images processed / 60,000
        assert float(epochs) == pytest.approx(steps * int(batch.replace(",", "")) / 60_000, abs=0.006), (name, table)
    assert float(rows["mini-batch (64)"][-1]) < 1.0, table  # 1 s of mini-batches already learns a lot
    png = (tmp_path / "study.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_study_on_the_stubs_and_bad_flags_fails_in_one_line(tmp_path):
    proc = run("solution.study", "--submission", "assignment", "--seconds", "0.1", "--out", str(tmp_path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and "is not implemented yet" in proc.stderr, proc.stderr
    assert not (tmp_path / "study.md").exists()
    bad = run("solution.study", "--subset", "0")
    assert bad.returncode == 2 and "--subset between 1 and 60000" in bad.stderr.splitlines()[-1]


def test_methods_share_a_start_and_differ_in_batch_size():
    runs = study.methods(500)
    assert [m.batch_size for m in runs] == [60_000, 64, 1] and runs[2].subset == 500
    assert all(m.config(3).seed == 3 and m.config(3).lr_decay == 1.0 for m in runs)
