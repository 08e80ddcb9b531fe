"""Time the NumPy reference MLP against the same network in PyTorch (CPU), side by side in one run.

    python -m bench.speed                        # 5 epochs, batch 64, 1 thread
    python -m bench.speed --epochs 3 --threads 2

Both sides start from the same He-initialised weights (solution.mlp.init_params), see the same batches in the
same order (solution.train.batch_order), run in float32 with the same number of threads and use the same
optimizer: SGD with heavy-ball momentum, v = mu * v + g; p -= lr * v (torch.optim.SGD, dampening 0). The
epochs are interleaved (NumPy epoch 1, torch epoch 1, NumPy epoch 2, ...) so drift in machine load hits both.
The test set is evaluated every quarter epoch with the clock stopped; "time to 95%" is the training time until
the first of those evaluations reaching 95% test accuracy. Exits non-zero only on errors, never on timing.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

CHECKS_PER_EPOCH = 4  # test-set evaluations per epoch (not timed)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads for both sides (default 1)")
    args = parser.parse_args(argv)
    if min(args.epochs, args.batch_size, args.threads) < 1:
        parser.error("--epochs, --batch-size and --threads must be at least 1")
    return args


def checkpoints(steps: int) -> set[int]:
    """Step indices after which to evaluate: about every 1/CHECKS_PER_EPOCH epoch, always the last step."""
    return {round(k * steps / CHECKS_PER_EPOCH) - 1 for k in range(1, CHECKS_PER_EPOCH + 1)}


class NumpyRun:
    """The reference: solution/mlp.py driven by solution/train.py's train_step, as train() does."""

    def __init__(self, data, config) -> None:
        import numpy as np
        from solution import train

        self.data, self.config, self.train_step, self.evaluate = data, config, train.train_step, train.evaluate
        self.mlp = train.load_submission(Path(train.__file__).parent)  # solution/mlp.py
        self.params = self.mlp.init_params(self.mlp.LAYER_SIZES, np.random.default_rng(config.seed))
        self.velocity = {key: np.zeros_like(value) for key, value in self.params.items()}

    def initial_weights(self) -> dict:
        return {key: value.copy() for key, value in self.params.items()}

    def step(self, idx, epoch: int) -> None:
        X, y = self.data.train
        self.train_step(self.mlp, self.params, self.velocity, X[idx], y[idx], self.config.at_epoch(epoch))

    def accuracy(self) -> float:
        return self.evaluate(self.mlp, self.params, self.data.test)[1]


class TorchRun:
    """The same network as torch.nn layers, loaded with the reference's initial weights."""

    def __init__(self, data, config, weights: dict) -> None:
        import torch

        self.torch = torch
        self.model = torch.nn.Sequential(
            torch.nn.Linear(784, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 64), torch.nn.ReLU(),
            torch.nn.Linear(64, 10),
        )
        with torch.no_grad():  # nn.Linear stores W as (fan_out, fan_in): the transpose of the reference's
            for k, layer in enumerate(self.model[::2], start=1):
                layer.weight.copy_(torch.from_numpy(weights[f"W{k}"].T))
                layer.bias.copy_(torch.from_numpy(weights[f"b{k}"]))
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=config.lr, momentum=config.momentum)
        self.X, self.y = torch.from_numpy(data.train.images), torch.from_numpy(data.train.labels)
        self.X_test, self.y_test = torch.from_numpy(data.test.images), torch.from_numpy(data.test.labels)

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def step(self, idx, epoch: int) -> None:
        idx = self.torch.from_numpy(idx)
        logits, y = self.model(self.X[idx]), self.y[idx]
        loss = self.torch.nn.functional.cross_entropy(logits, y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        loss.item(), (logits.argmax(dim=1) == y).sum().item()  # train_step returns these too: same work

    def accuracy(self) -> float:
        with self.torch.no_grad():
            return (self.model(self.X_test).argmax(dim=1) == self.y_test).float().mean().item()


def run_epoch(run, epoch: int, batches: list, checks: set[int], clock: float) -> tuple[float, float, float | None]:
    """Train one epoch; return (training seconds, test accuracy at its end, training clock at 95% or None)."""
    seconds, reached = 0.0, None
    start = time.perf_counter()
    for step, idx in enumerate(batches):
        run.step(idx, epoch)
        if step in checks:
            seconds += time.perf_counter() - start
            accuracy = run.accuracy()
            if reached is None and accuracy >= 0.95:
                reached = clock + seconds
            start = time.perf_counter()
    return seconds, accuracy, reached


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[name] = str(args.threads)  # before NumPy (and its BLAS) is first imported
    forced = os.environ.pop("OPENBLAS_CORETYPE", None)  # time the kernels OpenBLAS picks for this CPU, as torch does
    if forced:
        print(f"(ignoring OPENBLAS_CORETYPE={forced} from the environment: OpenBLAS detects the CPU itself)")
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: `make bench` installs it (torch==2.13.0) and runs this benchmark.",
              file=sys.stderr)
        return 1
    import numpy as np

    from data.fetch import DataError
    from data.idx import load_mnist
    try:
        from solution.train import TrainConfig, batch_order
    except ModuleNotFoundError:
        print("error: this benchmark times the reference in solution/, which this checkout lacks.", file=sys.stderr)
        return 1

    torch.set_num_threads(args.threads)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size)
    try:
        data = load_mnist()
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    ours = NumpyRun(data, config)
    runs = {"numpy": ours, "torch": TorchRun(data, config, ours.initial_weights())}
    clock = dict.fromkeys(runs, 0.0)
    at_95: dict[str, float | None] = dict.fromkeys(runs)
    rows = []
    for epoch in range(1, config.epochs + 1):
        batches = batch_order(len(data.train.labels), config.batch_size, config.seed, epoch)
        checks = checkpoints(len(batches))
        row = {}
        runs["torch"].set_lr(config.at_epoch(epoch).lr)  # the numpy side reads it from its config
        for name, run in runs.items():
            seconds, accuracy, reached = run_epoch(run, epoch, batches, checks, clock[name])
            clock[name] += seconds
            if at_95[name] is None:
                at_95[name] = reached
            row[name] = (seconds, accuracy)
        rows.append(row)

    print(f"MLP 784-128-64-10 on MNIST: {config.epochs} epochs, batch {config.batch_size}, SGD lr {config.lr} (x{config.lr_decay} per epoch) "
          f"momentum {config.momentum}, seed {config.seed}, float32, {args.threads} thread(s)")
    print(f"numpy {np.__version__} vs torch {torch.__version__}; seconds exclude the test evaluations\n")
    print(f"{'epoch':>5}  {'numpy s':>8}  {'torch s':>8}  {'numpy/torch':>11}  {'numpy acc':>9}  {'torch acc':>9}")
    for epoch, row in enumerate(rows, start=1):
        (np_s, np_acc), (t_s, t_acc) = row["numpy"], row["torch"]
        print(f"{epoch:>5}  {np_s:>8.3f}  {t_s:>8.3f}  {np_s / t_s:>11.2f}  "
              f"{100 * np_acc:>8.2f}%  {100 * t_acc:>8.2f}%")
    np_mean, t_mean = clock["numpy"] / config.epochs, clock["torch"] / config.epochs
    print(f"{'mean':>5}  {np_mean:>8.3f}  {t_mean:>8.3f}  {np_mean / t_mean:>11.2f}")
    reached = {name: "not reached" if s is None else f"{s:.2f} s" for name, s in at_95.items()}
    print(f"\ntime to 95% test accuracy (evaluated every 1/{CHECKS_PER_EPOCH} epoch): "
          f"numpy {reached['numpy']}, torch {reached['torch']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
