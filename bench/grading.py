"""How fast the autograder is: one submission end to end, sandbox overhead, and class throughput.

    python -m bench.grading              # prints the figures; exits non-zero only on errors

1. One reference-speed submission fully graded (public + hidden checks, audited training run, results.json).
2. The same work unsandboxed: the same pytest suites against the module imported in-process, and the same
   training run in-process; the difference is the cost of the sandbox, the pipe protocol and the audits.
3. grade-all throughput on a class of identical reference submissions with -j 1 and -j 2.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def unsandboxed(submission: Path, seed: int) -> None:
    """The same checks and training, in this process, with no sandbox, no protocol and no audits."""
    import numpy as np

    from autograder import checks, scoring
    from data.idx import load_mnist
    from solution import train as kit_train

    module = kit_train.load_submission(submission)
    checks.run_checks(module, seed)
    t = scoring.load().training
    config = kit_train.TrainConfig(t["epochs"], t["lr"], t["batch_size"], t["momentum"], seed)
    kit_train.train(module, load_mnist(), config)
    np.random.default_rng(seed)


def grade_cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, check=True, capture_output=True)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        submission = tmp_path / "reference"
        submission.mkdir()
        shutil.copy(ROOT / "solution/mlp.py", submission / "mlp.py")

        one = timed(lambda: grade_cli("grade", str(submission), "--out", str(tmp_path / "one"), "--seed", "1", "--quiet"))
        from autograder.grade import load_results

        results = load_results(tmp_path / "one")
        local = timed(lambda: unsandboxed(submission, 1))
        print(f"one submission graded:       {one:6.2f} s wall (score {results['score']}, "
              f"isolation {results['extra_data']['isolation']}; target <= 10 s)")
        print(f"same work unsandboxed:       {local:6.2f} s (in-process checks + training, no audits)")
        print(f"sandbox + protocol + audits: {100 * (one - local) / local:+6.1f} % of the unsandboxed time")

        klass = tmp_path / "class"
        for i in range(4):
            shutil.copytree(submission, klass / f"student{i}")
        rate = {}
        for jobs in (1, 2):
            seconds = timed(lambda: grade_cli("grade-all", str(klass), "-j", str(jobs), "--out", str(tmp_path / f"j{jobs}")))
            rate[jobs] = 4 / seconds
            print(f"grade-all -j {jobs}:               {seconds:6.2f} s for 4 submissions ({60 * rate[jobs]:.1f} per minute)")
        print(f"throughput -j 2 / -j 1:      {rate[2] / rate[1]:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
