"""The worker: imports the student's ``mlp.py`` and answers the grader's requests over a pipe.

Run inside the sandbox as ``python -I serve.py SUBMISSION_DIR MNIST_DIR``. Requests and replies use
``protocol`` on the original stdout; anything the student prints goes to stderr, which the grader captures.
Requests: ``prepare`` (load MNIST ahead of training), ``call`` (run one function on given arguments; report the result and any in-place changes to the
arguments; ``correct`` names module functions replaced during the call by the kit's correct versions from
``substitutes.py``, e.g. relu_grad while backward is checked), ``train_begin`` / ``train_steps`` (run the kit's
own training loop in chunks the grader chooses).
"""
from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(KIT)]

import numpy as np  # noqa: E402

from substitutes import substituted  # noqa: E402
from worker import protocol  # noqa: E402

# Captured before the student's module is imported, so monkeypatching numpy cannot hide an in-place change.
# (The worker is the student's process: this stops accidents and naive tricks, not a determined forger.)
NDARRAY, TOBYTES = np.ndarray, np.ndarray.tobytes

STUDENT_FILE = "mlp.py"


def describe(error: BaseException) -> dict:
    """A reply describing an exception raised by student code, pointing at the student's own lines."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(STUDENT_FILE)]
    where = f" (mlp.py line {frames[-1].lineno}, in {frames[-1].name})" if frames else ""
    if isinstance(error, NotImplementedError):
        kind = "not_implemented"
    elif isinstance(error, SystemExit):
        kind, error = "exception", RuntimeError(f"called sys.exit({error.code!r})")
    else:
        kind = "exception"
    return {"ok": False, "kind": kind, "error": f"{type(error).__name__}: {error}"[:2000] + where}


def snapshot(value, path=()):
    """(path, array, copy) for every array inside the arguments, and (path, dict, {key: id}) for every dict."""
    arrays, dicts = [], []
    if isinstance(value, NDARRAY):
        arrays.append((path, value, value.copy()))
    elif isinstance(value, dict):
        dicts.append((path, value, {k: id(v) for k, v in value.items()}))
        for key, item in value.items():
            sub_arrays, sub_dicts = snapshot(item, path + (key,))
            arrays += sub_arrays
            dicts += sub_dicts
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            sub_arrays, sub_dicts = snapshot(item, path + (index,))
            arrays += sub_arrays
            dicts += sub_dicts
    return arrays, dicts


def changes(args: list):
    """Snapshot the arguments and return a function listing what the call changed in place."""
    arrays, dicts = snapshot(args)

    def report() -> dict:
        mutations = [[list(p), a] for p, a, before in arrays
                     if a.shape != before.shape or not _same(a, before)]
        rebinds = [[list(p) + [k], d.get(k)] for p, d, ids in dicts for k in set(ids) | set(d)
                   if id(d.get(k)) != ids.get(k)]
        return {"mutations": mutations, "rebinds": rebinds}

    return report


def _same(a, b) -> bool:
    """Bitwise equality, by bound methods of the ndarray type (which student code cannot replace)."""
    return a.shape == b.shape and a.dtype == b.dtype and TOBYTES(a) == TOBYTES(b)


class Worker:
    def __init__(self, submission: Path, mnist: Path) -> None:
        self.submission, self.mnist = submission, mnist
        self.mlp = None
        self.training = None
        self.data = None  # MNIST, loaded by prepare

    def load(self) -> dict:
        import importlib.util

        spec = importlib.util.spec_from_file_location("mlp", self.submission / STUDENT_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules["mlp"] = module
        try:
            spec.loader.exec_module(module)
        except BaseException as error:  # the student's import failed: report it, keep serving
            reply = describe(error)
            reply["error"] = "importing mlp.py failed: " + reply["error"]
            return reply
        self.mlp = module
        return {"ok": True, "functions": sorted(n for n in dir(module) if callable(getattr(module, n, None)))}

    def call(self, fn: str, args: list, correct: list | tuple = ()) -> dict:
        function = getattr(self.mlp, fn, None)
        if not callable(function):
            return {"ok": False, "kind": "missing", "error": f"mlp.py defines no function {fn}"}
        report = changes(args)
        try:
            with substituted(vars(self.mlp), correct):
                result = function(*args)
        except BaseException as error:
            return describe(error)
        return {"ok": True, "result": result, **report()}

    def prepare(self) -> dict:
        """Load MNIST and warm up BLAS ahead of ``train_begin`` (the grader asks while the checks run)."""
        if self.data is None:
            from data.idx import load_mnist

            self.data = load_mnist(self.mnist)
            np.ones((64, 784), np.float32) @ np.ones((784, 128), np.float32)
        return {"ok": True}

    def train_begin(self, params: dict, config: dict) -> dict:
        import train

        self.prepare()
        data = self.data
        self.training = {
            "module": train,
            "config": train.TrainConfig(**config),
            "params": params,
            "velocity": {k: np.zeros_like(v) for k, v in params.items()},
            "data": data.train,
        }
        return {"ok": True}

    def train_steps(self, epoch: int, start: int, stop: int) -> dict:
        t = self.training
        train, config, (X, y) = t["module"], t["config"].at_epoch(epoch), t["data"]
        batches = train.batch_order(len(y), config.batch_size, config.seed, epoch)[start:stop]
        loss_sum = correct = 0.0
        try:
            for idx in batches:
                loss, hits = train.train_step(self.mlp, t["params"], t["velocity"], X[idx], y[idx], config)
                loss_sum += loss * len(idx)
                correct += hits
        except BaseException as error:
            return describe(error)
        return {"ok": True, "params": t["params"], "velocity": t["velocity"],
                "loss_sum": loss_sum, "correct": int(correct)}

    def handle(self, request: dict) -> dict:
        op = request.get("op")
        if op == "call":
            return self.call(request["fn"], request["args"], request.get("correct", ()))
        if op == "prepare":
            return self.prepare()
        if op == "train_begin":
            return self.train_begin(request["params"], request["config"])
        if op == "train_steps":
            return self.train_steps(request["epoch"], request["start"], request["stop"])
        return {"ok": False, "kind": "protocol", "error": f"unknown request {op!r}"}


def reply(channel, message: dict) -> None:
    try:
        protocol.write_message(channel, message)
    except (TypeError, ValueError) as error:  # the student's value cannot be sent as plain data
        protocol.write_message(channel, {"ok": False, "kind": "unsendable", "error": str(error)[:500]})


def main() -> None:
    submission, mnist = Path(sys.argv[1]), Path(sys.argv[2])
    channel_out = os.fdopen(os.dup(1), "wb")  # the protocol keeps the real stdout ...
    channel_in = os.fdopen(os.dup(0), "rb")
    os.dup2(2, 1)  # ... and the student's prints go to stderr
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    try:
        from import_guard import install
    except ImportError:
        pass
    else:
        install()
    worker = Worker(submission, mnist)
    reply(channel_out, worker.load())
    while True:
        try:
            request = protocol.read_message(channel_in)
        except EOFError:
            return
        if request.get("op") == "exit":
            return
        reply(channel_out, worker.handle(request))


if __name__ == "__main__":
    main()
