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
    default cwd are a fresh 0700 directory owned by the uid, deleted by ``kill()``. SysV IPC gets a new
    namespace (``unshare -i``) when that works; either way ``kill()`` then removes the uid's SysV shared
    memory segments, semaphore sets and message queues, and everything it owns under /tmp, /var/tmp,
    /dev/shm, /run/lock and /dev/mqueue (:func:`remove_uid_files`), so nothing of it outlives the grading.

Both levels need root plus util-linux's ``prlimit`` and ``setpriv`` (``unshare`` for the network).

Containment (``Sandbox.cgroup``, at both levels): where the grader may create cgroups, each sandbox gets its
own (:class:`Cgroup`) under the grader's: cgroup ``v2`` (``memory.max``, ``memory.swap.max`` 0,
``pids.max``; the grader moves its own processes into a leaf to enable the controllers when needed) or ``v1``
(``memory.limit_in_bytes`` and ``memory.memsw.limit_in_bytes``, ``pids.max``). The launcher joins it before
it execs anything (a ``sh`` that writes its pid into ``cgroup.procs``), so every process of the sandbox is
in it and charged for what ``RLIMIT_AS`` misses: memfd and tmpfs/shm files, page cache, kernel memory. At the
limit the kernel's OOM killer ends the sandbox (SIGKILL). ``kill()`` also kills everything in the cgroup
and removes it, recording the peak usage. Else (Docker's default: /sys/fs/cgroup read-only) ``"none"``,
noted, and only the rlimits apply.
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

import contextlib
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
    Where a cgroup can be made (:class:`Cgroup`), ``cgroup_memory_bytes`` (``memory_bytes`` + 25%) caps the
    memory charged to the sandbox (resident pages, memfd, tmpfs and shared memory, page cache; no swap) and
    ``processes`` (plus a few for the launchers) its tasks. The headroom lets an ordinary allocation hit
    ``RLIMIT_AS`` first (a clean ``MemoryError``) instead of the cgroup, where the kernel would first evict
    the worker's own code pages (slow) and then kill it. ``open_files`` is ``RLIMIT_NOFILE``: the worker
    serving checks and a training run has at most 8 descriptors open (measured); 64 also bounds what
    ``memfd_create`` can hold without a cgroup to ``open_files * file_bytes`` (1 GiB).
    """

    wall_seconds: float = 120
    cpu_seconds: int = 120
    memory_bytes: int = 2 << 30
    processes: int = 64
    file_bytes: int = 16 << 20
    output_bytes: int = 64 << 10
    tmp_bytes: int = 64 << 20
    open_files: int = 64

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value > 0:
                raise ValueError(f"Limits.{name} must be positive, not {value!r}")

    @property
    def cgroup_memory_bytes(self) -> int:
        """The sandbox cgroup's memory (+ swap) limit."""
        return self.memory_bytes + self.memory_bytes // 4

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
        nofile = capped(resource.RLIMIT_NOFILE, self.open_files)
        return [f"--cpu={cpu - 1}:{cpu}", f"--as={memory}:{memory}", f"--nproc={nproc}:{nproc}",
                f"--fsize={fsize}:{fsize}", f"--nofile={nofile}:{nofile}", "--core=0:0"]


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
def _probe_unshare(option: str) -> tuple[bool, str]:
    """Whether ``unshare <option>`` (``-n`` network, ``-i`` SysV IPC) works here, and its error if not."""
    try:
        done = subprocess.run([_tool("unshare"), option, "--", _tool("true")], capture_output=True, timeout=20)
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


# Run as another uid by a fresh interpreter, spawned (vfork + exec), never by fork(): fork() in the threaded grader
# runs the libraries' at-fork handlers, and OpenBLAS's deadlocks while another thread is inside a BLAS call (seen: a
# grading hung for good closing its checks worker while the training thread replayed a chunk).
_DROP_PRIVILEGES = ("import json, os, signal, sys\n"
                    "uid = int(sys.argv[1])\n"
                    "os.setgroups([])\n"
                    "os.setresgid(uid, uid, uid)\n"
                    "os.setresuid(uid, uid, uid)\n")
_KILL_ALL = ("try:\n"  # every process of the uid but this one; atomic against fork
             "    os.kill(-1, signal.SIGKILL)\n"
             "except ProcessLookupError:\n"
             "    pass\n")
_FIRST_DENIED = ("for i, (path, mode, allowed) in enumerate(json.loads(sys.argv[2])):\n"  # exit 2 + its index
                 "    if os.access(path, mode) != allowed:\n"
                 "        sys.exit(i + 2)\n")


def _as_uid(uid: int, program: str, *args: str) -> int:
    """Exit status of Python ``program`` run with uid/gid ``uid`` (``sys.argv[2:]`` = ``args``)."""
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", _DROP_PRIVILEGES + program, str(uid), *args],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc.returncode


def kill_uid(uid: int, timeout: float = 10) -> bool:
    """SIGKILL every process of ``uid`` until none is left; False if some survive ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        _as_uid(uid, _KILL_ALL)
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
    problems = []
    while checks and (status := _as_uid(uid, _FIRST_DENIED, json.dumps([[str(p), m, a] for p, m, a in checks]))):
        index = status - 2  # _FIRST_DENIED exits 2 + the index of the first check that came out wrong
        if not 0 <= index < len(checks):
            raise SandboxError(f"could not check paths as uid {uid} (status {status})")
        path, mode, allowed = checks[index]
        what = {os.R_OK: "readable", os.X_OK: "executable", os.R_OK | os.X_OK: "readable",
                os.W_OK: "writable"}[mode]
        problems.append(f"{path} is {'not ' if allowed else ''}{what} by uid {uid}"
                        + (_blocker(path.resolve()) if allowed else ""))
        checks = checks[index + 1:]
    return problems


# ---------------------------------------------------------------------------------------- cgroups

CGROUP_PREFIX = "mnist-mlp-kit-sandbox-"
GRADER_LEAF = "mnist-mlp-kit-grader"  # v2: where the grader's own processes move so controllers can be enabled
LAUNCHER_TASKS = 8  # pids.max headroom over Limits.processes for sh, prlimit, unshare, bwrap and its init
# Joins the cgroups named before "--" (their cgroup.procs files), then execs the rest: the launcher is in
# the sandbox's cgroup before anything of the sandbox runs, and so is every process it starts.
JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _read_pids(path: Path) -> list[int]:
    try:
        return [int(line) for line in path.read_text().split()]
    except (OSError, ValueError):
        return []


def own_cgroups(proc_cgroup: str = "/proc/self/cgroup", mountinfo: str = "/proc/self/mountinfo") -> dict[str, Path]:
    """The grader's own cgroup directories: ``{"v2": dir}`` and/or v1 ``{"memory": dir, "pids": dir}``.

    Paths in ``proc_cgroup`` are relative to each hierarchy's root as mounted (``mountinfo``'s root field
    is that path inside a cgroup namespace), so this also works in a container."""
    mounts: dict[str, tuple[str, Path]] = {}
    try:
        for line in Path(mountinfo).read_text().splitlines():
            fields, _, tail = line.partition(" - ")
            fields, tail = fields.split(), tail.split()
            if len(fields) < 5 or len(tail) < 3 or "\\" in fields[4]:
                continue
            root, point = fields[3], Path(fields[4])
            if tail[0] == "cgroup2":
                mounts.setdefault("v2", (root, point))
            elif tail[0] == "cgroup":
                for option in tail[2].split(","):
                    if option in ("memory", "pids"):
                        mounts.setdefault(option, (root, point))
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return {}
    found = {}
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for key in (["v2"] if controllers == "" else controllers.split(",")):
            if key in mounts:
                root, point = mounts[key]
                relative = os.path.relpath(path, root)
                if not relative.startswith(".."):
                    found[key] = (point / relative).resolve() if relative != "." else point
    return found


class Cgroup:
    """One sandbox's cgroup: memory (swap included) and task limits, killing everything in it, removal.

    ``level`` is ``"v2"`` (one directory with ``memory.max``, ``memory.swap.max`` 0 and ``pids.max``) or
    ``"v1"`` (a ``memory`` cgroup with ``memory.limit_in_bytes`` and ``memory.memsw.limit_in_bytes`` when the
    kernel accounts swap, plus a ``pids`` cgroup with ``pids.max`` when that hierarchy is mounted). Both are
    made under the grader's own cgroups. ``wrap(command)`` makes the launcher join before it execs.
    """

    def __init__(self, name: str, memory_bytes: int, tasks: int,
                 parents: dict[str, Path] | None = None) -> None:
        parents = own_cgroups() if parents is None else parents
        self.memory_bytes, self.tasks = memory_bytes, tasks
        self.dirs: dict[str, Path] = {}
        self.peak_bytes: int | None = None
        self.oom_kills = 0
        if "v2" in parents and _v2_ready(parents["v2"]):
            self.level = "v2"
            wanted = {"v2": parents["v2"] / name}
        elif "memory" in parents and os.access(parents["memory"], os.W_OK):
            self.level = "v1"
            wanted = {key: parents[key] / name for key in ("memory", "pids")
                      if key in parents and os.access(parents[key], os.W_OK)}
        else:
            raise SandboxError("no writable cgroup v2 with the memory and pids controllers, nor cgroup v1 "
                               "memory hierarchy")
        try:
            for key, path in wanted.items():
                if path.exists():  # left by a crashed grader: empty it first
                    self.dirs[key] = path
                    self._kill_members(path)
                    path.rmdir()
                path.mkdir()
                self.dirs[key] = path
            self._set_limits()
        except BaseException:
            self.remove()
            raise

    def _set_limits(self) -> None:
        memory = str(self.memory_bytes)
        if self.level == "v2":
            folder = self.dirs["v2"]
            _write(folder / "memory.max", memory)
            _write(folder / "pids.max", str(self.tasks))
            for name, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):  # no swap; OOM kills all
                try:
                    _write(folder / name, value)
                except OSError:
                    pass  # no swap accounting (then there is no swap to use) or an older kernel
            return
        folder = self.dirs["memory"]
        _write(folder / "memory.limit_in_bytes", memory)
        if (folder / "memory.memsw.limit_in_bytes").exists():  # memory + swap (set after the memory limit)
            _write(folder / "memory.memsw.limit_in_bytes", memory)
        else:
            try:
                _write(folder / "memory.swappiness", "0")
            except OSError:
                pass
        if "pids" in self.dirs:
            _write(self.dirs["pids"] / "pids.max", str(self.tasks))

    def wrap(self, command: list[str]) -> list[str]:
        """``command`` run by a shell that first moves itself into this cgroup (exit status 125 if it cannot)."""
        procs = [str(path / "cgroup.procs") for path in self.dirs.values()]
        return [_tool("sh"), "-c", JOIN, "sh", *procs, "--", *command]

    def members(self) -> list[int]:
        """Pids of the processes in the cgroup."""
        return sorted({pid for path in self.dirs.values() for pid in _read_pids(path / "cgroup.procs")})

    @staticmethod
    def _kill_members(path: Path, timeout: float = 10) -> bool:
        """SIGKILL everything in the cgroup at ``path`` until it is empty; False if some survive ``timeout``."""
        try:
            _write(path / "cgroup.kill", "1")  # v2, Linux 5.14+: atomic against fork
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        while pids := _read_pids(path / "cgroup.procs"):
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def kill(self) -> bool:
        """SIGKILL every process in the cgroup, then note the peak memory and OOM kills; False if some survive."""
        emptied = all([self._kill_members(path) for path in self.dirs.values()])
        self.peak_bytes, self.oom_kills = self.peak(), self.ooms()
        return emptied

    def peak(self) -> int | None:
        """The most memory (swap included where accounted) the cgroup has been charged, in bytes."""
        names = (("v2", "memory.peak"), ("memory", "memory.memsw.max_usage_in_bytes"),
                 ("memory", "memory.max_usage_in_bytes"))
        for key, name in names:
            try:
                return int((self.dirs[key] / name).read_text())
            except (KeyError, OSError, ValueError):
                continue
        return self.peak_bytes

    def ooms(self) -> int:
        """How many processes the kernel killed for reaching the cgroup's memory limit."""
        key, name = ("v2", "memory.events") if self.level == "v2" else ("memory", "memory.oom_control")
        try:
            fields = dict(line.split() for line in (self.dirs[key] / name).read_text().splitlines())
            return int(fields.get("oom_kill", 0))
        except (KeyError, OSError, ValueError):
            return self.oom_kills

    def remove(self) -> bool:
        """Kill what is left and remove the cgroup's directories (retried: a dying task leaves it late)."""
        for key, path in list(self.dirs.items()):
            self._kill_members(path, timeout=2)
            for _ in range(100):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
            else:
                continue
            del self.dirs[key]
        return not self.dirs


def _v2_ready(folder: Path) -> bool:
    """Whether child cgroups of ``folder`` (cgroup v2) get the memory and pids controllers: enable them in its
    ``cgroup.subtree_control``, first moving the processes of ``folder`` into a leaf child when they are in the
    way (v2's no-internal-processes rule)."""
    needed = {"memory", "pids"}
    try:
        if not needed <= set((folder / "cgroup.controllers").read_text().split()):
            return False
        if needed <= set((folder / "cgroup.subtree_control").read_text().split()):
            return True
        try:
            _write(folder / "cgroup.subtree_control", "+memory +pids")
        except OSError:
            leaf = folder / GRADER_LEAF
            leaf.mkdir(exist_ok=True)
            for pid in _read_pids(folder / "cgroup.procs"):
                try:
                    _write(leaf / "cgroup.procs", str(pid))
                except OSError:
                    pass  # a kernel thread or an exited process
            _write(folder / "cgroup.subtree_control", "+memory +pids")
        return True
    except OSError:
        return False


def remove_stale_cgroups(parents: dict[str, Path] | None = None) -> list[Path]:
    """Remove the sandbox cgroups under the grader's cgroups that a killed grader left: those of a uid no live
    sandbox holds (its lock is free) and probe cgroups of dead processes. The cgroups removed."""
    removed = []
    for parent in (own_cgroups() if parents is None else parents).values():
        try:
            children = [p for p in parent.iterdir() if p.name.startswith(CGROUP_PREFIX) and p.is_dir()]
        except OSError:
            continue
        for child in children:
            suffix = child.name[len(CGROUP_PREFIX):]
            if suffix.startswith("probe-"):
                if suffix[6:].isdigit() and not Path(f"/proc/{suffix[6:]}").exists():
                    with contextlib.suppress(OSError):
                        Cgroup._kill_members(child, timeout=2) and child.rmdir()
                        removed.append(child)
                continue
            if not suffix.isdigit():
                continue
            try:
                fd = os.open(_lock_dir() / f"{suffix}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                             0o600)
            except (OSError, SandboxError):
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held: a live sandbox's
                if Cgroup._kill_members(child, timeout=2):
                    child.rmdir()
                    removed.append(child)
            except OSError:
                pass
            finally:
                os.close(fd)
    return removed


@functools.cache
def _probe_cgroup() -> tuple[str, str]:
    """("v2" | "v1" | "none", why): whether a sandbox cgroup can be made, limited and joined here (first
    removing the cgroups a killed grader left)."""
    if os.geteuid() != 0:
        return "none", "not root"
    remove_stale_cgroups()
    try:
        group = Cgroup(f"{CGROUP_PREFIX}probe-{os.getpid()}", 64 << 20, 16)
    except (SandboxError, OSError) as error:
        return "none", f"no cgroup: {error}"
    try:
        done = subprocess.run(group.wrap([_tool("cat"), "/proc/self/cgroup"]), capture_output=True, timeout=20)
        joined = done.returncode == 0 and all(
            f"/{path.name}\n" in done.stdout.decode() for path in group.dirs.values())
        if not joined:
            return "none", f"joining a cgroup failed: {done.stderr.decode(errors='replace').strip()[-300:]}"
        return group.level, f"cgroup {group.level}: " + ", ".join(str(p) for p in group.dirs.values())
    except (SandboxError, OSError, subprocess.TimeoutExpired) as error:
        return "none", f"joining a cgroup failed: {error}"
    finally:
        group.remove()


def probe_cgroup() -> str:
    """The cgroup level sandboxes get here: "v2", "v1" or "none" (run once per process, then cached)."""
    return _probe_cgroup()[0]


# ------------------------------------------------------------------- leftovers of the fallback level

WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")
SYSVIPC = {"shm": "shmctl", "sem": "semctl", "msg": "msgctl"}  # /proc/sysvipc/<kind> -> libc's remover
IPC_RMID = 0


def sysv_ipc_objects(uid: int) -> list[tuple[str, int]]:
    """(kind, id) of the SysV shared memory segments, semaphore sets and message queues ``uid`` owns or made."""
    found = []
    for kind in SYSVIPC:
        try:
            header, *rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        except OSError:
            continue
        names = header.split()
        for row in rows:
            values = dict(zip(names, row.split()))
            if str(uid) in (values.get("uid"), values.get("cuid")):
                found.append((kind, int(values["shmid" if kind == "shm" else "semid" if kind == "sem" else "msqid"])))
    return found


def remove_sysv_ipc(uid: int) -> list[str]:
    """Remove every SysV IPC object of ``uid``; what could not be removed (for notes)."""
    objects = sysv_ipc_objects(uid)
    if not objects:
        return []
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    failed = []
    for kind, ident in objects:
        if kind == "sem":
            status = libc.semctl(ident, 0, IPC_RMID)
        else:
            status = getattr(libc, SYSVIPC[kind])(ident, IPC_RMID, None)
        if status != 0 and ctypes.get_errno() not in (22, 43):  # EINVAL/EIDRM: already gone
            failed.append(f"{kind} {ident}: {os.strerror(ctypes.get_errno())}")
    return failed


def remove_uid_files(uid: int, roots: tuple[str, ...] = WORLD_WRITABLE) -> int:
    """Delete what ``uid`` owns under ``roots`` (files, links, whole directories), looking only where that uid
    can go (directories others may search), never following a link; the number of entries removed. Call it
    once no process of ``uid`` runs: then nothing it owns can change during the walk."""
    removed = 0

    def sweep(dir_fd: int, depth: int) -> None:
        nonlocal removed
        with os.scandir(dir_fd) as entries:
            listed = list(entries)
        for entry in listed:
            try:
                info = entry.stat(follow_symlinks=False)
                if info.st_uid == uid:
                    if stat.S_ISDIR(info.st_mode):
                        shutil.rmtree(entry.name, dir_fd=dir_fd)
                    else:
                        os.unlink(entry.name, dir_fd=dir_fd)
                    removed += 1
                elif stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IXOTH and depth < 32:
                    fd = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
                    try:
                        sweep(fd, depth + 1)
                    finally:
                        os.close(fd)
            except OSError:
                continue

    for root in roots:
        try:
            fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            sweep(fd, 0)
        finally:
            os.close(fd)
    return removed


# ---------------------------------------------------------------------------------------- sandbox

class Sandbox:
    """One isolated, resource-limited worker process tree; a context manager (``start`` .. ``close``).

    ``lend`` is a root-owned folder of the caller's (e.g. a temp folder holding copies of the ``read_only``
    paths): while the sandbox runs, it is given to the uid's group, mode 0750, so that at the unprivileged
    level this worker, and no other sandbox, may read what is inside; then it is root's and 0700 again.

    After ``start()``: ``stdin`` (binary, buffered: flush after writing) and ``stdout`` (binary) are the
    protocol pipes; ``output()`` is the worker's stderr; ``level``, ``uid``, ``network_isolated`` and
    ``notes`` describe the isolation; ``timed_out`` is set when the wall-clock watchdog fired. ``cgroup`` is the
    containment level (``"v2"``, ``"v1"`` or ``"none"``, see :class:`Cgroup`); after ``kill()``,
    ``memory_peak`` is the most memory the cgroup was charged (None without one) and ``oom_killed`` whether
    the kernel killed a process of it for reaching ``Limits.memory_bytes``.
    """

    def __init__(self, argv: list[str], *, read_only: list[Path], limits: Limits = Limits(),
                 level: str = "auto", env: dict[str, str] | None = None, cwd: Path | None = None,
                 lend: Path | None = None) -> None:
        if level not in ("auto", *LEVELS):
            raise ValueError(f"level must be 'auto' or one of {LEVELS}, not {level!r}")
        if not argv:
            raise ValueError("argv is empty")
        self.argv = [str(arg) for arg in argv]
        self.read_only = [Path(path).absolute() for path in read_only]
        self.limits, self.env, self.cwd = limits, dict(env or {}), cwd and Path(cwd).absolute()
        self.lend = lend and Path(lend).absolute()
        self.notes: list[str] = []
        if level == "auto":
            works, why = _probe_bubblewrap()
            level = "bubblewrap" if works else "unprivileged"
            if not works:
                self.notes.append(f"bubblewrap unavailable: {why}")
        self.level = level
        self.network_isolated: bool | None = None
        self.cgroup = "none"
        self.memory_peak: int | None = None
        self.oom_killed = False
        self._cgroup: Cgroup | None = None
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
            if self.lend is not None:  # only this sandbox's uid (by its group) may enter; nobody may write
                os.chown(self.lend, 0, self.uid)
                os.chmod(self.lend, 0o750)
            self._join_cgroup()
            self._spawn()
        except BaseException:
            self.close()
            raise
        self._watchdog = threading.Timer(self.limits.wall_seconds, self._wall_expired)
        self._watchdog.daemon = True
        self._watchdog.start()

    def _join_cgroup(self) -> None:
        """Make this sandbox's cgroup where the machine allows it (else note why there is none)."""
        level, why = _probe_cgroup()
        if level == "none":
            self.notes.append(f"no cgroup (memory outside the address space is not limited): {why}")
            return
        try:
            self._cgroup = Cgroup(f"{CGROUP_PREFIX}{self.uid}", self.limits.cgroup_memory_bytes,
                                  self.limits.processes + LAUNCHER_TASKS)
        except (SandboxError, OSError) as error:
            self.notes.append(f"no cgroup (memory outside the address space is not limited): {error}")
            return
        self.cgroup = self._cgroup.level

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
            isolated, why = _probe_unshare("-n")
            self.network_isolated = isolated
            if not isolated:
                self.notes.append(f"no network isolation: unshare -n failed: {why}")
            ipc, why = _probe_unshare("-i")  # SysV IPC objects then die with the namespace
            if not ipc:
                self.notes.append(f"no IPC namespace (its SysV objects are removed after the kill): {why}")
            options = [option for option, works in (("-n", isolated), ("-i", ipc)) if works]
            command = [*prlimit, *([_tool("unshare"), *options, "--"] if options else []), *setpriv, *self.argv]
        if self._cgroup is not None:
            command = self._cgroup.wrap(command)
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
            if self._cgroup is not None:
                if not self._cgroup.kill():
                    self.notes.append(f"processes survived in the cgroup: {self._cgroup.members()}")
                self.memory_peak, self.oom_killed = self._cgroup.peak_bytes, self._cgroup.oom_kills > 0
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
            if self.level == "unprivileged":  # what outlives the uid's processes in the host's namespaces
                self.notes.extend(f"SysV IPC object not removed: {what}" for what in remove_sysv_ipc(self.uid))
                remove_uid_files(self.uid)
            self._release()

    def _release(self) -> None:
        """Give back what is bound to the uid; the next lease of the uid sweeps it again anyway."""
        if self.lend is not None and self._lease_fd is not None:
            try:
                os.chmod(self.lend, 0o700)
                os.chown(self.lend, 0, 0)
            except OSError:
                pass  # the caller already removed it
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        if self._scratch is not None:  # never hand a student's files to the uid's next sandbox
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
        if self._cgroup is not None:
            if not self._cgroup.remove():
                self.notes.append(f"cgroup not removed: {', '.join(map(str, self._cgroup.dirs.values()))}")
            self._cgroup = None
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
        if self.oom_killed or (self._cgroup is not None and self._cgroup.ooms()):
            limit = self.limits.cgroup_memory_bytes >> 20
            return f"killed by SIGKILL: the sandbox reached its {limit} MiB memory limit"
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
