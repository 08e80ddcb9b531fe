"""Train your NumPy MLP and the same network in PyTorch side by side, and compare them (given code).

    pip install torch==2.13.0                 # once: PyTorch is needed only for this comparison
    python -m assignment.compare              # 5 epochs with the defaults of assignment.train
    python -m assignment.compare --epochs 2   # see --help for every flag

Both networks start from the same initial weights (your init_params with the seed), see the same batches in the
same order (train.batch_order), run in float32 on one CPU thread and use the same optimizer and learning-rate
schedule: SGD with heavy-ball momentum, v = momentum * v + g; p -= lr * v (torch.optim.SGD with dampening 0),
lr * lr_decay ** (epoch - 1) in each epoch. The epochs are interleaved (yours 1, PyTorch 1, yours 2, ...) so
that changes in the machine's load hit both. The test set is evaluated every quarter epoch with the clock
stopped: seconds are training time only, and "time to 95%" is the training time until the first of those
evaluations reaching 95% test accuracy.

Writes into --out (default runs/compare): comparison.md (the tables, Markdown to paste into REPORT.md) and
comparison.png (test accuracy and train loss per epoch, both networks in one figure).
"""
from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Protocol

import numpy as np

from data.idx import Mnist

from .train import TrainConfig, batch_order, config_from, evaluate, load_or_explain, train_step

TORCH_VERSION = "2.13.0"  # the version the kit's figures were measured with
INSTALL_TORCH = f"pip install torch=={TORCH_VERSION}"
CHECKS_PER_EPOCH = 4  # test-set evaluations per epoch (not timed)


class Run(Protocol):
    def step(self, idx: np.ndarray, epoch: int) -> float: ...  # one training step; returns the batch loss
    def accuracy(self) -> float: ...  # test accuracy now


class NumpyRun:
    """A NumPy MLP module (mlp.py) trained by train.train_step, exactly as train.train does."""

    def __init__(self, mlp: ModuleType, data: Mnist, config: TrainConfig) -> None:
        self.mlp, self.data, self.config = mlp, data, config
        self.params = mlp.init_params(mlp.LAYER_SIZES, np.random.default_rng(config.seed))
        self.velocity = {key: np.zeros_like(value) for key, value in self.params.items()}

    def initial_weights(self) -> dict[str, np.ndarray]:
        return {key: value.copy() for key, value in self.params.items()}

    def step(self, idx: np.ndarray, epoch: int) -> float:
        X, y = self.data.train
        return train_step(self.mlp, self.params, self.velocity, X[idx], y[idx], self.config.at_epoch(epoch))[0]

    def accuracy(self) -> float:
        return evaluate(self.mlp, self.params, self.data.test)[1]


class TorchRun:
    """The same 784-128-64-10 network as torch.nn layers, loaded with given initial weights."""

    def __init__(self, torch: ModuleType, data: Mnist, config: TrainConfig, weights: dict[str, np.ndarray]) -> None:
        self.torch, self.config = torch, config
        nn = torch.nn
        self.model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
        with torch.no_grad():  # nn.Linear stores W as (fan_out, fan_in): the transpose of the NumPy layout
            for k, layer in enumerate(self.model[::2], start=1):
                layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(weights[f"W{k}"].T, dtype=np.float32)))
                layer.bias.copy_(torch.from_numpy(np.asarray(weights[f"b{k}"], dtype=np.float32).reshape(-1)))
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=config.lr, momentum=config.momentum)
        # np.array copies: torch wants writable memory, and load_mnist may map the images read-only
        self.X, self.y = torch.from_numpy(np.array(data.train.images)), torch.from_numpy(data.train.labels)
        self.X_test, self.y_test = torch.from_numpy(np.array(data.test.images)), torch.from_numpy(data.test.labels)
        self.epoch = 0

    def step(self, idx: np.ndarray, epoch: int) -> float:
        if epoch != self.epoch:  # the same schedule as TrainConfig.at_epoch
            self.epoch = epoch
            for group in self.optimizer.param_groups:
                group["lr"] = self.config.at_epoch(epoch).lr
        index = self.torch.from_numpy(idx)
        logits, y = self.model(self.X[index]), self.y[index]
        loss = self.torch.nn.functional.cross_entropy(logits, y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        (logits.argmax(dim=1) == y).sum().item()  # train_step counts the hits too: same work
        return loss.item()

    def accuracy(self) -> float:
        with self.torch.no_grad():
            return (self.model(self.X_test).argmax(dim=1) == self.y_test).float().mean().item()


@dataclass
class Curve:
    """Per-epoch figures of one network."""

    name: str
    seconds: list[float] = field(default_factory=list)  # training time per epoch
    train_loss: list[float] = field(default_factory=list)  # mean batch loss over the epoch
    test_accuracy: list[float] = field(default_factory=list)  # at the end of the epoch
    time_to_95: float | None = None  # training seconds until the first check at >= 95% test accuracy

    def run_epoch(self, run: Run, epoch: int, batches: list[np.ndarray], checks: set[int]) -> None:
        """Train one epoch of ``run`` and record its figures."""
        seconds = loss_sum = 0.0
        clock = sum(self.seconds)
        start = time.perf_counter()
        for step, idx in enumerate(batches):
            loss_sum += run.step(idx, epoch) * len(idx)
            if step in checks:
                seconds += time.perf_counter() - start
                accuracy = run.accuracy()
                if self.time_to_95 is None and accuracy >= 0.95:
                    self.time_to_95 = clock + seconds
                start = time.perf_counter()
        self.seconds.append(seconds)
        self.train_loss.append(loss_sum / sum(len(idx) for idx in batches))
        self.test_accuracy.append(accuracy)

    @property
    def mean_seconds(self) -> float:
        return sum(self.seconds) / len(self.seconds)


def checkpoints(steps: int, per_epoch: int = CHECKS_PER_EPOCH) -> set[int]:
    """Step indices after which to evaluate: about every 1/per_epoch epoch, always the last step."""
    return {round(k * steps / per_epoch) - 1 for k in range(1, per_epoch + 1)}


def compare(mlp: ModuleType, torch: ModuleType, data: Mnist, config: TrainConfig,
            name: str = "my NumPy MLP") -> tuple[Curve, Curve]:
    """Train ``mlp`` and its PyTorch twin from the same weights on the same batches, epochs interleaved."""
    ours = NumpyRun(mlp, data, config)
    runs = {name: ours, f"PyTorch {torch.__version__.split('+')[0]} (CPU)": TorchRun(torch, data, config,
                                                                                    ours.initial_weights())}
    curves = {label: Curve(label) for label in runs}
    for epoch in range(1, config.epochs + 1):
        batches = batch_order(len(data.train.labels), config.batch_size, config.seed, epoch)
        checks = checkpoints(len(batches))
        for label, run in runs.items():
            curves[label].run_epoch(run, epoch, batches, checks)
    mine, theirs = curves.values()
    return mine, theirs


def markdown(mine: Curve, theirs: Curve, config: TrainConfig, threads: int = 1) -> str:
    """The comparison as Markdown: a summary table, a per-epoch table and the conditions, ready for REPORT.md."""
    def reached(curve: Curve) -> str:
        return "not reached" if curve.time_to_95 is None else f"{curve.time_to_95:.2f} s"

    epochs = config.epochs
    lines = [f"|  | seconds / epoch | test accuracy after {epochs} epoch{'s' * (epochs > 1)} "
             f"| training time to 95% | final train loss |",
             "|---|---:|---:|---:|---:|"]
    for curve in (mine, theirs):
        lines.append(f"| {curve.name} | {curve.mean_seconds:.3f} | {100 * curve.test_accuracy[-1]:.2f}% "
                     f"| {reached(curve)} | {curve.train_loss[-1]:.4f} |")
    lines += ["", "| epoch | NumPy s | PyTorch s | NumPy / PyTorch | NumPy test acc | PyTorch test acc |",
              "|---:|---:|---:|---:|---:|---:|"]
    for e in range(epochs):
        lines.append(f"| {e + 1} | {mine.seconds[e]:.3f} | {theirs.seconds[e]:.3f} | "
                     f"{mine.seconds[e] / theirs.seconds[e]:.2f} | {100 * mine.test_accuracy[e]:.2f}% | "
                     f"{100 * theirs.test_accuracy[e]:.2f}% |")
    lines += ["", f"Same initial weights, batches and optimizer on both sides: {epochs} epoch{'s' * (epochs > 1)}, batch "
              f"{config.batch_size}, SGD lr {config.lr} (x{config.lr_decay} per epoch), momentum {config.momentum}, "
              f"seed {config.seed}, float32, {threads} thread{'s' * (threads > 1)}; seconds are training time "
              f"only (test set evaluated every 1/{CHECKS_PER_EPOCH} epoch, clock stopped). NumPy {np.__version__}, "
              f"{theirs.name.split(' (')[0]}, Python {platform.python_version()}, {platform.machine()}."]
    return "\n".join(lines) + "\n"


def plot(mine: Curve, theirs: Curve, path: Path) -> None:
    """Test accuracy and train loss per epoch of both networks, in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = list(range(1, len(mine.seconds) + 1))
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(9, 3.5))
    for curve, style in ((mine, "o-"), (theirs, "s--")):
        ax_acc.plot(epochs, [100 * a for a in curve.test_accuracy], style, label=curve.name)
        ax_loss.plot(epochs, curve.train_loss, style, label=curve.name)
    ax_acc.axhline(95, color="grey", linestyle=":", label="95%")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="Train loss (epoch mean)")
    for ax in (ax_acc, ax_loss):
        ax.set_xticks(epochs)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("NumPy MLP vs PyTorch, same weights, batches and optimizer")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def import_torch(threads: int = 1) -> ModuleType | None:
    """PyTorch set to ``threads`` CPU threads, or None (after one line on stderr) when it is not installed."""
    try:
        import torch
    except ImportError:
        print(f"PyTorch is not installed: run `{INSTALL_TORCH}`, then this command again.", file=sys.stderr)
        return None
    torch.set_num_threads(threads)
    return torch


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}.compare", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--submission", default=str(Path(__file__).resolve().parent),
                        help="folder holding the mlp.py to compare")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--momentum", type=float, default=defaults.momentum, help="0 for plain SGD")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--lr-decay", type=float, default=defaults.lr_decay, help="learning rate factor per epoch")
    parser.add_argument("--out", default=str(Path("runs") / "compare"), help="output folder")
    args = parser.parse_args(argv)
    if min(args.epochs, args.batch_size) < 1:
        parser.error("--epochs and --batch-size must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = config_from(args)
    torch = import_torch()
    if torch is None or (loaded := load_or_explain(args.submission)) is None:
        return 1
    mlp, data = loaded
    print(f"comparing {Path(args.submission) / 'mlp.py'} with PyTorch {torch.__version__}: "
          f"{dataclasses.asdict(config)}", flush=True)
    try:
        mine, theirs = compare(mlp, torch, data, config)
    except NotImplementedError as error:
        print(f"error: {error} (run `pytest tests_public` to check your functions first)", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = markdown(mine, theirs, config)
    (out / "comparison.md").write_text(table)
    plot(mine, theirs, out / "comparison.png")
    print(f"\n{table}\nwrote {out / 'comparison.md'} and {out / 'comparison.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
