"""How fast the autograder is: one submission end to end, the sandbox's overhead, and class throughput.

    python -m bench.grading              # prints the figures; exits non-zero only on errors

1. One reference-speed submission fully graded by the CLI (public + hidden checks, audited training run,
   results.json, report): the target is <= 6 s.
2. Each phase sandboxed vs the same work unsandboxed (the module imported into this process): the checks
   (pytest suites through the worker's pipe vs in-process), and the training run without audits (the kit's loop
   in the worker vs in-process). Then the training run with every chunk audited, the price of unforgeability.
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

from autograder.grading import checks, results, scoring, training
from autograder.grading.remote import MlpProxy, RemoteMlp
from data.idx import load_mnist
from solution import train as kit_train

ROOT = Path(__file__).resolve().parent.parent
SEED = 1


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def grade_cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, check=True, capture_output=True)


def phases(submission: Path) -> None:
    """Print each phase's time sandboxed and unsandboxed."""
    sc = scoring.load()
    data = load_mnist()
    t = sc.training
    config = sc.train_config(SEED)
    module = kit_train.load_submission(submission)

    def sandboxed_checks() -> None:
        with RemoteMlp(submission, sc.sandbox_limits(), sc.limits.call_seconds) as remote:
            checks.run_checks(MlpProxy(remote), SEED)

    def sandboxed_training(audit: bool) -> None:
        with RemoteMlp(submission, sc.sandbox_limits(), sc.limits.call_seconds) as remote:
            outcome = training.run(remote, data, config, t.seconds, True, t.chunk_seconds, audit=audit)
        assert outcome.error is None, outcome.error

    checks.run_checks(module, SEED)  # warm up: the first pytest run in a process pays imports and rewriting
    rows = [
        ("checks (72 pytest tests)", timed(sandboxed_checks), timed(lambda: checks.run_checks(module, SEED))),
        ("training, audits off", timed(lambda: sandboxed_training(False)),
         timed(lambda: kit_train.train(module, data, config))),
    ]
    for name, boxed, local in rows:
        print(f"{name:<28} sandboxed {boxed:5.2f} s   unsandboxed {local:5.2f} s   overhead {100 * (boxed - local) / local:+4.0f} %")
    audited = timed(lambda: sandboxed_training(True))
    print(f"{'training, every chunk audited':<28} sandboxed {audited:5.2f} s   "
          f"(+{100 * (audited - rows[1][1]) / rows[1][1]:.0f} % over audits off; the replays run on the other core)")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.chmod(tmp_path, 0o755)  # the sandbox's uid reads the submission
        submission = tmp_path / "reference"
        submission.mkdir()
        shutil.copy(ROOT / "solution/mlp.py", submission / "mlp.py")

        one = timed(lambda: grade_cli("grade", str(submission), "--out", str(tmp_path / "one"), "--seed", str(SEED),
                                      "--quiet"))
        graded = results.load(tmp_path / "one")
        print(f"one submission graded by the CLI: {one:.2f} s wall (score {graded['score']}, "
              f"isolation {graded['extra_data']['isolation']}; target <= 6 s)")
        phases(submission)

        klass = tmp_path / "class"
        for i in range(4):
            shutil.copytree(submission, klass / f"student{i}")
        rate = {}
        for jobs in (1, 2):
            seconds = timed(lambda: grade_cli("grade-all", str(klass), "-j", str(jobs), "--out", str(tmp_path / f"j{jobs}")))
            rate[jobs] = 4 / seconds
            print(f"grade-all -j {jobs}: {seconds:6.2f} s for 4 submissions ({60 * rate[jobs]:.1f} per minute)")
        print(f"throughput -j 2 / -j 1: {rate[2] / rate[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
