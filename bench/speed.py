"""Time the NumPy reference MLP against the same network in PyTorch (CPU), side by side in one run.

    python -m bench.speed                        # 5 epochs, batch 64, 1 thread
    python -m bench.speed --epochs 3 --threads 2

The comparison students run on their own network (``python -m assignment.compare``, from solution/compare.py),
here on the reference solution/mlp.py with a chosen number of threads: same initial weights, batches, optimizer
and learning-rate schedule, epochs interleaved, the test set evaluated every quarter epoch with the clock
stopped. Prints the Markdown tables (seconds per epoch, the NumPy/PyTorch ratio, test accuracy, time to 95%).
Exits non-zero only on errors, never on timing.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads for both sides")
    args = parser.parse_args(argv)
    if min(args.epochs, args.batch_size, args.threads) < 1:
        parser.error("--epochs, --batch-size and --threads must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[name] = str(args.threads)  # before NumPy (and its BLAS) is first imported
    forced = os.environ.pop("OPENBLAS_CORETYPE", None)  # time the kernels OpenBLAS picks for this CPU, as torch does
    if forced:
        print(f"(ignoring OPENBLAS_CORETYPE={forced} from the environment: OpenBLAS detects the CPU itself)")
    try:
        from solution import compare
        from solution.train import TrainConfig, load_submission
    except ModuleNotFoundError as error:
        if error.name != "solution":
            raise
        print("error: this benchmark times the reference in solution/, which this checkout lacks.", file=sys.stderr)
        return 1
    from data.fetch import DataError
    from data.idx import load_mnist

    torch = compare.import_torch(args.threads)
    if torch is None:
        print("(`make bench` installs it and runs this benchmark)", file=sys.stderr)
        return 1
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size)
    try:
        data = load_mnist()
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    mlp = load_submission(Path(compare.__file__).parent)  # solution/mlp.py
    mine, theirs = compare.compare(mlp, torch, data, config, name="reference NumPy MLP")
    print(compare.markdown(mine, theirs, config, threads=args.threads), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
