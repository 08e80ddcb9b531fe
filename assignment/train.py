"""Train the 784-128-64-10 MLP on MNIST with mini-batch SGD (given code: you do not need to change it).

    python -m assignment.train                         # your functions in assignment/mlp.py
    python -m assignment.train --epochs 2 --lr 0.05    # see --help for every flag
    python -m assignment.train --submission solution   # the reference (course staff only)

Writes into --out (default runs/<submission>): curves.png (train loss and test accuracy per epoch),
metrics.json (per-epoch figures, final test accuracy, seconds per epoch, hyper-parameters, seed) and
weights.npz (the trained parameters).
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # at batch 64 a second thread gains little and loses a lot under load
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import dataclasses
import importlib.util
import json
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Callable

import numpy as np

from data.fetch import DataError
from data.idx import Mnist, Split, load_mnist

# Momentum entries whose gradient stays 0 (MNIST's always-blank border pixels) decay towards slow subnormal floats.
# Adding and subtracting FLUSH rounds every |v| below ~1e-30 to exactly 0 (larger entries move by at most one ulp
# of FLUSH, ~1e-30): two in-place passes, 10% of an epoch cheaper than an abs-compare-mask (measured).
FLUSH = np.float32(2.0**-76)
OUT_DEFAULT = "runs/<submission folder name>"
GRADED = ("relu_grad", "softmax", "cross_entropy", "backward", "sgd_step")  # the functions students write


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (the defaults reach >= 97% test accuracy with the reference)."""

    epochs: int = 5
    lr: float = 0.05
    batch_size: int = 64
    momentum: float = 0.9
    seed: int = 0
    lr_decay: float = 0.7  # the learning rate of epoch e is lr * lr_decay ** (e - 1)

    def at_epoch(self, epoch: int) -> "TrainConfig":
        """The configuration the steps of ``epoch`` (1-based) use: the decayed learning rate."""
        return dataclasses.replace(self, lr=self.lr * self.lr_decay ** (epoch - 1))


@dataclass
class EpochRecord:
    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float


@dataclass
class History:
    config: TrainConfig
    epochs: list[EpochRecord] = field(default_factory=list)

    @property
    def final_test_accuracy(self) -> float:
        return self.epochs[-1].test_accuracy if self.epochs else 0.0

    def to_json(self) -> dict:
        seconds = [e.seconds for e in self.epochs]
        return {
            "final_test_accuracy": self.final_test_accuracy,
            "seconds_per_epoch": sum(seconds) / len(seconds) if seconds else 0.0,
            "hyperparameters": dataclasses.asdict(self.config),
            "seed": self.config.seed,
            "epochs": [dataclasses.asdict(e) for e in self.epochs],
        }

    @classmethod
    def from_json(cls, data: dict) -> "History":
        """The inverse of ``to_json``."""
        return cls(TrainConfig(**data["hyperparameters"]), [EpochRecord(**e) for e in data["epochs"]])


def load_submission(folder: str | Path) -> ModuleType:
    """Import ``<folder>/mlp.py`` as a fresh module (so several submissions can be loaded side by side)."""
    path = Path(folder) / "mlp.py"
    if not path.is_file():
        raise FileNotFoundError(f"no mlp.py in {Path(folder).resolve()}")
    spec = importlib.util.spec_from_file_location(f"mlp_{abs(hash(str(path.resolve())))}", path)
    assert spec is not None and spec.loader is not None, f"cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # registered, as an import does (dataclasses in mlp.py look themselves up)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[spec.name]
        raise
    return module


def batch_order(n: int, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """The index batches of one epoch: a permutation drawn from (seed, epoch), cut into batch_size pieces."""
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def train_step(mlp: ModuleType, params: dict, velocity: dict, X: np.ndarray, y: np.ndarray,
               config: TrainConfig) -> tuple[float, int]:
    """One SGD step with (optional heavy-ball) momentum; returns (batch loss, correct predictions).

    velocity = momentum * velocity + grads, then mlp.sgd_step(params, velocity, lr); with momentum 0 it is
    plain SGD. Only the student's five functions and the given forward are called.
    """
    probs, cache = mlp.forward(params, X)
    loss = mlp.cross_entropy(probs, y)
    if np.size(loss) != 1:  # would fail in float(loss) below, with a message that names no function
        raise ValueError(f"cross_entropy returned an array of shape {np.shape(loss)}, expected one number (the mean "
                         f"loss over the batch): run pytest tests_public -m cross_entropy")
    grads = mlp.backward(params, cache, y)
    if config.momentum:
        for key, grad in grads.items():
            v = velocity[key]
            v *= config.momentum
            v += grad
            v += FLUSH  # flush tiny entries to 0, see FLUSH
            v -= FLUSH
        grads = velocity
    mlp.sgd_step(params, grads, config.lr)
    return float(loss), int((probs.argmax(axis=1) == y).sum())


def evaluate(mlp: ModuleType, params: dict, split: Split, batch_size: int = 10_000) -> tuple[float, float]:
    """(mean loss, accuracy) of params on a split, in batches."""
    loss = correct = 0.0
    for start in range(0, len(split.labels), batch_size):
        X, y = split.images[start : start + batch_size], split.labels[start : start + batch_size]
        probs, _ = mlp.forward(params, X)
        loss += mlp.cross_entropy(probs, y) * len(y)
        correct += (probs.argmax(axis=1) == y).sum()
    return float(loss / len(split.labels)), float(correct / len(split.labels))


def train(mlp: ModuleType, data: Mnist, config: TrainConfig,
          on_step: Callable[[int, int, float], None] | None = None,
          on_epoch: Callable[[EpochRecord], None] | None = None) -> tuple[dict, History]:
    """Train from init_params(seed) and return (params, history); the callbacks are for progress display."""
    params = mlp.init_params(mlp.LAYER_SIZES, np.random.default_rng(config.seed))
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    history = History(config)
    X_train, y_train = data.train
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        loss_sum = correct = 0.0
        epoch_config = config.at_epoch(epoch)
        for step, idx in enumerate(batch_order(len(y_train), config.batch_size, config.seed, epoch)):
            loss, hits = train_step(mlp, params, velocity, X_train[idx], y_train[idx], epoch_config)
            loss_sum += loss * len(idx)
            correct += hits
            if on_step:
                on_step(epoch, step, loss)
        seconds = time.perf_counter() - start
        test_loss, test_accuracy = evaluate(mlp, params, data.test)
        n = len(y_train)
        history.epochs.append(EpochRecord(epoch, loss_sum / n, correct / n, test_loss, test_accuracy, seconds))
        if on_epoch:
            on_epoch(history.epochs[-1])
    return params, history


def plot_curves(history: History, path: Path, title: str = "MLP 784-128-64-10 on MNIST", bar: float = 0.95) -> None:
    """Draw train loss and test accuracy per epoch (two labelled axes, the accuracy ``bar`` dotted) into a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [e.epoch for e in history.epochs]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, [e.train_loss for e in history.epochs], "o-", label="train loss")
    ax_loss.plot(epochs, [e.test_loss for e in history.epochs], "s--", label="test loss")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    ax_loss.legend()
    ax_acc.plot(epochs, [100 * e.test_accuracy for e in history.epochs], "o-", color="tab:green", label="test")
    ax_acc.plot(epochs, [100 * e.train_accuracy for e in history.epochs], "s--", color="tab:olive", label="train")
    ax_acc.axhline(100 * bar, color="grey", linestyle=":", label=f"{100 * bar:g}% bar")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    ax_acc.legend()
    for ax in (ax_loss, ax_acc):
        ax.set_xticks(epochs)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


class ProgressBar:
    """A one-line progress bar per epoch on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, config: TrainConfig, steps_per_epoch: int) -> None:
        self.config, self.steps = config, steps_per_epoch
        self.tty = sys.stderr.isatty()

    def __call__(self, epoch: int, step: int, loss: float) -> None:
        if self.tty and (step % 20 == 0 or step == self.steps - 1):
            done = int(30 * (step + 1) / self.steps)
            sys.stderr.write(f"\repoch {epoch}/{self.config.epochs} [{'#' * done}{'.' * (30 - done)}] loss {loss:.4f}")
            sys.stderr.flush()

    def epoch_done(self, record: EpochRecord) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
        print(f"epoch {record.epoch}/{self.config.epochs}  train loss {record.train_loss:.4f}  "
              f"train acc {100 * record.train_accuracy:.2f}%  test acc {100 * record.test_accuracy:.2f}%  "
              f"({record.seconds:.2f} s)", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--submission", default=str(Path(__file__).resolve().parent), help="folder holding mlp.py")
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="passes over the 60,000 training images")
    parser.add_argument("--lr", type=float, default=defaults.lr, help="learning rate of the first epoch")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="images per SGD step")
    parser.add_argument("--momentum", type=float, default=defaults.momentum,
                        help="heavy-ball momentum; 0 for plain SGD")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="initial weights and batch order")
    parser.add_argument("--lr-decay", type=float, default=defaults.lr_decay,
                        help="learning rate factor per epoch (1 keeps it constant)")
    parser.add_argument("--out", default=OUT_DEFAULT, help="output folder")
    return parser.parse_args(argv)


def crash_report(error: Exception, submission: Path) -> str:
    """One paragraph for an exception raised while training: the function of mlp.py it came from, the line, and
    where to look next."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).name == "mlp.py"]
    if not frames:  # raised by the training loop itself, about a returned value (its message names the function)
        return f"error: {error}"
    called = next((f.name for f in frames if f.name in GRADED), frames[0].name)  # e.g. softmax, inside forward
    innermost = frames[-1]
    check = f"pytest tests_public -m {called}" if called in GRADED else "pytest tests_public"
    return (f"error: {called} raised {type(error).__name__}: {error} ({submission / 'mlp.py'} line "
            f"{innermost.lineno}, in {innermost.name}); run {check} to check it")


def divergence_hint(history: History) -> str | None:
    """A warning when a run ends near chance level (10%), with what the losses show."""
    if history.final_test_accuracy >= 0.5:
        return None
    losses = [e.train_loss for e in history.epochs]
    if not all(np.isfinite(losses)):
        what = "the training loss became nan or inf (the updates diverged)"
    elif len(losses) > 1 and losses[-1] >= losses[0]:
        what = "the training loss did not decrease"
    else:
        what = "the network barely learned"
    return (f"warning: {100 * history.final_test_accuracy:.2f}% test accuracy is near chance (10%): {what}. "
            f"Check your functions with pytest tests_public (a gradient that is too large, e.g. without the 1/N, "
            f"or with the wrong sign, does this); if they all pass, try a smaller --lr.")


def config_from(args: argparse.Namespace) -> TrainConfig:
    """The TrainConfig of the command-line flags (``--epochs``, ``--lr``, ...)."""
    return TrainConfig(args.epochs, args.lr, args.batch_size, args.momentum, args.seed, args.lr_decay)


def load_or_explain(folder: str | Path) -> tuple[ModuleType, Mnist] | None:
    """(the submission's module, MNIST), or None after printing the reason in one line (for the commands' main)."""
    try:
        return load_submission(folder), load_mnist()
    except (DataError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = config_from(args)
    out = Path("runs") / Path(args.submission).resolve().name if args.out == OUT_DEFAULT else Path(args.out)
    if (loaded := load_or_explain(args.submission)) is None:
        return 1
    mlp, data = loaded
    bar = ProgressBar(config, len(batch_order(len(data.train.labels), config.batch_size, config.seed, 1)))
    print(f"training {Path(args.submission) / 'mlp.py'}: {dataclasses.asdict(config)}")
    try:
        params, history = train(mlp, data, config, on_step=bar, on_epoch=bar.epoch_done)
    except NotImplementedError as error:
        print(f"\nerror: {error} (run `pytest tests_public` to check your functions first)", file=sys.stderr)
        return 1
    except Exception as error:  # the submission's code raised: name it, no traceback
        print(f"\n{crash_report(error, Path(args.submission))}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "weights.npz", **params)
    (out / "metrics.json").write_text(json.dumps(history.to_json(), indent=2) + "\n")
    plot_curves(history, out / "curves.png")
    print(f"final test accuracy {100 * history.final_test_accuracy:.2f}%  "
          f"({history.to_json()['seconds_per_epoch']:.2f} s/epoch)")
    print(f"wrote {out / 'curves.png'}, {out / 'metrics.json'}, {out / 'weights.npz'}")
    if (hint := divergence_hint(history)) is not None:
        print(hint, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
