"""Run an untrusted Python worker isolated, with resource limits, and kill it completely.

The grader runs as root and starts each student worker through :class:`Sandbox`::

    with Sandbox([sys.executable, "-I", str(worker)], read_only=[submission, mnist, worker.parent],
                 limits=Limits(wall_seconds=120)) as box:        # __enter__ calls start()
        box.stdin.write(request); box.stdin.flush()               # message protocol over the pipes
        reply = box.stdout.readline()
        status = box.wait(timeout=60)                             # None: still running
    results["sandbox"] = {"level": box.level, "notes": box.notes, "exit": box.describe()}
    log = box.output()                                            # the worker's stderr, bounded

Pass ``-I`` (isolated mode) in ``argv``: it ignores ``PYTHON*`` variables, the user site directory and
the current directory on ``sys.path``, so nothing in the submission shadows the worker's imports.
The worker should also move its protocol off fd 1 before importing student code (``proto =
os.fdopen(os.dup(1), "wb"); os.dup2(2, 1)``) so that student ``print`` calls end up in the captured stderr
rather than inside the protocol stream. The caller must read ``stdout`` with bounded message sizes and
timeouts (``wait``), since a hostile worker controls what comes down that pipe.

Levels (``Sandbox.level``, written by the grader into results.json; ``Sandbox.notes`` says why):

``bubblewrap``
    ``bwrap`` runs as root and builds a fresh root: new pid, ipc, uts, net (no network at all) and
    cgroup namespaces, ``--new-session``, ``--die-with-parent``, a private ``/proc``, a minimal ``/dev``,
    a size-limited tmpfs on ``/tmp`` (``HOME`` and the default cwd), and read-only binds of only ``/usr``
    (+ the ``/bin``, ``/lib``... symlinks or dirs), ``/etc/{ld.so.cache,localtime,fonts}``, the
    interpreter install (``sys.base_prefix``), the venv (``sys.prefix``) and the caller's ``read_only``
    paths. Nothing else of the host exists inside: not the grader, the hidden tests or the solution.
    Each bound path keeps its own mode (a 0700 ``read_only`` directory stays unreadable to the worker);
    the directories leading to it are recreated 0755. ``cwd`` (default /tmp) must exist inside, and so
    must ``argv[0]``. ``--unshare-all`` is not used: run by root it adds a user namespace that maps the
    sandbox's uid to host root (and then the per-uid process limit would count every root process).
    Inside, ``setpriv`` drops to a dedicated uid/gid with no supplementary groups, no capabilities
    (bounding set emptied) and ``no_new_privs`` (setuid binaries do not elevate). Killing the
    namespace's init (bwrap's pid 1) kills every process of the namespace.
``unprivileged``
    The fallback where bwrap cannot run (e.g. Docker's default seccomp profile): the same ``setpriv``
    drop to a dedicated uid, in a new session, inside ``unshare -n`` when that works (else there is no
    network isolation, recorded in ``notes`` and ``network_isolated``). There is no filesystem
    isolation: the worker sees every file that "others" may read, so the grader must keep its secrets
    (hidden tests, solution, results) in directories of mode 0700, and the interpreter, its stdlib
    and site-packages, the ``read_only`` paths and their parent directories must be readable by others
    (true for Gradescope's /usr python, false for a pyenv python under a 0700 /root:
    ``start()`` checks this as the sandbox uid and raises :class:`SandboxError` naming the blocking
    directory). ``read_only`` paths that uid could write to are refused. ``HOME``/``TMPDIR`` and the
    default cwd are a fresh 0700 directory owned by the uid, deleted by ``kill()``; files it puts in
    other world-writable places (/tmp, /dev/shm) are not cleaned up.

Both levels need root plus util-linux's ``prlimit`` and ``setpriv`` (``unshare`` for the network).
The worker runs under ``prlimit`` limits (:class:`Limits`): ``RLIMIT_CPU`` (SIGXCPU at the soft limit,
SIGKILL one second later), ``RLIMIT_AS``, ``RLIMIT_NPROC`` (counted per uid, which is why each live
sandbox leases its own uid from 61000-61999, with a lock file under /run), ``RLIMIT_FSIZE`` and
``RLIMIT_CORE=0``, plus a watchdog thread that kills the sandbox ``wall_seconds`` after ``start()``.
The environment is clean (``PATH``, ``HOME``, ``TMPDIR``, ``LANG``, one BLAS/OpenMP thread, at most two
malloc arenas, plus the ``env`` argument) and no file descriptor other than the three pipes is
inherited.

:meth:`Sandbox.kill` kills the namespace init (bubblewrap), the direct child, and then every process
of the sandbox's uid: a forked helper drops to that uid and calls ``kill(-1, SIGKILL)`` (one pass is
atomic against fork, so fork bombs cannot outrun it) until /proc lists none, which also catches
double-forked ``setsid`` grandchildren. It then gives the uid back: call ``kill()`` or ``close()`` (or use
``with``) for every sandbox, or the uid stays leased until the wall-clock watchdog fires. Leasing a uid
first sweeps it the same way, so leftovers of a crashed grader die too.

Caveats: ``--die-with-parent`` fires when the *thread* that called ``start()`` exits, so start sandboxes
from a thread that outlives them. In a container whose pid 1 does not reap orphans, zombies of killed
fallback workers keep counting against that uid's process limit. Unprivileged users may create user
namespaces on this kernel, and nothing (no seccomp filter) stops the worker from doing so; it gains no
host privilege by it, and its processes still count and die as its uid. The fallback shares the host's
/proc (the worker can list other processes and their command lines) and its disk (only per-file size
is limited).
"""
from __future__ import annotations

import fcntl
import functools
import grp
import json
import os
import pwd
import random
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LEVELS = ("bubblewrap", "unprivileged")
UIDS = range(61000, 62000)
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")  # usrmerge symlinks or real dirs
ETC = ("/etc/ld.so.cache", "/etc/localtime", "/etc/fonts")  # bound when present
CHUNK = 1 << 16


class SandboxError(RuntimeError):
    """The sandbox cannot be set up as asked (the message says why)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox.

    ``memory_bytes`` caps the address space (``RLIMIT_AS``), not resident memory. 2 GiB is about 4x what
    the reference needs (a training run with NumPy, one-thread OpenBLAS and matplotlib peaks at 400-530 MB
    of address space, ``import numpy`` alone at ~100 MB): room for a student's float64 copies of the
    188 MB float32 training set, while two concurrent sandboxes on a small grading box cannot exhaust
    its memory. It counts reservations too: every extra thread costs an 8 MB stack plus a malloc arena
    (capped by ``MALLOC_ARENA_MAX=2``), which is why BLAS runs one thread. An allocation over the limit
    raises ``MemoryError`` in Python code; native code may instead die of SIGSEGV/SIGABRT.
    ``tmp_bytes`` sizes the private /tmp tmpfs (bubblewrap level), which ``RLIMIT_AS`` does not see.
    """

    wall_seconds: float = 120
    cpu_seconds: int = 120
    memory_bytes: int = 2 << 30
    processes: int = 64
    file_bytes: int = 16 << 20
    output_bytes: int = 64 << 10
    tmp_bytes: int = 64 << 20

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value > 0:
                raise ValueError(f"Limits.{name} must be positive, not {value!r}")

    def prlimit(self) -> list[str]:
        """The ``prlimit`` options that set these limits (soft:hard), each capped at the grader's own hard
        limit (a grader started under e.g. ``prlimit --as=768M`` cannot raise its workers above that)."""

        def capped(kind: int, value: int) -> int:
            hard = resource.getrlimit(kind)[1]
            return value if hard == resource.RLIM_INFINITY else min(value, hard)

        cpu = capped(resource.RLIMIT_CPU, int(self.cpu_seconds) + 1)
        memory = capped(resource.RLIMIT_AS, self.memory_bytes)
        nproc = capped(resource.RLIMIT_NPROC, self.processes)
        fsize = capped(resource.RLIMIT_FSIZE, self.file_bytes)
        return [f"--cpu={cpu - 1}:{cpu}", f"--as={memory}:{memory}", f"--nproc={nproc}:{nproc}",
                f"--fsize={fsize}:{fsize}", "--core=0:0"]


HINTS = {
    signal.SIGKILL: "memory or time limit?",
    signal.SIGXCPU: "CPU time limit",
    signal.SIGXFSZ: "file size limit",
    signal.SIGSEGV: "crash, perhaps out of memory or stack",
    signal.SIGBUS: "crash",
    signal.SIGABRT: "aborted, perhaps out of memory",
}


def describe(returncode: int | None) -> str:
    """Say how a process ended: ``-N`` is death by signal N (subprocess's convention)."""
    if returncode is None:
        return "still running"
    if returncode >= 0:
        return f"exited with status {returncode}"
    try:
        sig = signal.Signals(-returncode)
    except ValueError:
        return f"killed by signal {-returncode}"
    hint = HINTS.get(sig)
    return f"killed by {sig.name}" + (f" ({hint})" if hint else "")


# ----------------------------------------------------------------------------------------- probes

def _tool(name: str) -> str:
    path = shutil.which(name, path=SYSTEM_PATH + ":/usr/sbin:/sbin")
    if not path:
        raise SandboxError(f"{name} (util-linux/bubblewrap) is not installed")
    return path


def _requirements() -> None:
    if os.geteuid() != 0:
        raise SandboxError("the sandbox must be started by root (it drops the worker to a dedicated uid)")
    _tool("prlimit")
    _tool("setpriv")


@functools.cache
def _probe_bubblewrap() -> tuple[bool, str]:
    try:
        _tool("bwrap")
        true = _tool("true")
        with Sandbox([true], read_only=[], limits=Limits(wall_seconds=20), level="bubblewrap") as box:
            code = box.wait(20)
            if code == 0:
                return True, "bubblewrap works"
            return False, f"bubblewrap probe {box.describe()}: {box.output().strip()[-500:]}"
    except (SandboxError, OSError) as error:
        return False, str(error)


def probe_bubblewrap() -> bool:
    """Whether the bubblewrap level works here (run once per process, then cached)."""
    return _probe_bubblewrap()[0]


@functools.cache
def _probe_netns() -> tuple[bool, str]:
    try:
        done = subprocess.run([_tool("unshare"), "-n", "--", _tool("true")], capture_output=True, timeout=20)
    except (SandboxError, OSError, subprocess.TimeoutExpired) as error:
        return False, str(error)
    return done.returncode == 0, done.stderr.decode(errors="replace").strip()


# -------------------------------------------------------------------------------- uids and killing

def uid_processes(uid: int) -> list[int]:
    """Pids of the live (non-zombie) processes whose real uid is ``uid``."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith(("Z", "X")):
            pids.append(int(entry.name))
    return pids


def _as_uid(uid: int, action) -> int:
    """Run ``action()`` (plain syscalls only) in a forked child with uid/gid ``uid``; its exit status."""
    with warnings.catch_warnings():  # 3.12+ warns about fork() with threads; the child only makes syscalls
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        code = 255
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            code = action()
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _kill_all() -> int:
    try:
        os.kill(-1, signal.SIGKILL)  # every process of this uid but the caller; atomic against fork
    except ProcessLookupError:
        pass
    return 0


def kill_uid(uid: int, timeout: float = 10) -> bool:
    """SIGKILL every process of ``uid`` until none is left; False if some survive ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        _as_uid(uid, _kill_all)
        if not uid_processes(uid):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def _lock_dir() -> Path:
    for base in ("/run", tempfile.gettempdir()):
        if os.access(base, os.W_OK):
            path = Path(base) / "mnist-mlp-kit-sandbox"
            path.mkdir(mode=0o700, exist_ok=True)
            info = path.lstat()
            if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077:
                return path
    raise SandboxError("no safe directory for the uid lock files (/run and the temp dir are unusable)")


def _unused_id(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return False
    except KeyError:
        pass
    try:
        grp.getgrgid(uid)
        return False
    except KeyError:
        return True


def _lease_uid() -> tuple[int, int]:
    """A uid of UIDS no other live sandbox uses and no process runs as: (uid, fd of its held lock)."""
    folder = _lock_dir()
    start = random.randrange(len(UIDS))
    for uid in (UIDS[(start + i) % len(UIDS)] for i in range(len(UIDS))):
        if not _unused_id(uid):
            continue
        fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if kill_uid(uid, timeout=2):  # leftovers of a crashed grader
            return uid, fd
        os.close(fd)
    raise SandboxError(f"no free sandbox uid in {UIDS.start}-{UIDS.stop - 1}")


def _blocker(path: Path) -> str:
    """The first directory on the way to ``path`` that others cannot search, if any (for messages)."""
    for parent in reversed(path.parents):
        try:
            mode = parent.stat().st_mode
        except OSError:
            break
        if not mode & stat.S_IXOTH:
            return f" ({parent} is mode {stat.S_IMODE(mode):04o})"
    return ""


def _inaccessible(uid: int, checks: list[tuple[Path, int, bool]]) -> list[str]:
    """Problems with (path, access mode, must be allowed) checks made as ``uid``."""
    def run() -> int:
        for index, (path, mode, allowed) in enumerate(checks):
            if os.access(path, mode) != allowed:
                return index + 1
        return 0

    problems = []
    while checks and (failed := _as_uid(uid, run)):
        if failed > len(checks):
            raise SandboxError(f"could not check paths as uid {uid} (status {failed})")
        path, mode, allowed = checks[failed - 1]
        what = {os.R_OK: "readable", os.X_OK: "executable", os.R_OK | os.X_OK: "readable",
                os.W_OK: "writable"}[mode]
        problems.append(f"{path} is {'not ' if allowed else ''}{what} by uid {uid}"
                        + (_blocker(path.resolve()) if allowed else ""))
        checks = checks[failed:]
    return problems


# ---------------------------------------------------------------------------------------- sandbox

class Sandbox:
    """One isolated, resource-limited worker process tree; a context manager (``start`` .. ``close``).

    After ``start()``: ``stdin`` (binary, buffered: flush after writing) and ``stdout`` (binary) are the
    protocol pipes; ``output()`` is the worker's stderr; ``level``, ``uid``, ``network_isolated`` and
    ``notes`` describe the isolation; ``timed_out`` is set when the wall-clock watchdog fired.
    """

    def __init__(self, argv: list[str], *, read_only: list[Path], limits: Limits = Limits(),
                 level: str = "auto", env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        if level not in ("auto", *LEVELS):
            raise ValueError(f"level must be 'auto' or one of {LEVELS}, not {level!r}")
        if not argv:
            raise ValueError("argv is empty")
        self.argv = [str(arg) for arg in argv]
        self.read_only = [Path(path).absolute() for path in read_only]
        self.limits, self.env, self.cwd = limits, dict(env or {}), cwd and Path(cwd).absolute()
        self.notes: list[str] = []
        if level == "auto":
            works, why = _probe_bubblewrap()
            level = "bubblewrap" if works else "unprivileged"
            if not works:
                self.notes.append(f"bubblewrap unavailable: {why}")
        self.level = level
        self.network_isolated: bool | None = None
        self.uid: int | None = None
        self.stdin: IO[bytes] | None = None
        self.stdout: IO[bytes] | None = None
        self.timed_out = self.killed = False
        self._proc: subprocess.Popen | None = None
        self._lease_fd: int | None = None
        self._pidfd: int | None = None
        self._scratch: Path | None = None
        self._watchdog: threading.Timer | None = None
        self._drainer: threading.Thread | None = None
        self._lock = threading.RLock()
        self._head, self._tail, self._total = bytearray(), bytearray(), 0
        self._out_lock = threading.Lock()

    # -- lifecycle

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Spawn the worker (once); raises SandboxError if this level cannot run it."""
        if self._proc is not None or self._lease_fd is not None:
            raise SandboxError("this sandbox was already started")
        _requirements()
        missing = [str(path) for path in self.read_only if not path.exists()]
        if missing:
            raise SandboxError(f"read_only paths do not exist: {', '.join(missing)}")
        self.uid, self._lease_fd = _lease_uid()
        try:
            self._spawn()
        except BaseException:
            self.close()
            raise
        self._watchdog = threading.Timer(self.limits.wall_seconds, self._wall_expired)
        self._watchdog.daemon = True
        self._watchdog.start()

    def _spawn(self) -> None:
        env = {"PATH": SYSTEM_PATH, "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2", "PYTHONDONTWRITEBYTECODE": "1"}
        setpriv = [_tool("setpriv"), f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                   "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        prlimit = [_tool("prlimit"), *self.limits.prlimit(), "--"]
        pass_fds: tuple[int, ...] = ()
        info_read = None
        if self.level == "bubblewrap":
            env.update(HOME="/tmp", TMPDIR="/tmp")
            info_read, info_write = os.pipe()
            pass_fds = (info_write,)
            command = [*prlimit, *self._bwrap(info_write), *setpriv, *self.argv]
            cwd = "/"
            self.network_isolated = True
        else:
            self._scratch = Path(tempfile.mkdtemp(prefix=f"sandbox-{self.uid}-"))
            os.chown(self._scratch, self.uid, self.uid)
            env.update(HOME=str(self._scratch), TMPDIR=str(self._scratch))
            cwd = str(self.cwd or self._scratch)
            self._check_fallback_paths(Path(cwd))
            isolated, why = _probe_netns()
            self.network_isolated = isolated
            if not isolated:
                self.notes.append(f"no network isolation: unshare -n failed: {why}")
            command = [*prlimit, *([_tool("unshare"), "-n", "--"] if isolated else []), *setpriv, *self.argv]
        env.update(self.env)
        try:
            self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, env=env, cwd=cwd, close_fds=True,
                                          pass_fds=pass_fds, start_new_session=True)
        finally:
            if pass_fds:
                os.close(pass_fds[0])
        self.stdin, self.stdout = self._proc.stdin, self._proc.stdout
        self._drainer = threading.Thread(target=self._drain, name=f"sandbox-{self.uid}-stderr", daemon=True)
        self._drainer.start()
        if info_read is not None:
            self._pidfd = self._namespace_init(info_read)

    def _bwrap(self, info_fd: int) -> list[str]:
        """bwrap's options: namespaces, a fresh root of read-only binds, dropping to setpriv's caps."""
        args = [_tool("bwrap"), "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try", "--hostname", "sandbox", "--die-with-parent", "--new-session",
                "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                "--cap-add", "CAP_SETPCAP", "--info-fd", str(info_fd),
                "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(self.limits.tmp_bytes),
                "--tmpfs", "/tmp"]
        made = {Path("/"), Path("/proc"), Path("/dev"), Path("/tmp")}
        binds: list[Path] = []

        def bind(path: Path, try_: bool = False) -> None:
            if any(path == b or b in path.parents for b in binds):
                return
            for parent in reversed(path.parents):
                if parent not in made and not any(parent == b or b in parent.parents for b in binds):
                    args.extend(["--perms", "0755", "--dir", str(parent)])  # bwrap would make them 0700
                    made.add(parent)
            args.extend(["--ro-bind-try" if try_ else "--ro-bind", str(path), str(path)])
            binds.append(path)

        bind(Path("/usr"))
        for link in map(Path, LINKS):
            if link.is_symlink():
                args.extend(["--symlink", os.readlink(link), str(link)])
                made.add(link)
            elif link.is_dir():
                bind(link)
        for path in ETC:
            bind(Path(path), try_=True)
        for prefix in {sys.base_prefix, sys.prefix}:
            bind(Path(prefix))
        for path in sorted(self.read_only, key=lambda p: len(p.parts)):
            bind(path)
        args.extend(["--chdir", str(self.cwd or "/tmp"), "--"])
        return args

    def _check_fallback_paths(self, cwd: Path) -> None:
        """At the unprivileged level the uid must be able to run argv and read (not write) read_only."""
        executable = Path(shutil.which(self.argv[0], path=SYSTEM_PATH) or self.argv[0])
        checks = [(executable, os.X_OK, True), (cwd, os.R_OK | os.X_OK, True)]
        if executable.resolve() == Path(sys.executable).resolve():
            checks += [(Path(p), os.R_OK | os.X_OK, True) for p in {sys.base_prefix, sys.prefix}]
        for path in self.read_only:
            checks += [(path, os.R_OK | (os.X_OK if path.is_dir() else 0), True), (path, os.W_OK, False)]
        problems = _inaccessible(self.uid, checks)
        if problems:
            raise SandboxError("the unprivileged level cannot run this worker: " + "; ".join(problems))

    def _namespace_init(self, info_read: int) -> int | None:
        """A pidfd of bwrap's pid 1 (killing it kills the whole pid namespace), from --info-fd."""
        data = b""
        try:
            deadline = time.monotonic() + 10
            while (left := deadline - time.monotonic()) > 0 and select.select([info_read], [], [], left)[0]:
                chunk = os.read(info_read, CHUNK)
                if not chunk:
                    break
                data += chunk
                try:
                    pid = json.loads(data)["child-pid"]
                except (ValueError, KeyError):
                    continue
                pidfd = os.pidfd_open(pid)
                with open(f"/proc/{pid}/stat") as f:  # still bwrap's child, not a recycled pid?
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                if parent == self._proc.pid:
                    return pidfd
                os.close(pidfd)
                break
        except (OSError, AttributeError):
            pass  # bwrap already failed (its message is in output()) or no pidfd support: kill() copes
        finally:
            os.close(info_read)
        return None

    def _drain(self) -> None:
        """Keep the first and last output_bytes/2 of stderr, count the rest; never blocks the worker."""
        half = self.limits.output_bytes // 2
        fd = self._proc.stderr.fileno()
        while chunk := os.read(fd, CHUNK):
            with self._out_lock:
                self._total += len(chunk)
                room = half - len(self._head)
                if room > 0:
                    self._head += chunk[:room]
                    chunk = chunk[room:]
                if chunk:
                    self._tail += chunk
                    del self._tail[: max(0, len(self._tail) - (self.limits.output_bytes - half))]

    def _wall_expired(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self.timed_out = True
        self.kill()

    def kill(self) -> None:
        """SIGKILL the worker and everything it started (namespace, child, every process of the uid), then
        give back the uid (and delete the fallback's scratch directory). Idempotent; the pipes stay open
        for reading what is left, and ``close()`` releases them."""
        with self._lock:
            if self._proc is None or self._lease_fd is None:  # once released the uid may be another's
                return
            if self._watchdog is not None:
                self._watchdog.cancel()
            if self._proc.poll() is None and not self.timed_out:
                self.killed = True
            if self._pidfd is not None:
                try:
                    signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
                except OSError:
                    pass  # already gone
            if self._proc.poll() is None:
                self._proc.kill()
            if not kill_uid(self.uid):
                self.notes.append(f"processes of uid {self.uid} survived SIGKILL: {uid_processes(self.uid)}")
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
            self._release()

    def _release(self) -> None:
        """Give back what is bound to the uid; the next lease of the uid sweeps it again anyway."""
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        if self._scratch is not None:  # never hand a student's files to the uid's next sandbox
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
        if self._lease_fd is not None:
            os.close(self._lease_fd)
            self._lease_fd = None

    def wait(self, timeout: float | None = None) -> int | None:
        """The worker's return code (``-N``: killed by signal N) or None if it still runs after ``timeout``."""
        if self._proc is None:
            raise SandboxError("the sandbox was not started")
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        if self._drainer is not None:
            self._drainer.join(0.5)  # the rest of stderr, unless a grandchild keeps the pipe open
        return self.returncode

    @property
    def returncode(self) -> int | None:
        """Like Popen's. At the bubblewrap level bwrap reports a worker killed by signal N as ``128 + N``,
        which is turned back into ``-N`` (so a worker's own ``exit(128 + N)`` reads as that signal too)."""
        code = self._proc and self._proc.poll()
        if code is not None and self.level == "bubblewrap" and 128 < code < 128 + signal.NSIG:
            return 128 - code
        return code

    def describe(self) -> str:
        """How the worker ended, mentioning the wall-clock watchdog or kill() when they ended it."""
        if self.timed_out:
            return f"killed after the {self.limits.wall_seconds:g} s wall-clock limit"
        if self.killed:
            return "killed by kill() (SIGKILL)"
        return describe(self.returncode if self._proc else None)

    def output(self) -> str:
        """The captured stderr; beyond ``output_bytes`` the middle is replaced by a truncation note."""
        with self._out_lock:
            dropped = self._total - len(self._head) - len(self._tail)
            note = f"\n[... {dropped} bytes truncated]\n".encode() if dropped else b""
            return (bytes(self._head) + note + bytes(self._tail)).decode(errors="replace")

    def close(self) -> None:
        """kill(), then release the pipes and the stderr thread (idempotent; ``output()`` stays readable)."""
        with self._lock:
            self.kill()
            self._release()  # if start() failed before spawning
            if self._watchdog is not None:
                self._watchdog.cancel()
            if self._drainer is not None:
                self._drainer.join(5)
            if self._proc is not None:
                for pipe in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
                    try:
                        pipe.close()
                    except OSError:  # BrokenPipeError flushing stdin to a dead worker
                        pass
