"""Bounds on what one submission can cost the grader: time per function, time to send a request, bytes per message
and replies held in memory. The wire parser runs in-process; the rest talks to real sandboxed workers."""
from __future__ import annotations

import io
import os
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.grading import scoring
from autograder.grading.remote import QUEUED_REPLIES, RemoteMlp, WorkerError
from autograder.grading.worker import protocol
from submissions import make_submission

sandboxed = pytest.mark.skipif(os.geteuid() != 0, reason="the autograder's sandbox needs root")


# ------------------------------------------------------------------ the wire format (in-process)
def test_round_trip_keeps_values_and_dtypes():
    message = {"ok": True, "result": np.arange(6, dtype=np.float32).reshape(2, 3), "t": (1, 2.5, None),
               "d": {"W1": np.ones(3, np.int64)}, "x": float("nan")}
    back = protocol.read_message(io.BytesIO(protocol.encode_message(message)))
    assert back["result"].dtype == np.float32 and back["result"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["t"] == (1, 2.5, None) and back["d"]["W1"].dtype == np.int64 and np.isnan(back["x"])


def test_a_message_over_the_cap_is_refused_before_it_is_read():
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(5 << 20, np.float32))  # 20 MB: fine alone
    frame = buffer.getvalue()
    header = b'{"body": {"$nd": 0}, "arrays": 2}'
    wire = struct.pack(">I", len(header)) + header + struct.pack(">Q", len(frame)) + frame
    with pytest.raises(protocol.ProtocolError, match="too large"):
        protocol.read_message(io.BytesIO(wire + struct.pack(">Q", len(frame))))  # the second frame is not sent


@pytest.mark.parametrize("payload, error", [
    ({"body": {"$nd": 3}, "arrays": 0}, "out of range"),
    ({"body": {"$float": "1e999"}, "arrays": 0}, "bad float"),
    ({"body": {"$evil": 1}, "arrays": 0}, "unknown tree node"),
    ({"body": [1], "arrays": 0}, "not a dict"),
    ({"body": {}, "arrays": 10**6}, "bad array count"),
])
def test_malformed_headers_are_protocol_errors(payload, error):
    import json

    header = json.dumps(payload).encode()
    with pytest.raises(protocol.ProtocolError, match=error):
        protocol.read_message(io.BytesIO(struct.pack(">I", len(header)) + header))


def test_pickled_and_object_arrays_are_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    blob = buffer.getvalue()
    header = b'{"body": {"$nd": 0}, "arrays": 1}'
    with pytest.raises(protocol.ProtocolError):
        protocol.read_message(io.BytesIO(struct.pack(">I", len(header)) + header + struct.pack(">Q", len(blob)) + blob))


# ------------------------------------------------------------------ real workers
class Worker(RemoteMlp):
    def __enter__(self) -> "Worker":
        super().__enter__()
        assert self.hello.get("ok"), self.hello
        return self


def remote_for(tmp_path: Path, source: str, **kwargs) -> Worker:
    """A started worker serving solution/mlp.py + ``source`` (a folder the sandbox's uid can read)."""
    folder = make_submission(tmp_path / "upload", source)
    for path in (tmp_path, folder, folder / "mlp.py"):
        path.chmod(0o755)
    sc = scoring.load()
    return Worker(folder, sc.sandbox_limits(), sc.limits.call_seconds, **kwargs)


@sandboxed
def test_a_slow_function_spends_its_own_budget_only(tmp_path):
    source = "import time\n_softmax = softmax\ndef softmax(z):\n    time.sleep(0.7)\n    return _softmax(z)\n"
    with remote_for(tmp_path, source, function_seconds=2.0) as remote:
        z = np.zeros((2, 3), np.float32)
        start = time.monotonic()
        with pytest.raises(WorkerError, match="timed out|took more than") as error:
            for _ in range(10):
                remote.call("softmax", z)
        assert error.value.timed_out
        assert time.monotonic() - start < 4.5  # the budget (2 s) plus one call, not 10 x 0.7 s
        with pytest.raises(WorkerError, match="took more than 2 s in all|timed out"):
            remote.call("softmax", z)  # given up: fails at once
        assert remote.call("relu_grad", np.ones(3, np.float32)).tolist() == [1, 1, 1]


@sandboxed
def test_a_worker_that_stops_reading_cannot_block_a_send(tmp_path):
    source = "import os, signal\ndef freeze():\n    os.kill(os.getpid(), signal.SIGSTOP)\n"
    with remote_for(tmp_path, source) as remote:
        remote.send({"op": "call", "fn": "freeze", "args": []})
        time.sleep(0.5)
        start = time.monotonic()
        with pytest.raises(WorkerError, match="stopped reading") as error:
            remote.send({"op": "call", "fn": "softmax", "args": [np.zeros((4096, 256), np.float32)]}, timeout=1.0)
        assert error.value.timed_out and time.monotonic() - start < 3


def resident_mb() -> float:
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


@sandboxed
def test_a_flood_of_replies_is_held_in_bounded_memory(tmp_path):
    source = '''
def flood():
    import gc, io
    from worker import protocol
    channel = next(o for o in gc.get_objects() if isinstance(o, io.BufferedWriter) and o.fileno() > 2)
    big = np.ones(30 << 18, np.float32)  # 30 MB
    for _ in range(40):
        protocol.write_message(channel, {"ok": True, "result": big})
'''
    with remote_for(tmp_path, source) as remote:
        before = resident_mb()
        remote.call("flood")
        time.sleep(3)  # the reader thread fills its queue, then the worker blocks on the pipe
        held = resident_mb() - before
        assert remote.replies.qsize() <= QUEUED_REPLIES
        assert held < 400, f"the grader holds {held:.0f} MB of a 1.2 GB flood"


@sandboxed
def test_while_the_checks_run_the_grader_keeps_a_bounded_number_of_training_replies(tmp_path, monkeypatch):
    """Replies are kept unaudited until the checks say how to judge them; slow checks (a loaded machine) must not
    let the kept states (~0.9 MB each) grow with the whole run: after KEPT of them the grader waits for the checks.
    The run still ends accepted and complete."""
    import threading
    from concurrent.futures import Future

    from autograder.grading import training
    from data.idx import load_mnist
    from solution.train import TrainConfig

    monkeypatch.setattr(training, "KEPT", 3)
    checks: Future = Future()
    before_checks: list[int] = []
    with remote_for(tmp_path, "") as remote:
        receive = remote.receive

        def counting(*args, **kwargs):
            if not checks.done():
                before_checks.append(1)
            return receive(*args, **kwargs)

        remote.receive = counting
        threading.Timer(4, checks.set_result, (True,)).start()  # checks that take 4 s
        outcome = training.run(remote, load_mnist(), TrainConfig(epochs=1), 600, checks, chunk_seconds=120,
                               chunk_mean=60)  # generous budgets: make test runs this beside other gradings
    assert len(before_checks) <= 1 + training.KEPT, before_checks  # train_begin's reply, then KEPT states at most
    assert outcome.error is None and outcome.verdict == "ok", (outcome.verdict, outcome.error, remote.output())
    assert len(outcome.history.epochs) == 1


def test_a_reply_the_grader_cannot_hold_is_reported_not_a_silent_stall():
    """A MemoryError while reading a reply (the grader's own RLIMIT_AS) reaches the waiting call at once; a
    reader thread that died of it would leave the call to time out after call_seconds."""
    import queue
    import threading

    class Exhausted:
        def read(self, n: int) -> bytes:
            raise MemoryError

    replies: queue.Queue = queue.Queue(QUEUED_REPLIES)
    RemoteMlp._read(Exhausted(), replies, threading.Event())
    assert isinstance(replies.get_nowait(), MemoryError)


def test_a_worker_error_inside_a_flaky_hypothesis_report_is_what_the_check_is_judged_by():
    """A worker that timed out in one hypothesis example and was 'not retried' in its replay: hypothesis groups both
    as a flaky failure; the check records the timeout, without the group's text (which names grader files)."""
    from hypothesis.errors import FlakyFailure

    from autograder.grading.checks import failure_message, judged_error

    first = WorkerError("timed out after 10 s in softmax", timed_out=True)
    group = FlakyFailure("Inconsistent results from replaying a test case!",
                         [first, WorkerError("timed out after 10 s in softmax (in an earlier call; not retried)", True)])
    assert judged_error(group) is first and judged_error(first) is first and judged_error(None) is None
    assert failure_message(judged_error(group), hidden=False) == "timed out after 10 s in softmax"
