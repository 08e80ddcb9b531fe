"""The autograder's sandbox, exercised with real processes at every isolation level that works here."""
from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from autograder.grading import sandbox
from autograder.grading.sandbox import Limits, Sandbox, SandboxError, describe, uid_processes

ROOT = Path(__file__).resolve().parent.parent
QUICK = Limits(wall_seconds=30, cpu_seconds=20)

if os.geteuid() != 0:
    pytest.skip("the sandbox needs root", allow_module_level=True)


@functools.cache
def python_for(level: str) -> str | None:
    """An interpreter the level can run: ours, else (fallback under a 0700 /root) the system's python3."""
    if level == "bubblewrap":
        return sys.executable if sandbox.probe_bubblewrap() else None
    for candidate in (sys.executable, shutil.which("python3", path=sandbox.SYSTEM_PATH)):
        if not candidate:
            continue
        try:
            with Sandbox([candidate, "-I", "-c", "pass"], read_only=[], limits=QUICK, level=level) as box:
                if box.wait(20) == 0:
                    return candidate
        except SandboxError:
            continue
    return None


@pytest.fixture(params=sandbox.LEVELS)
def level(request) -> str:
    if python_for(request.param) is None:
        pytest.skip(f"the {request.param} level does not work on this machine")
    return request.param


@pytest.fixture
def shared():
    """A root-owned 0755 directory outside pytest's 0700 tmp tree, so the sandbox uid can read it."""
    path = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def box_for(level: str, code: str, *, limits: Limits = QUICK, **kwargs) -> Sandbox:
    return Sandbox([python_for(level), "-I", "-c", textwrap.dedent(code)], level=level, limits=limits,
                   read_only=kwargs.pop("read_only", []), **kwargs)


def run(level: str, code: str, **kwargs) -> tuple[int | None, str, bytes, Sandbox]:
    """Run code to completion: (return code, stderr, stdout, the closed sandbox)."""
    with box_for(level, code, **kwargs) as box:
        out = box.stdout.read()
        code = box.wait(20)
    return code, box.output(), out, box


def test_echo_round_trip(level):
    echo = """
        import sys
        for line in sys.stdin.buffer:
            sys.stdout.buffer.write(b"echo " + line)
            sys.stdout.flush()
        print("bye", file=sys.stderr)
    """
    with box_for(level, echo) as box:
        assert box.level == level
        for message in (b"one\n", b"two " * 1000 + b"\n", b"\x00\xff binary\n"):
            box.stdin.write(message)
            box.stdin.flush()
            assert box.stdout.readline() == b"echo " + message
        box.stdin.close()
        assert box.wait(10) == 0
    assert box.output() == "bye\n"
    assert box.describe() == "exited with status 0"


def test_identity_environment_and_fds(level):
    code = """
        import json, os
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        print(json.dumps({"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
                          "caps": status["CapEff"].strip(), "bounding": status["CapBnd"].strip(),
                          "nnp": status["NoNewPrivs"].strip(), "env": dict(os.environ),
                          "fds": [fd for fd in range(3, 1024) if os.path.exists(f"/proc/self/fd/{fd}")],
                          "sid": os.getsid(0) in (os.getpid(), 1)}))  # pid 1: bubblewrap's init
    """
    import json

    code, err, out, box = run(level, code, env={"SUBMISSION": "alice"})
    assert code == 0, err
    me = json.loads(out)
    assert me["uid"] == me["euid"] == me["gid"] == box.uid and box.uid in sandbox.UIDS
    assert me["groups"] == [] and me["caps"] == me["bounding"] == "0000000000000000" and me["nnp"] == "1"
    assert me["fds"] == [], "only stdin, stdout and stderr may be inherited"
    env = me["env"]
    assert env["SUBMISSION"] == "alice" and env["OPENBLAS_NUM_THREADS"] == "1" and env["PATH"] == sandbox.SYSTEM_PATH
    assert set(env) - {"PWD"} == {"PATH", "HOME", "TMPDIR", "LANG", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                  "MKL_NUM_THREADS", "MALLOC_ARENA_MAX", "PYTHONDONTWRITEBYTECODE", "SUBMISSION"}
    assert me["sid"], "the worker must be in its own session"


def test_network_is_unreachable(level):
    code = """
        import socket
        for family, address in ((socket.AF_INET, ("1.1.1.1", 53)), (socket.AF_INET6, ("2606:4700:4700::1111", 53))):
            try:
                socket.create_connection(address, timeout=3).close()
                print("connected", address)
            except OSError as error:
                print("blocked", error.errno)
        print(sorted(name for _, name in socket.if_nameindex()))
    """
    code, err, out, box = run(level, code)
    if not box.network_isolated:
        pytest.skip(f"no network isolation at this level here: {box.notes}")
    assert code == 0, err
    assert b"connected" not in out and out.count(b"blocked") == 2
    assert out.splitlines()[-1] == b"['lo']"


def test_grader_files_are_invisible_in_bubblewrap(shared):
    if not sandbox.probe_bubblewrap():
        pytest.skip("bubblewrap does not work here")
    (shared / "mlp.py").write_text("X = 1\n")
    secrets = [ROOT / "tests_hidden", ROOT / "solution", ROOT / "autograder", ROOT / "tests", Path("/root/.pyenv/shims"),
               Path("/etc/passwd"), Path("/home"), Path(sandbox.__file__)]
    code = f"""
        import os
        for path in {[str(p) for p in secrets]!r} + [{str(shared / "mlp.py")!r}, {str(ROOT / "data" / "mnist")!r}]:
            print(path, os.path.exists(path))
        print(sorted(os.listdir("/")))
        print(sorted(os.listdir({str(ROOT)!r})))
    """
    code, err, out, _ = run("bubblewrap", code, read_only=[shared, ROOT / "data" / "mnist"])
    assert code == 0, err
    lines = out.decode().splitlines()
    for path in secrets:
        assert f"{path} False" in lines, f"{path} is visible in the sandbox"
    assert f"{shared / 'mlp.py'} True" in lines and f"{ROOT / 'data' / 'mnist'} True" in lines
    assert set(eval(lines[-2])) <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "root", "sbin",
                                    "tmp", "usr", *Path(tempfile.gettempdir()).parts[1:2], *ROOT.parts[1:2]}
    assert set(eval(lines[-1])) <= {".venv", "data"}, "only the given paths of the project may be bound"


def test_private_directories_are_unreadable(level, shared):
    secret = shared / "hidden"
    secret.mkdir(mode=0o700)
    (secret / "answers.py").write_text("SECRET = 42\n")
    code = f"""
        try:
            print(open({str(secret / "answers.py")!r}).read())
        except OSError as error:
            print(type(error).__name__)
    """
    code, err, out, _ = run(level, code, read_only=[shared])
    assert code == 0, err
    assert out.strip() == b"PermissionError"


def test_read_only_submission_cannot_be_written(level, shared):
    submission = shared / "submission"
    submission.mkdir(mode=0o755)
    (submission / "mlp.py").write_text("X = 1\n")
    code = """
        import os
        for action in (lambda: open("mlp.py", "a").write("X = 2"), lambda: open("new.py", "w").write("y"),
                       lambda: os.remove("mlp.py"), lambda: os.chmod("mlp.py", 0o777)):
            try:
                action()
                print("wrote")
            except OSError as error:
                print(type(error).__name__, error.errno)
        open(os.path.join(os.environ["HOME"], "scratch"), "w").write("home is writable")
    """
    code, err, out, _ = run(level, code, read_only=[submission], cwd=submission)
    assert code == 0, err
    assert b"wrote" not in out and len(out.splitlines()) == 4
    assert (submission / "mlp.py").read_text() == "X = 1\n" and sorted(os.listdir(submission)) == ["mlp.py"]


def test_memory_bomb_raises_memory_error(level):
    code = """
        import resource
        print(resource.getrlimit(resource.RLIMIT_AS)[0], flush=True)
        block = bytearray(10 << 30)
        print("allocated 10 GB")
    """
    code, err, out, box = run(level, code)
    assert int(out.splitlines()[0]) == QUICK.memory_bytes
    assert b"allocated" not in out
    assert code != 0 and "MemoryError" in err, (code, err)
    assert box.describe() == "exited with status 1"


def test_fork_bomb_is_contained_and_killed(level):
    limits = Limits(wall_seconds=30, cpu_seconds=20, processes=16)
    bomb = """
        import os, time
        top, failed = os.getpid(), 0
        while failed < 50:
            try:
                os.fork()
            except OSError:
                failed += 1
        if os.getpid() == top:
            print(failed, flush=True)
        time.sleep(60)
    """
    with box_for(level, bomb, limits=limits) as box:
        assert int(box.stdout.readline()) == 50, box.output()
        alive = uid_processes(box.uid)
        assert 1 < len(alive) <= limits.processes
        started = time.monotonic()
        box.kill()
        killed_in = time.monotonic() - started
        assert uid_processes(box.uid) == []
        assert box.wait(5) is not None and box.describe() == "killed by kill() (SIGKILL)"
    assert box.stdout.closed
    print(f"killed {len(alive)} processes in {killed_in * 1000:.0f} ms")


def test_sigterm_ignoring_loop_is_killed(level):
    loop = """
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        while True:
            pass
    """
    with box_for(level, loop) as box:
        assert box.stdout.readline() == b"ready\n"
        assert box.wait(0.3) is None
        box.kill()
        box.kill()  # idempotent
        assert box.wait(5) == -signal.SIGKILL
        assert box.describe() == "killed by kill() (SIGKILL)"
    assert uid_processes(box.uid) == []


def test_wall_clock_limit_kills(level):
    with box_for(level, "while True: pass", limits=Limits(wall_seconds=1, cpu_seconds=20)) as box:
        started = time.monotonic()
        assert box.wait(10) is not None
        assert 0.9 < time.monotonic() - started < 5
        assert box.timed_out and box.describe() == "killed after the 1 s wall-clock limit"


def test_cpu_limit_sends_sigxcpu(level):
    code, err, _, box = run(level, "while True: pass", limits=Limits(wall_seconds=20, cpu_seconds=1))
    assert code in (-signal.SIGXCPU, -signal.SIGKILL), err
    assert box.describe() == "killed by SIGXCPU (CPU time limit)" or "SIGKILL" in box.describe()
    assert not box.timed_out


def test_file_size_limit(level):
    code = """
        import os
        with open(os.path.join(os.environ["HOME"], "big"), "wb") as f:
            try:
                f.write(b"x" * (2 << 20))
                f.flush()
                print("wrote")
            except OSError as error:
                print(error.strerror)
    """
    code, err, out, _ = run(level, code, limits=Limits(wall_seconds=20, cpu_seconds=20, file_bytes=1 << 20))
    assert out.strip() == b"File too large", (code, err)


@pytest.mark.parametrize("parent_exits", [False, True], ids=["parent-alive", "parent-exited"])
def test_double_forked_setsid_grandchild_does_not_survive_kill(level, parent_exits):
    marks = Path(tempfile.mkdtemp(prefix="sandbox-marks-"))
    marks.chmod(0o1777)  # writable by the sandbox uid at the unprivileged level; invisible to bubblewrap
    code = f"""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                print("grandchild", os.getpid(), flush=True)
                time.sleep(1)
                sys.stderr.write("SURVIVED\\n")
                sys.stderr.flush()
                for folder in ({str(marks)!r}, os.environ["HOME"]):
                    try:
                        open(os.path.join(folder, "survived"), "w").write("x")
                    except OSError:
                        pass
            os._exit(0)
        os.wait()
        if not {parent_exits}:
            time.sleep(60)
    """
    try:
        with box_for(level, code) as box:
            assert box.stdout.readline().startswith(b"grandchild")
            if parent_exits:
                assert box.wait(5) == 0
            box.kill()
            time.sleep(1.5)
            assert uid_processes(box.uid) == []
        assert "SURVIVED" not in box.output()
        assert not (marks / "survived").exists()
    finally:
        shutil.rmtree(marks)


def test_stderr_flood_is_bounded(level):
    flood = """
        import sys
        chunk = b"x" * (1 << 20)
        for _ in range(1024):
            sys.stderr.buffer.write(chunk)
        sys.stderr.flush()
        sys.stderr.write("the end\\n")
        print("done", flush=True)
    """
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    code, err, out, box = run(level, flood)
    seconds = time.monotonic() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert code == 0 and out == b"done\n"
    kept, total = QUICK.output_bytes, (1 << 30) + len("the end\n")
    assert f"[... {total - kept} bytes truncated]" in err
    assert err.startswith("x" * 100) and err.endswith("the end\n") and len(err) < kept + 100
    assert grown_mb < 100, f"the grader grew by {grown_mb:.0f} MB"
    print(f"{level}: drained 1 GiB of stderr in {seconds:.2f} s")


def test_exit_statuses(level):
    for code, expected, text in (("import os; os._exit(7)", 7, "exited with status 7"),
                                 ("raise SystemExit(0)", 0, "exited with status 0"),
                                 ("import os; os.abort()", -signal.SIGABRT, "killed by SIGABRT"),
                                 ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", -signal.SIGSEGV,
                                  "killed by SIGSEGV")):
        returned, err, _, box = run(level, code)
        assert returned == expected, (code, err)
        assert box.describe().startswith(text)


def test_start_overhead(level, capsys):
    python = python_for(level)
    script = "import numpy"
    if python != sys.executable:  # fallback with the system python: borrow our venv's numpy if it fits
        if subprocess.run([python, "-c", "import sys; sys.exit(sys.version_info[:2] != %r)"
                           % (sys.version_info[:2],)]).returncode:
            pytest.skip("no numpy for the interpreter this level can run")
        script = f"import sys; sys.path.append({sysconfig.get_paths()['purelib']!r}); import numpy"
    argv = [python, "-I", "-c", script]
    env = {"PATH": sandbox.SYSTEM_PATH, "OPENBLAS_NUM_THREADS": "1"}

    def timed(action) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    def sandboxed() -> None:
        with Sandbox(argv, read_only=[], limits=QUICK, level=level) as box:
            assert box.wait(20) == 0, box.output()

    plain = timed(lambda: subprocess.run(argv, env=env, check=True))
    boxed = timed(sandboxed)
    with capsys.disabled():
        print(f"\n[{level}] python -I -c 'import numpy': {plain * 1000:.0f} ms unsandboxed, "
              f"{boxed * 1000:.0f} ms sandboxed (+{(boxed - plain) * 1000:.0f} ms)")


def test_concurrent_sandboxes_get_their_own_uid(level):
    boxes = [box_for(level, "import sys; print('up', flush=True); sys.stdin.read()") for _ in range(3)]
    try:
        for box in boxes:
            box.start()
        for box in boxes:
            assert box.stdout.readline() == b"up\n"
        assert len({box.uid for box in boxes}) == 3
        assert all(len(uid_processes(box.uid)) >= 1 for box in boxes)
    finally:
        for box in boxes:
            box.close()
    assert all(uid_processes(box.uid) == [] for box in boxes)


def test_kill_gives_back_the_uid(level):
    import fcntl

    with box_for(level, "import os; print(os.environ['HOME'], flush=True); input()") as box:
        home = Path(box.stdout.readline().decode().strip())
        lock = sandbox._lock_dir() / f"{box.uid}.lock"
        with open(lock) as f, pytest.raises(BlockingIOError):
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        box.kill()
        with open(lock) as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again, without close()
        assert level == "bubblewrap" or not home.exists(), "the fallback's scratch HOME must go with the uid"
        assert box.output() == "" and box.stdout.read() == b""


def test_auto_level_and_misuse():
    box = Sandbox(["true"], read_only=[])
    assert box.level == ("bubblewrap" if sandbox.probe_bubblewrap() else "unprivileged")
    assert bool(box.notes) == (box.level == "unprivileged")
    with pytest.raises(ValueError):
        Sandbox(["true"], read_only=[], level="docker")
    with pytest.raises(SandboxError, match="do not exist"):
        Sandbox(["true"], read_only=[Path("/no/such/submission")]).start()
    with pytest.raises(ValueError):
        Limits(memory_bytes=0)


def test_fallback_refuses_an_interpreter_it_cannot_read():
    blocked = next((p for p in Path(sys.executable).resolve().parents if not p.stat().st_mode & 0o001), None)
    if blocked is None:
        pytest.skip("this interpreter is readable by others")
    with pytest.raises(SandboxError, match=f"{blocked} is mode"):
        Sandbox([sys.executable, "-I", "-c", "pass"], read_only=[], level="unprivileged").start()


def test_fallback_refuses_a_writable_read_only_path(shared):
    if python_for("unprivileged") is None:
        pytest.skip("the unprivileged level does not work here")
    shared.chmod(0o777)
    with pytest.raises(SandboxError, match=f"{shared} is writable by uid"):
        Sandbox([python_for("unprivileged"), "-I", "-c", "pass"], read_only=[shared], level="unprivileged").start()


def test_describe():
    assert describe(None) == "still running"
    assert describe(0) == "exited with status 0"
    assert describe(-9) == "killed by SIGKILL (memory or time limit?)"
    assert describe(-signal.SIGXFSZ) == "killed by SIGXFSZ (file size limit)"
    assert describe(-200) == "killed by signal 200"


def test_limits_are_capped_at_the_graders_own_hard_limits():
    """A grader started under a hard limit (Gradescope-like: 768 MB of address space) cannot raise its workers'."""
    code = "from autograder.grading.sandbox import Limits; print(' '.join(Limits(memory_bytes=2 << 30).prlimit()))"
    out = subprocess.run(["prlimit", "--as=805306368", sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert "--as=805306368:805306368" in out, out


# ------------------------------------------------------------------------------------- containment
MEMFD_BOMB = """
    import os, sys
    chunk, held, fds = b"\\1" * (1 << 20), 0, []
    try:
        while held < (4 << 30):
            fds.append(os.memfd_create("bomb"))
            try:
                while True:
                    held += os.write(fds[-1], chunk)
            except OSError as error:
                if error.errno != 27:  # EFBIG: RLIMIT_FSIZE reached, next memfd
                    raise
    except OSError as error:
        print(f"stopped by {error} with {len(fds)} memfds", file=sys.stderr)
    print(held, flush=True)
    sys.stdin.read()
"""


def available_memory() -> int:
    with open("/proc/meminfo") as f:
        return int(next(line for line in f if line.startswith("MemAvailable")).split()[1]) << 10


def test_memfd_bomb_is_bounded_by_the_cgroup(level):
    """memfd pages are outside RLIMIT_AS (the worker's RSS stays small): the cgroup (or, without one, open files x
    file size) bounds what it holds, measured as the drop of the host's available memory and the cgroup's peak."""
    limits = Limits(wall_seconds=60, cpu_seconds=60, memory_bytes=512 << 20, file_bytes=64 << 20)
    bound = limits.cgroup_memory_bytes if sandbox.probe_cgroup() != "none" else limits.open_files * limits.file_bytes
    before = lowest = available_memory()
    with box_for(level, MEMFD_BOMB, limits=limits) as box:
        assert box.cgroup == sandbox.probe_cgroup()
        while box.wait(0.02) is None and not box.stdout.peek(1):
            lowest = min(lowest, available_memory())
        said = box.stdout.readline()
        box.kill()
    held = before - lowest
    print(f"[{level}] cgroup {box.cgroup}: host available memory dropped by {held >> 20} MiB, cgroup peak "
          f"{box.memory_peak and box.memory_peak >> 20} MiB, worker said {said!r}, {box.describe()}")
    assert held < bound + (128 << 20), (held, bound)
    if box.cgroup != "none":
        assert said == b"" and box.oom_killed and box.memory_peak <= limits.cgroup_memory_bytes
        assert box.describe() == "killed by SIGKILL: the sandbox reached its 640 MiB memory limit"


def test_sandbox_processes_are_in_its_cgroup_which_is_removed(level):
    if sandbox.probe_cgroup() == "none":
        pytest.skip(f"no cgroup here: {sandbox._probe_cgroup()[1]}")
    with box_for(level, "import os; os.fork(); print(os.getpid(), flush=True); input()") as box:
        pids = {int(box.stdout.readline()), int(box.stdout.readline())}
        group = box._cgroup
        inside = set(group.members())
        assert len(uid_processes(box.uid)) == 2 and set(uid_processes(box.uid)) <= inside, (inside, box.uid)
        assert box._proc.pid in inside  # the launcher joined before anything ran
        folders = list(group.dirs.values())
        limit = "memory.max" if group.level == "v2" else "memory.limit_in_bytes"
        memory = folders[0]
        assert int((memory / limit).read_text()) == QUICK.cgroup_memory_bytes
        assert any(int((f / "pids.max").read_text()) == QUICK.processes + sandbox.LAUNCHER_TASKS
                   for f in folders if (f / "pids.max").exists())
    assert box.memory_peak and box.memory_peak > 0
    assert not any(f.exists() for f in folders), "the cgroup must be removed on close"
    assert len(pids) == 2


def test_open_files_are_limited(level):
    code = """
        import os, resource
        print(resource.getrlimit(resource.RLIMIT_NOFILE), flush=True)
        fds = []
        try:
            while True:
                fds.append(os.open("/dev/null", os.O_RDONLY))
        except OSError as error:
            print(len(fds), error.errno)
    """
    code, err, out, box = run(level, code)
    assert code == 0, err
    limit, opened = out.decode().splitlines()
    assert limit == f"({QUICK.open_files}, {QUICK.open_files})" and opened == f"{QUICK.open_files - 3} 24"


SYSV_SHM = """
    import ctypes, sys
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
    ident = libc.shmget(0x5EED, 1 << 20, 0o1666)  # IPC_CREAT | 0666: anyone may attach
    sem = libc.semget(0x5EEE, 1, 0o1666)
    msg = libc.msgget(0x5EEF, 0o1666)
    print(ident, sem, msg, open("/proc/sysvipc/shm").read().count(" 666 "), flush=True)
    sys.stdin.read()
"""


@pytest.mark.parametrize("ipc_namespace", [True, False], ids=["ipc-namespace", "no-ipc-namespace"])
def test_sysv_ipc_objects_do_not_outlive_the_sandbox(level, ipc_namespace, monkeypatch):
    """A 0666 SysV segment (and a semaphore set, a message queue) made by the worker is gone after close(): in the
    IPC namespace that dies with it, or removed by kill() when the fallback has none (as in Docker)."""
    if not ipc_namespace:
        if level == "bubblewrap":
            pytest.skip("bubblewrap always unshares IPC")
        real = sandbox._probe_unshare
        monkeypatch.setattr(sandbox, "_probe_unshare",
                            lambda option: (False, "off") if option == "-i" else real(option))
    with box_for(level, SYSV_SHM) as box:
        ident, sem, msg, visible = map(int, box.stdout.readline().split())
        assert ident >= 0 and sem >= 0 and msg >= 0 and visible >= 1, box.output()
        uid = box.uid
        if not ipc_namespace:
            assert {kind for kind, _ in sandbox.sysv_ipc_objects(uid)} == {"shm", "sem", "msg"}
            assert any("no IPC namespace" in note for note in box.notes)
    assert sandbox.sysv_ipc_objects(uid) == []
    assert not any(f" {uid} " in Path(f"/proc/sysvipc/{kind}").read_text() for kind in ("shm", "sem", "msg"))


def test_files_left_in_world_writable_places_are_removed(level):
    code = """
        import os
        made = []
        for folder in ("/tmp", "/var/tmp", "/dev/shm"):
            try:
                os.makedirs(f"{folder}/left-{os.getuid()}/deep", exist_ok=True)
                open(f"{folder}/left-{os.getuid()}/deep/file", "w").write("x")
                open(f"{folder}/left-file-{os.getuid()}", "w").write("x")
                made.append(folder)
            except OSError:
                pass
        print(" ".join(made), flush=True)
    """
    code, err, out, box = run(level, code)
    assert code == 0 and out.split(), err
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not Path(f"{folder}/left-{box.uid}").exists() and not Path(f"{folder}/left-file-{box.uid}").exists()


def test_cgroup_discovery_and_v2_limits(tmp_path):
    """own_cgroups maps /proc/self/cgroup through mountinfo (hybrid v1 host; v2 in a container's namespace), and
    a v2 sandbox cgroup gets memory.max, memory.swap.max 0 and pids.max, with the controllers enabled first."""
    (tmp_path / "cgroup").write_text("4:memory:/grader/a\n8:pids:/\n0::/user.slice\n")
    (tmp_path / "mountinfo").write_text(
        "30 25 0:26 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
        "31 25 0:27 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "32 25 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n")
    found = sandbox.own_cgroups(str(tmp_path / "cgroup"), str(tmp_path / "mountinfo"))
    assert found == {"memory": Path("/sys/fs/cgroup/memory/grader/a"), "pids": Path("/sys/fs/cgroup/pids"),
                     "v2": Path("/sys/fs/cgroup/unified/user.slice")}
    (tmp_path / "cgroup").write_text("0::/docker/abc\n")  # a container's own subtree mounted on /sys/fs/cgroup
    (tmp_path / "mountinfo").write_text("40 39 0:30 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n")
    assert sandbox.own_cgroups(str(tmp_path / "cgroup"), str(tmp_path / "mountinfo")) == {"v2": Path("/sys/fs/cgroup")}

    parent = tmp_path / "v2"
    parent.mkdir()
    (parent / "cgroup.controllers").write_text("cpu memory pids\n")
    (parent / "cgroup.subtree_control").write_text("")
    group = sandbox.Cgroup("box", 256 << 20, 40, parents={"v2": parent})
    folder = parent / "box"
    assert group.level == "v2" and group.dirs == {"v2": folder}
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert {name: (folder / name).read_text() for name in ("memory.max", "memory.swap.max", "pids.max")} == {
        "memory.max": str(256 << 20), "memory.swap.max": "0", "pids.max": "40"}
    assert group.wrap(["true"])[-3:] == [str(folder / "cgroup.procs"), "--", "true"]


def test_cgroups_left_by_a_killed_grader_are_removed():
    """A grader killed with SIGKILL cannot remove its sandboxes' cgroups: the next one removes those whose uid no
    live sandbox holds, and leaves a live sandbox's alone."""
    if sandbox.probe_cgroup() == "none":
        pytest.skip(f"no cgroup here: {sandbox._probe_cgroup()[1]}")
    uid, lease = sandbox._lease_uid()
    os.close(lease)  # free: as if its grader had died
    stale = sandbox.Cgroup(f"{sandbox.CGROUP_PREFIX}{uid}", 64 << 20, 8)
    with box_for("unprivileged" if python_for("bubblewrap") is None else "bubblewrap", "input()") as box:
        live = list(box._cgroup.dirs.values())
        removed = sandbox.remove_stale_cgroups()
        assert all(path.exists() for path in live), "a live sandbox's cgroup must stay"
    assert set(stale.dirs.values()) <= set(removed) and not any(p.exists() for p in stale.dirs.values())


def test_checks_made_as_a_sandbox_uid_report_each_wrong_path_and_a_helper_that_cannot_run(monkeypatch):
    """``_inaccessible`` runs its access checks in a spawned interpreter as the uid (the grader never forks)."""
    uid = sandbox.UIDS.stop - 1
    base = Path(tempfile.mkdtemp())  # pytest's tmp_path is under a 0700 folder the uid cannot cross
    base.chmod(0o755)
    private = base / "private"
    private.mkdir(mode=0o700)
    shared = base / "shared.txt"
    shared.write_text("x")
    shared.chmod(0o644)
    checks = [(shared, os.R_OK, True), (private, os.R_OK, True), (shared, os.W_OK, False), (Path("/"), os.W_OK, True)]
    assert sandbox._inaccessible(uid, checks) == [f"{private} is not readable by uid {uid}",
                                                  f"/ is not writable by uid {uid}"]
    monkeypatch.setattr(sandbox, "_FIRST_DENIED", "raise RuntimeError('no helper')\n")  # exits 1: not a check
    with pytest.raises(SandboxError, match=f"could not check paths as uid {uid}"):
        sandbox._inaccessible(uid, checks)
    shutil.rmtree(base)
