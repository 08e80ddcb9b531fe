"""The graded training run: the kit's loop runs the student's functions in the worker, the grader audits.

The grader draws the initial weights, cuts every epoch into chunks of random length and asks the worker to run
them. It audits the chunks (by default every one; a random share, chosen only after the worker has answered, if
``audit_share`` < 1) by replaying them with the reference functions from the worker's own reported start state,
so an ``sgd_step`` that smuggles in pre-trained weights, even once, is caught. Losses and accuracies are measured by the grader, on the weights the worker
returns, with the reference forward pass; nothing the student reports is believed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from autograder.remote import RemoteMlp, WorkerError
from data.idx import Mnist
from solution import mlp as reference
from solution import train as kit_train

# A replay by a correct float32 implementation (other BLAS kernels, other summation order) drifts from the worker's
# chaotically: measured at most 2% of a chunk's update (chunks of 1-120 steps, 5 seeds); skipping the update
# gives 100% and smuggled weights far more.
AUDIT_MAX_DEVIATION = 0.5


@dataclass
class TrainingOutcome:
    history: kit_train.History
    test_accuracy: float = 0.0
    audits: int = 0
    error: str | None = None
    timed_out: bool = False
    seconds: float = 0.0


def check_params(params: object, like: dict) -> dict:
    """The worker's params as plain float32 arrays with the right keys and shapes, or ValueError."""
    if not isinstance(params, dict) or set(params) != set(like):
        raise ValueError(f"training returned parameters with keys {sorted(params) if isinstance(params, dict) else type(params).__name__}, expected {sorted(like)}")
    clean = {}
    for key, value in like.items():
        got = params[key]
        if not isinstance(got, np.ndarray) or got.shape != value.shape:
            raise ValueError(f"training returned {key} of shape {getattr(got, 'shape', None)}, expected {value.shape}")
        clean[key] = np.asarray(got, dtype=np.float32)
    return clean


def chunks(steps: int, rng: np.random.Generator, mean: int) -> list[tuple[int, int]]:
    """Cut range(steps) into consecutive pieces of random length (1 .. 2*mean)."""
    bounds, start = [], 0
    while start < steps:
        stop = min(steps, start + int(rng.integers(1, 2 * mean + 1)))
        bounds.append((start, stop))
        start = stop
    return bounds


def replay(state: tuple[dict, dict], batches: list[np.ndarray], data: Mnist, config: kit_train.TrainConfig) -> dict:
    """The reference result of running ``batches`` from ``state`` (params, velocity): the params after."""
    params = {k: v.copy() for k, v in state[0].items()}
    velocity = {k: v.copy() for k, v in state[1].items()}
    X, y = data.train
    for idx in batches:
        kit_train.train_step(reference, params, velocity, X[idx], y[idx], config)
    return params


def deviation(start: dict, got: dict, expected: dict) -> float:
    """How far the worker's weights are from the replay's, relative to how far the replay moved them."""
    off = sum(float(np.square(got[k] - expected[k], dtype=np.float64).sum()) for k in expected)
    moved = sum(float(np.square(expected[k] - start[k], dtype=np.float64).sum()) for k in expected)
    return float(np.sqrt(off / max(moved, 1e-12)))


AHEAD = 2  # training requests queued in the worker's pipe, so it never idles while the grader checks a reply
TRAIN_PROBE = 10_000  # train loss/accuracy are measured on this many training images (the first ones), to save time


def measure(params: dict, data: Mnist, history: kit_train.History, epoch: int, seconds: float) -> None:
    """Append the grader's own measurements of ``params`` after ``epoch`` to ``history``."""
    probe = type(data.train)(data.train.images[:TRAIN_PROBE], data.train.labels[:TRAIN_PROBE])
    train_loss, train_acc = kit_train.evaluate(reference, params, probe)
    test_loss, test_acc = kit_train.evaluate(reference, params, data.test)
    history.epochs.append(kit_train.EpochRecord(epoch, train_loss, train_acc, test_loss, test_acc, seconds))


def plan(data: Mnist, config: kit_train.TrainConfig, rng: np.random.Generator, chunk_mean: int) -> list[tuple]:
    """Every chunk of the run as (epoch, start, stop, that epoch's batches)."""
    steps = []
    for epoch in range(1, config.epochs + 1):
        batches = kit_train.batch_order(len(data.train.labels), config.batch_size, config.seed, epoch)
        steps += [(epoch, lo, hi, batches) for lo, hi in chunks(len(batches), rng, chunk_mean)]
    return steps


def audit(state: tuple[dict, dict], after: tuple[dict, dict], chunk: tuple, data: Mnist,
          config: kit_train.TrainConfig) -> None:
    """Raise ValueError unless the worker's weights after ``chunk`` match a reference replay from ``state``."""
    epoch, lo, hi, batches = chunk
    off = deviation(state[0], after[0], replay(state, batches[lo:hi], data, config.at_epoch(epoch)))
    if not off <= AUDIT_MAX_DEVIATION:
        raise ValueError(
            f"audit failed: in epoch {epoch}, steps {lo}..{hi - 1} moved the weights away from what a correct "
            f"implementation does from the same start (deviation {off:.2f} of the update, allowed "
            f"{AUDIT_MAX_DEVIATION}). Fix the failing unit tests first; if they all pass, the weights were "
            f"changed outside the SGD update rule.")


def run(remote: RemoteMlp, data: Mnist, config: kit_train.TrainConfig, seconds: float, audit_share: float,
        rng: np.random.Generator, chunk_seconds: float = 20, chunk_mean: int = 60) -> TrainingOutcome:
    """Train in the worker under a total time budget and return the grader-measured outcome.

    Pipelined: the worker always has the next request queued (it never waits for the grader), and while it runs
    chunk k+1 the grader audits chunk k and measures finished epochs, so auditing every chunk costs the grader's
    second core, not wall time.
    """
    outcome = TrainingOutcome(kit_train.History(config))
    params = reference.init_params(reference.LAYER_SIZES, rng)
    state = (params, {k: np.zeros_like(v) for k, v in params.items()})
    chunk_list = plan(data, config, rng, chunk_mean)
    start = epoch_start = time.perf_counter()
    deadline = start + seconds

    def request(k: int) -> None:
        epoch, lo, hi, _ = chunk_list[k]
        remote.send({"op": "train_steps", "epoch": epoch, "start": lo, "stop": hi})

    try:
        reply = remote.request({"op": "train_begin", "params": params, "config": vars(config)}, 60, "train_begin")
        if not reply.get("ok"):
            raise ValueError(f"starting the training failed: {reply.get('error')}")
        for k in range(min(AHEAD, len(chunk_list))):
            request(k)
        for k, chunk in enumerate(chunk_list):
            epoch, lo, hi, batches = chunk
            reply = remote.receive(max(0.1, min(chunk_seconds, deadline - time.perf_counter())),
                                   f"training (epoch {epoch})")
            if not reply.get("ok"):
                raise ValueError(f"training failed in epoch {epoch}: {reply.get('error')}")
            if k + AHEAD < len(chunk_list):
                request(k + AHEAD)  # keep the worker's queue full, then check this chunk
            after = (check_params(reply.get("params"), params), check_params(reply.get("velocity"), params))
            if rng.random() < audit_share or k + 1 == len(chunk_list):
                outcome.audits += 1
                audit(state, after, chunk, data, config)
            state = after
            if hi == len(batches):
                measure(state[0], data, outcome.history, epoch, time.perf_counter() - epoch_start)
                epoch_start = time.perf_counter()
    except WorkerError as error:
        outcome.error, outcome.timed_out = str(error), error.timed_out
    except ValueError as error:
        outcome.error = str(error)
    outcome.seconds = time.perf_counter() - start
    if outcome.error is None:
        outcome.test_accuracy = outcome.history.final_test_accuracy
    return outcome
