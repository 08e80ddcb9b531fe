"""Full-batch gradient descent, mini-batch SGD and one-example SGD on your network, side by side (given code).

    python -m assignment.study                # 10 s of training per method (about 40 s in all)
    python -m assignment.study --seconds 30   # see --help for every flag

Three runs of train.train_step (your functions) from the same initial weights (your init_params with the seed),
each with the same budget of training time:

- full batch: every step uses all 60,000 training images;
- mini-batch: batches of 64 in a fresh random order each epoch (train.batch_order), as assignment.train;
- SGD: one image per step, over a random subset of the training images (NumPy's per-call overhead makes a
  full pass at batch size 1 slow).

The loss on a fixed probe of 10,000 training images is measured about every 1/40 of the budget with the clock
stopped, and plotted against training seconds and against epochs of data (images processed / 60,000): which
method lowers the loss fastest per second, and which per image seen? Writes into --out (default runs/study):
study.png (both plots) and study.md (a table to paste into REPORT.md).
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np

from data.idx import Mnist, Split

from .train import TrainConfig, batch_order, evaluate, load_or_explain, train_step

PROBE = 10_000  # training images the loss is measured on
EVALUATIONS = 40  # loss measurements per run


@dataclass
class Method:
    """One way to train: batch size, learning rate and momentum, on ``subset`` training images (None: all)."""

    name: str
    batch_size: int
    lr: float
    momentum: float
    subset: int | None = None
    seconds: list[float] = field(default_factory=list)  # training time at each measurement
    epochs: list[float] = field(default_factory=list)  # images processed / 60,000 at each measurement
    loss: list[float] = field(default_factory=list)  # probe loss at each measurement
    steps: int = 0

    def config(self, seed: int) -> TrainConfig:
        return TrainConfig(epochs=1, lr=self.lr, batch_size=self.batch_size, momentum=self.momentum, seed=seed,
                           lr_decay=1.0)


def methods(subset: int) -> list[Method]:
    """The three methods, with learning rates that work for each (tried on the reference)."""
    return [Method("full batch", 60_000, 0.5, 0.0), Method("mini-batch (64)", 64, 0.05, 0.9),
            Method(f"SGD (1 image, {subset:,}-image subset)", 1, 0.01, 0.0, subset)]


def train_for(mlp: ModuleType, data: Mnist, method: Method, seconds: float, seed: int) -> None:
    """Train one method from init_params(seed) for ``seconds`` of training time, recording its probe loss."""
    params = mlp.init_params(mlp.LAYER_SIZES, np.random.default_rng(seed))
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    X, y = data.train
    if method.subset:  # a fixed random subset, the same for every seed's epochs
        keep = np.sort(np.random.default_rng([seed, 0]).permutation(len(y))[: method.subset])
        X, y = X[keep], y[keep]
    probe = Split(data.train.images[:PROBE], data.train.labels[:PROBE])
    config, clock, images, epoch = method.config(seed), 0.0, 0, 1
    interval = seconds / EVALUATIONS

    def measure() -> None:
        method.seconds.append(clock)
        method.epochs.append(images / len(data.train.labels))
        method.loss.append(evaluate(mlp, params, probe)[0])

    measure()
    while clock < seconds and math.isfinite(method.loss[-1]):
        order = [slice(None)] if method.batch_size >= len(y) else batch_order(len(y), method.batch_size, seed, epoch)
        for idx in order:  # the full batch is a view: no copy of 60,000 images per step
            start = time.perf_counter()
            train_step(mlp, params, velocity, X[idx], y[idx], config)
            clock += time.perf_counter() - start
            images += len(y) if isinstance(idx, slice) else len(idx)
            method.steps += 1
            if clock >= interval * len(method.loss) or clock >= seconds:
                measure()
                if clock >= seconds or not math.isfinite(method.loss[-1]):
                    break
        epoch += 1


def markdown(runs: list[Method], seconds: float, seed: int) -> str:
    lines = ["| method | batch | lr | momentum | steps | epochs of data | probe loss at start | probe loss at end |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m in runs:
        lines.append(f"| {m.name} | {m.batch_size:,} | {m.lr} | {m.momentum} | {m.steps:,} | {m.epochs[-1]:.2f} "
                     f"| {m.loss[0]:.4f} | {m.loss[-1]:.4f} |")
    lines += ["", f"{seconds:g} s of training per method from the same initial weights (seed {seed}); loss on the "
                  f"first {PROBE:,} training images, measured with the clock stopped."]
    return "\n".join(lines) + "\n"


def plot(runs: list[Method], path: Path) -> None:
    """Probe loss against training seconds and against epochs of data, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_time, ax_epochs) = plt.subplots(1, 2, figsize=(10, 4.2))
    for m in runs:
        ax_time.plot(m.seconds, m.loss, ".-", label=m.name)
        ax_epochs.plot(m.epochs[1:], m.loss[1:], ".-")  # from the first step on: a log axis has no 0
    ax_time.set(xlabel="training time (s)", ylabel="loss (10,000 training images)", title="Loss against time")
    ax_epochs.set(xlabel="epochs of data (images processed / 60,000)", xscale="log",
                  title="Loss against epochs of data")
    for ax in (ax_time, ax_epochs):
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
    fig.legend(loc="lower center", ncol=len(runs), frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}.study", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--submission", default=str(Path(__file__).resolve().parent),
                        help="folder holding the mlp.py to study")
    parser.add_argument("--seconds", type=float, default=10.0, help="training time per method")
    parser.add_argument("--subset", type=int, default=6_000, help="training images SGD (batch size 1) draws from")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(Path("runs") / "study"), help="output folder")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or not 1 <= args.subset <= 60_000:
        parser.error("--seconds must be positive and --subset between 1 and 60000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if (loaded := load_or_explain(args.submission)) is None:
        return 1
    mlp, data = loaded
    runs = methods(args.subset)
    try:
        for method in runs:
            print(f"{method.name}: {args.seconds:g} s of training...", flush=True)
            with np.errstate(all="ignore"):  # a diverging run shows as inf/nan in the table, not as warnings
                train_for(mlp, data, method, args.seconds, args.seed)
    except NotImplementedError as error:
        print(f"error: {error} (run `pytest tests_public` to check your functions first)", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = markdown(runs, args.seconds, args.seed)
    (out / "study.md").write_text(table)
    plot(runs, out / "study.png")
    print(f"\n{table}\nwrote {out / 'study.md'} and {out / 'study.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
