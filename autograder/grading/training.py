"""The graded training run: the kit's loop runs the student's functions in the worker, the grader audits.

The grader draws the initial weights and holds the training state: it cuts every epoch into chunks of random
length (drawn from a secret the worker never sees), asks the worker to run them, and checks every chunk before it
accepts the state the worker reports. A chunk is replayed with the reference functions from the last accepted
state (params AND momentum velocity) and compared tensor by tensor (``Audit``):

* every unit check of the functions training uses passed -> each tensor's update and velocity must match the
  replay within ``FAITHFUL`` (honest float32 drift is far below it): anything else changed the state outside the
  tested update (smuggled weights, once or gradually, a tampered velocity, a skipped tensor) and earns 0;
* some of those checks failed -> the update may differ, as honest bugs do, but each tensor's update must still
  follow the gradient (direction and size against the replay's); then the grader's accuracy decides the credit.

Weights that turn inf or nan end the run as "diverged". Losses and accuracies are measured by the grader, on the
weights it accepted, with the reference forward pass; nothing the student reports is believed.
"""
from __future__ import annotations

import secrets
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from autograder.grading.remote import RemoteMlp, WorkerError
from data.idx import Mnist
from solution import mlp as reference
from solution import train as kit_train

# Per-tensor audit bounds. Honest float32 drift of a correct implementation (other kernels, float64 internals,
# log-sum-exp softmax) is at most a few percent of a chunk's update; gradual smuggling of 0.05% of the distance to
# other weights per chunk already deviates 15-110%.
FAITHFUL = 0.2
# For code with failing unit checks: measured on honest bugs (a layer's gradient x0.5, every gradient x2, bias
# gradients averaged instead of summed), the cosine between the student's and the replay's updates, accumulated
# per tensor, stays above 0.35 (a single late chunk of a bias can fall to 0.1), the size ratio within 0.01..3.
MIN_COSINE = 0.2
MIN_RATIO, MAX_RATIO = 1e-3, 50.0

State = tuple[dict, dict]  # (params, velocity)
TRAINED_WITH = ("relu_grad", "softmax", "backward", "sgd_step")  # the graded functions a training step calls
VERDICTS = ("ok", "diverged", "audit failed", "timed out", "crashed")


@dataclass
class TrainingOutcome:
    history: kit_train.History
    test_accuracy: float = 0.0
    audits: int = 0
    error: str | None = None
    verdict: str = "ok"  # one of VERDICTS
    max_deviation: float = 0.0  # largest per-tensor deviation from the replay over the audited chunks
    seconds: float = 0.0

    @property
    def timed_out(self) -> bool:
        return self.verdict == "timed out"


class AuditFailed(ValueError):
    """A chunk's reported state cannot be accepted; ``verdict`` is "diverged" or "audit failed"."""

    def __init__(self, message: str, verdict: str = "audit failed") -> None:
        super().__init__(message)
        self.verdict = verdict


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


def replay(state: State, batches: list[np.ndarray], data: Mnist, config: kit_train.TrainConfig) -> State:
    """The reference result of running ``batches`` from ``state``: (params, velocity) after."""
    params = {k: v.copy() for k, v in state[0].items()}
    velocity = {k: v.copy() for k, v in state[1].items()}
    X, y = data.train
    for idx in batches:
        kit_train.train_step(reference, params, velocity, X[idx], y[idx], config)
    return params, velocity


@dataclass(frozen=True)
class TensorChange:
    """One tensor's change over a chunk, the student's against the reference replay's from the same start."""

    name: str           # e.g. "W1" or "velocity of W1"
    deviation: float    # |student change - replay change| / |replay change|
    ratio: float        # |student change| / |replay change|
    dot: float          # <student change, replay change>
    mine: float         # |student change|^2
    ref: float          # |replay change|^2


def compare(name: str, start: np.ndarray, got: np.ndarray, expected: np.ndarray) -> TensorChange:
    """Measure how ``start -> got`` relates to ``start -> expected`` (float64, a 1e-30 floor on norms)."""
    mine = (got.astype(np.float64) - start).ravel()
    ref = (expected.astype(np.float64) - start).ravel()
    n_ref = max(float(np.linalg.norm(ref)), 1e-30)
    return TensorChange(name, float(np.linalg.norm(mine - ref)) / n_ref, float(np.linalg.norm(mine)) / n_ref,
                        float(mine @ ref), float(mine @ mine), float(ref @ ref))


def share(fraction: float) -> str:
    """0.43 -> "43%", 2.1e7 -> "2.1e+09%": readable at every scale."""
    return f"{100 * fraction:.0f}%" if fraction < 100 else f"{100 * fraction:.2g}%"


class Audit:
    """Accepts or refuses each chunk's reported state, tensor by tensor, against the reference replay.

    ``faithful``: every unit check of the functions training uses passed, so the state must match the replay
    within FAITHFUL. Otherwise each weight tensor's update must follow the gradient: never frozen, never
    MAX_RATIO times a correct step, and its cosine with the replay's updates, accumulated over the run so far
    (single late chunks of small bias updates are noisy), at least MIN_COSINE.
    """

    def __init__(self, faithful: bool) -> None:
        self.faithful = faithful
        self.sums: dict[str, np.ndarray] = {}  # tensor -> running (dot, mine, ref)
        self.max_deviation = 0.0

    def cosine(self, change: TensorChange) -> float:
        """The accumulated cosine of ``change``'s tensor, with this chunk included."""
        total = self.sums.setdefault(change.name, np.zeros(3))
        total += (change.dot, change.mine, change.ref)
        return float(total[0] / max(np.sqrt(total[1] * total[2]), 1e-30))

    def judge(self, start: State, after: State, expected: State, where: str) -> None:
        """Accept ``after`` as the state following ``start`` or raise AuditFailed."""
        for state in after:
            bad = [k for k, v in state.items() if not np.isfinite(v).all()]
            if bad:
                raise AuditFailed(
                    f"training diverged: {', '.join(bad)} held inf or nan {where}. Check the scale of backward's "
                    f"gradients (the 1/N of the mean loss) and softmax's stability; the gradient checks in "
                    f"`pytest tests_public -m backward` show which parameter is off.", "diverged")
        weights = [compare(k, start[0][k], after[0][k], expected[0][k]) for k in expected[0]]
        changes = weights + [compare(f"velocity of {k}", start[1][k], after[1][k], expected[1][k])
                             for k in expected[1]]
        worst = max(changes, key=lambda c: c.deviation)
        self.max_deviation = max(self.max_deviation, worst.deviation)
        if self.faithful:
            if worst.deviation > FAITHFUL:
                raise AuditFailed(
                    f"{worst.name} changed {where} by {share(worst.deviation)} of a correct step away from "
                    f"what the reference computes from the same state (allowed {100 * FAITHFUL:.0f}%), although "
                    f"every unit check passed: the training run's state changed outside the tested update (code "
                    f"that keeps state between calls or behaves differently during training?). Training earns 0.")
            return
        frozen = min(weights, key=lambda c: c.ratio)
        if frozen.ratio < MIN_RATIO:
            raise AuditFailed(f"{frozen.name} was not updated {where} (it moved {frozen.ratio:.1e} of a correct "
                              f"step): check that sgd_step updates every key in place.")
        biggest = max(changes, key=lambda c: c.ratio)
        if biggest.ratio > MAX_RATIO:
            raise AuditFailed(
                f"{biggest.name} changed {where} {biggest.ratio:.3g}x as much as a correct step from the same "
                f"state would (allowed {MAX_RATIO:.0f}x): check the scale of backward's gradients (the 1/N of the "
                f"mean loss).")
        cosine, name = min((self.cosine(c), c.name) for c in weights)
        if cosine < MIN_COSINE:
            side = "against" if cosine < 0 else "nearly across"
            raise AuditFailed(
                f"{name}'s updates point {side} the gradient (cosine {cosine:.2f} with correct steps from the same "
                f"weights, accumulated up to {where}): check backward's formula for {name} and its sign.")


AHEAD = 2  # training requests queued in the worker's pipe, so it never idles while the grader checks a reply
KEPT = 32  # replies kept unaudited while the checks run (a full state each, ~0.9 MB): then the grader waits for them
TRAIN_PROBE = 10_000  # train loss/accuracy are measured on this many training images (the first ones), to save time


def measure(params: dict, data: Mnist, epoch: int, seconds: float) -> kit_train.EpochRecord:
    """The grader's own measurements of ``params`` after ``epoch``."""
    probe = type(data.train)(data.train.images[:TRAIN_PROBE], data.train.labels[:TRAIN_PROBE])
    train_loss, train_acc = kit_train.evaluate(reference, params, probe)
    test_loss, test_acc = kit_train.evaluate(reference, params, data.test)
    return kit_train.EpochRecord(epoch, train_loss, train_acc, test_loss, test_acc, seconds)


def plan(data: Mnist, config: kit_train.TrainConfig, rng: np.random.Generator, chunk_mean: int) -> list[tuple]:
    """Every chunk of the run as (epoch, start, stop, that epoch's batches)."""
    steps = []
    for epoch in range(1, config.epochs + 1):
        batches = kit_train.batch_order(len(data.train.labels), config.batch_size, config.seed, epoch)
        steps += [(epoch, lo, hi, batches) for lo, hi in chunks(len(batches), rng, chunk_mean)]
    return steps


def run(remote: RemoteMlp, data: Mnist, config: kit_train.TrainConfig, seconds: float, faithful: bool | Future,
        chunk_seconds: float = 20, chunk_mean: int = 60, audit: bool = True) -> TrainingOutcome:
    """Train in the worker under a total time budget and return the grader-measured outcome.

    The initial weights come from ``config.seed``; the chunk lengths from a secret. ``faithful``: every unit check
    of the functions training uses passed (see ``Audit``), or a Future of it while those checks still run: the
    worker's replies are then kept, unaudited, and the worker kept busy, until the Future is done (at most KEPT
    of them: then the grader waits for the checks); nothing is accepted before it is audited. ``audit=False`` is
    for the grading benchmark only.
    Pipelined: the worker always has more requests queued than the grader has replies to audit (it never waits
    for the grader), and while it runs the next chunks the grader audits the last one, so auditing every chunk
    costs the grader's second core, not wall time. Finished epochs are measured in a thread of their own.
    """
    awaited = faithful if isinstance(faithful, Future) else None
    auditor = None if awaited else Audit(faithful)
    outcome = TrainingOutcome(kit_train.History(config))
    params = reference.init_params(reference.LAYER_SIZES, np.random.default_rng(config.seed))
    state: State = (params, {k: np.zeros_like(v) for k, v in params.items()})
    chunk_list = plan(data, config, np.random.default_rng(secrets.randbits(128)), chunk_mean)
    start = epoch_start = time.perf_counter()
    deadline = start + seconds
    sent = 0
    backlog: list[tuple[int, State, float]] = []  # replies received, not yet audited: (chunk, state, arrival)
    measuring = ThreadPoolExecutor(1, thread_name_prefix="measure")
    measured: list[Future] = []  # each finished epoch's measurement, in order

    def accept(k: int, after: State, arrival: float) -> None:
        """Audit chunk ``k``'s reported state against the replay from the last accepted one, then accept it."""
        nonlocal state, epoch_start
        epoch, lo, hi, batches = chunk_list[k]
        if audit:
            expected = replay(state, batches[lo:hi], data, config.at_epoch(epoch))
            auditor.judge(state, after, expected, f"in epoch {epoch}, steps {lo}..{hi - 1}")
            outcome.audits += 1
        state = after
        if hi == len(batches):  # (the accepted state's arrays are never changed in place)
            measured.append(measuring.submit(measure, state[0], data, epoch, arrival - epoch_start))
            epoch_start = arrival

    def feed(upto: int) -> None:
        """Have requests sent for every chunk before ``upto``."""
        nonlocal sent
        while sent < min(upto, len(chunk_list)):
            epoch, lo, hi, _ = chunk_list[sent]
            remote.send({"op": "train_steps", "epoch": epoch, "start": lo, "stop": hi})
            sent += 1

    try:
        reply = remote.request({"op": "train_begin", "params": params, "config": vars(config)}, 60, "train_begin")
        if not reply.get("ok"):
            raise ValueError(f"starting the training failed: {reply.get('error')}")
        feed(AHEAD)
        received = 0
        while received < len(chunk_list) or backlog:
            if auditor is None and len(backlog) >= KEPT:  # slow checks: wait for them rather than keep more
                auditor = Audit(awaited.result())
            # take a reply when there is nothing to audit, else only one already there: the worker is never
            # blocked on a full pipe while the grader audits
            if received < len(chunk_list) and (auditor is None or not backlog or remote.ready()):
                epoch = chunk_list[received][0]
                reply = remote.receive(max(0.1, min(chunk_seconds, deadline - time.perf_counter())),
                                       f"training (epoch {epoch})")
                if not reply.get("ok"):
                    raise ValueError(f"training failed in epoch {epoch}: {reply.get('error')}")
                after = (check_params(reply.get("params"), params), check_params(reply.get("velocity"), params))
                backlog.append((received, after, time.perf_counter()))
                received += 1
                feed(received + AHEAD + len(backlog))  # the worker has work queued while the grader audits
            if auditor is None and (received == len(chunk_list) or awaited.done()):
                auditor = Audit(awaited.result())
            if auditor is not None and backlog:
                accept(*backlog.pop(0))
    except WorkerError as error:
        outcome.error, outcome.verdict = str(error), "timed out" if error.timed_out else "crashed"
    except AuditFailed as error:
        outcome.error, outcome.verdict = str(error), error.verdict
    except ValueError as error:
        outcome.error, outcome.verdict = str(error), "crashed"
    finally:
        measuring.shutdown()
    outcome.history.epochs += [record.result() for record in measured]
    outcome.seconds = time.perf_counter() - start
    outcome.max_deviation = auditor.max_deviation if auditor is not None else 0.0
    if outcome.error is None:
        outcome.test_accuracy = outcome.history.final_test_accuracy
    return outcome
