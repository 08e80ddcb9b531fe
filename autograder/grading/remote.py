"""The grader's handle on a student's ``mlp.py`` running in a sandboxed worker.

``RemoteMlp`` starts the worker (``worker/serve.py``) inside ``sandbox.Sandbox`` with a read-only kit folder
holding only public code (the worker, the given training loop, the data reader), sends requests and reads
replies with per-request timeouts. ``MlpProxy`` makes it look like a module, so the same pytest tests run
against it as against an imported file: results come back as plain ndarrays, in-place changes to the caller's
arrays and dicts are mirrored, and student errors surface as exceptions in the grader's process.
"""
from __future__ import annotations

import os
import queue
import select
import stat
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from autograder.grading.sandbox import Limits, Sandbox, describe
from autograder.grading.worker import protocol
from data.fetch import mnist_dir

from autograder import ROOT
KIT_FILES = {  # what the worker may see of the kit: public code only, never solution/mlp.py or tests_hidden/
    "worker/__init__.py": ROOT / "autograder/grading/worker/__init__.py",
    "worker/protocol.py": ROOT / "autograder/grading/worker/protocol.py",
    "worker/serve.py": ROOT / "autograder/grading/worker/serve.py",
    "import_guard.py": ROOT / "autograder/grading/import_guard.py",
    "substitutes.py": ROOT / "tests_public/substitutes.py",
    "train.py": ROOT / "assignment/train.py",
    "data/__init__.py": ROOT / "data/__init__.py",
    "data/fetch.py": ROOT / "data/fetch.py",
    "data/idx.py": ROOT / "data/idx.py",
}
SECRETS = ("solution", "tests_hidden", "autograder")  # always closed, even when the kit is installed elsewhere
MAX_RESTARTS = 20  # fresh workers after crashes or timeouts, per grading
CRASHES_PER_FUNCTION = 2  # after this many worker deaths in one function, its later calls fail at once
QUEUED_REPLIES = 4  # replies read ahead of the grader; beyond that the worker blocks on its pipe, the grader's
                    # memory stays within QUEUED_REPLIES x protocol.MAX_MESSAGE_BYTES


class WorkerError(Exception):
    """The worker could not answer: it timed out, died or sent garbage. ``timed_out`` tells which."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class StudentError(Exception):
    """The student's function raised, returned something unsendable, or is missing."""


def _close(path: Path) -> bool:
    """Take group and others' permissions off ``path`` (never through a symlink); whether it changed."""
    mode = stat.S_IMODE(path.lstat().st_mode)
    if stat.S_ISLNK(path.lstat().st_mode) or not mode & 0o077:
        return False
    path.chmod(mode & 0o700)
    return True


def close_secrets(root: Path = ROOT, keep: tuple[Path, ...] = ()) -> list[str]:
    """Close the project at ``root`` to others, but for what a worker needs; return what changed (relative).

    Needed at the ``unprivileged`` level, where the worker sees every file that others may read (bubblewrap
    shows it none of them): every entry of ``root`` (``.git``'s packs, ``dist/``'s zip and notebook, staff
    outputs, ``solution/``, ``tests_hidden/``, the grader...) loses its group and others' permissions, except
    the entries on the way to the interpreter, the virtualenv, MNIST and ``keep``, into which it recurses, and
    symlinks (whose targets are not the project's). The worker runs from a copy of the public files and of the
    submission (``build_kit``), so nothing else of the project is its. When the interpreter or MNIST is an
    ancestor of ``root`` (the kit installed into site-packages), only ``SECRETS`` are closed.
    """
    root = root.resolve()
    needed = {path for base in (sys.prefix, sys.base_prefix, Path(sys.executable).parent, mnist_dir(), *keep)
              for path in (Path(os.path.abspath(base)), Path(base).resolve())}
    if any(path == root or path in root.parents for path in needed):
        return [name for name in SECRETS if (root / name).exists() and _close(root / name)]
    closed = []

    def walk(folder: Path) -> None:
        for entry in sorted(folder.iterdir()):
            if entry in needed:
                continue
            if any(entry in path.parents for path in needed):
                walk(entry)
            elif _close(entry):
                closed.append(str(entry.relative_to(root)))

    walk(root)
    return closed


def build_kit(folder: Path) -> Path:
    """Copy the public runtime files the worker needs into ``folder`` and return it."""
    for relative, source in KIT_FILES.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return folder


class RemoteMlp:
    """One sandboxed worker serving one submission.

    ``call`` restarts a dead worker (after a crash or a timeout) so one bad function does not sink the others;
    a function that timed out, or killed the worker twice, fails its later calls at once with the same error
    instead of costing more timeouts and restarts. ``request`` (used by the training run) never restarts: a
    training run lives in one worker.
    """

    def __init__(self, submission: Path, limits: Limits, call_seconds: float = 20.0, level: str = "auto",
                 mnist: Path | None = None, function_seconds: float = float("inf"), start: bool = True) -> None:
        self.submission, self.limits, self.call_seconds, self.level = submission.resolve(), limits, call_seconds, level
        self.function_seconds = function_seconds  # wall-clock budget for all calls of one function
        self.spent: dict[str, float] = {}
        self.mnist = (mnist or mnist_dir()).resolve()
        self._tmp = tempfile.TemporaryDirectory(prefix="mlp-kit-")  # 0700; the sandbox lends it to its uid's group
        self.kit = build_kit(Path(self._tmp.name) / "kit")
        self.submission = Path(shutil.copytree(self.submission, Path(self._tmp.name) / "submission"))
        self.sandbox: Sandbox | None = None
        self.replies: queue.Queue = queue.Queue()
        self._reading = threading.Event()  # set: the current reader thread stops
        self.dead: WorkerError | None = None
        self.restarts = 0
        self.given_up: dict[str, WorkerError] = {}  # function -> the timeout or crash that ends its calls
        self.crashes: dict[str, int] = {}
        self.hello: dict = {}
        self.start_on_enter = start  # False: the caller calls start() itself (e.g. in a thread, ahead of use)

    # ------------------------------------------------------------ lifecycle
    def start(self) -> dict:
        """Start the worker and return its first message (the import of mlp.py: ok, or the error)."""
        self.launch()
        return self.await_hello()

    def launch(self) -> None:
        """Start the worker without waiting for it: requests sent now are answered once mlp.py is imported."""
        argv = [sys.executable, "-I", "-u", str(self.kit / "worker/serve.py"), str(self.submission), str(self.mnist)]
        self.sandbox = Sandbox(argv, read_only=[self.kit, self.submission, self.mnist], limits=self.limits,
                               level=self.level, lend=Path(self._tmp.name))
        if self.sandbox.level == "unprivileged":
            close_secrets()
        self.sandbox.start()
        self.level = self.sandbox.level
        self.replies = queue.Queue(QUEUED_REPLIES)
        self.dead = None
        self._reading.set()  # the previous worker's reader, if any, stops
        self._reading = threading.Event()
        threading.Thread(target=self._read, args=(self.sandbox.stdout, self.replies, self._reading),
                         daemon=True).start()

    def await_hello(self) -> dict:
        """The worker's first message (the import of mlp.py: ok, or the error), also kept as ``hello``."""
        try:
            self.hello = self.receive(self.call_seconds, "importing mlp.py")
        except WorkerError as error:
            self.hello = {"ok": False, "kind": "import", "error": f"importing mlp.py failed: {error}"}
        return self.hello

    @staticmethod
    def _read(stream, replies: queue.Queue, stop: threading.Event) -> None:
        """Move the worker's messages into ``replies`` (bounded) until the pipe ends or ``stop`` is set."""
        while not stop.is_set():
            try:
                item = protocol.read_message(stream)
            except (EOFError, OSError, ValueError, protocol.ProtocolError, MemoryError) as error:
                item = error  # MemoryError: the grader's own limit (RLIMIT_AS), said at once, never a silent stall
            while not stop.is_set():
                try:
                    replies.put(item, timeout=0.2)
                    break
                except queue.Full:
                    continue
            if isinstance(item, Exception):
                return

    def close(self) -> None:
        """Kill the worker and everything it started, then remove the kit copy."""
        self._reading.set()
        if self.sandbox is not None:
            self.sandbox.close()
        self._tmp.cleanup()

    def output(self) -> str:
        """What the student's code printed (truncated)."""
        return self.sandbox.output() if self.sandbox else ""

    def __enter__(self) -> "RemoteMlp":
        if not self.start_on_enter:
            return self
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ messages
    def send(self, message: dict, timeout: float | None = None) -> None:
        """Send a request within ``timeout`` (default: call_seconds); raise WorkerError if the worker is dead or
        stops reading its pipe."""
        if self.dead is not None:
            raise self.dead
        data = memoryview(protocol.encode_message(message))
        fd = self.sandbox.stdin.fileno()
        deadline = time.monotonic() + (timeout or self.call_seconds)
        try:
            os.set_blocking(fd, False)
            while data:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([], [fd], [], remaining)[1]:
                    self.sandbox.kill()
                    self._fail(f"timed out after {timeout or self.call_seconds:g} s sending a request "
                               f"(the worker stopped reading)", timed_out=True)
                try:
                    data = data[os.write(fd, data):]
                except BlockingIOError:
                    continue
        except (BrokenPipeError, OSError, ValueError):
            self._fail(f"the worker died ({self._exit()})")

    def receive(self, timeout: float, what: str) -> dict:
        """Wait for the next reply; on timeout kill the sandbox and raise WorkerError(timed_out=True)."""
        if self.dead is not None:
            raise self.dead
        try:
            reply = self.replies.get(timeout=timeout)
        except queue.Empty:
            self.sandbox.kill()
            self._fail(f"timed out after {timeout:g} s in {what}", timed_out=True)
        if isinstance(reply, protocol.ProtocolError):
            self.sandbox.kill()
            self._fail(f"the worker sent a malformed reply in {what} ({reply})")
        if isinstance(reply, MemoryError):
            self.sandbox.kill()
            self._fail(f"the grader ran out of memory reading the worker's reply in {what} (MemoryError): regrade "
                       f"with more memory")
        if isinstance(reply, Exception):
            self._fail(f"the worker died in {what}: {self._exit()}")
        return reply

    def ready(self) -> bool:
        """A reply (or the worker's end) is waiting: ``receive`` returns at once."""
        return not self.replies.empty()

    def request(self, message: dict, timeout: float | None = None, what: str = "") -> dict:
        self.send(message, timeout)
        return self.receive(timeout or self.call_seconds, what or message.get("fn") or message["op"])

    def _exit(self) -> str:
        code = self.sandbox.wait(timeout=2)
        if code is None:
            self.sandbox.kill()
            code = self.sandbox.wait(timeout=2)
        return describe(code)

    def _fail(self, message: str, timed_out: bool = False) -> None:
        self.dead = WorkerError(message, timed_out)
        raise self.dead

    # ------------------------------------------------------------ calls
    def call(self, fn: str, *args: Any, correct: tuple[str, ...] = ()) -> Any:
        """Run mlp.<fn>(*args) in the worker; mirror in-place changes into ``args``; return the result.

        ``correct``: module functions the worker replaces by the kit's correct versions (tests_public/substitutes.py)
        during this call, e.g. ("relu_grad",) while backward is checked.
        """
        budget = self.function_seconds - self.spent.get(fn, 0.0)
        if budget <= 0 and fn not in self.given_up:
            self.given_up[fn] = WorkerError(f"{fn}'s calls took more than {self.function_seconds:g} s in all",
                                            timed_out=True)
        if fn in self.given_up:
            error = self.given_up[fn]
            raise WorkerError(f"{error} (in an earlier call; not retried)", timed_out=error.timed_out)
        if self.dead is not None and self.restarts < MAX_RESTARTS:
            self.restarts += 1
            self.sandbox.close()
            if not self.start().get("ok"):
                self._fail(str(self.hello.get("error")))
        started = time.monotonic()
        try:
            reply = self.request({"op": "call", "fn": fn, "args": list(args), "correct": list(correct)},
                                 min(self.call_seconds, budget), fn)
        except WorkerError as error:
            if error.timed_out and budget < self.call_seconds:
                error = WorkerError(f"{fn}'s calls took more than {self.function_seconds:g} s in all", True)
            self.crashes[fn] = self.crashes.get(fn, 0) + 1
            if error.timed_out or self.crashes[fn] >= CRASHES_PER_FUNCTION:
                self.given_up[fn] = error
            raise error
        finally:
            self.spent[fn] = self.spent.get(fn, 0.0) + time.monotonic() - started
        if not reply.get("ok"):
            error = str(reply.get("error", "unknown error"))
            if reply.get("kind") == "not_implemented":
                raise NotImplementedError(error)
            raise StudentError(f"{fn} failed: {error}")
        mirror(list(args), reply.get("mutations", []), reply.get("rebinds", []))
        return reply.get("result")


def _resolve(root: Any, path: list) -> Any:
    for step in path:
        root = root[step]
    return root


def mirror(args: list, mutations: list, rebinds: list) -> None:
    """Apply the worker's report of in-place changes to the caller's own argument objects."""
    import numpy as np

    for path, new in mutations:
        try:
            target = _resolve(args, path)
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(target, np.ndarray) and isinstance(new, np.ndarray) and target.shape == new.shape:
            np.copyto(target, new, casting="unsafe")
    for path, new in rebinds:
        try:
            container = _resolve(args, path[:-1])
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(container, dict):
            if new is None:
                container.pop(path[-1], None)
            else:
                container[path[-1]] = new


class MlpProxy:
    """Looks like the student's module: ``proxy.softmax(x)`` runs in the sandbox."""

    def __init__(self, remote: RemoteMlp) -> None:
        self._remote = remote

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args: self._remote.call(name, *args)

    def call_with_correct(self, correct: tuple[str, ...], name: str, *args: Any) -> Any:
        """``mlp.<name>(*args)`` with the functions ``correct`` replaced by the kit's correct versions meanwhile
        (the hook tests_public's ``invoke`` uses for objects that are not modules)."""
        return self._remote.call(name, *args, correct=tuple(correct))
