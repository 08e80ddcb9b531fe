"""Whole gradings at the sandbox's fallback level (``--isolation unprivileged``), as on a host where bubblewrap
cannot run (Gradescope's Docker container): the worker is only ``setpriv``-ed to a dedicated uid, with no
filesystem isolation, so it sees every file that "others" may read.

The kit's own .venv cannot do this here (its pyenv interpreter lives under the 0700 /root, which the sandbox's
uid cannot enter), so the module builds, once, a virtualenv from Debian's ``/usr/bin/python3`` in the git-ignored
``.venv-fallback/`` (the kit's runtime dependencies only, as Gradescope's setup.sh installs them) and grades with
THAT interpreter from world-readable copies of the kit under /tmp (pytest's own tmp_path is under a 0700 folder).

What the gradings show:

* the reference solution, with training, gets 100 and ``extra_data.isolation == "unprivileged"``;
* the untouched stubs get 0, every test saying "not implemented";
* a forger cannot write results.json into the out folder, nor anything into the grader's source folder, and
  reads neither the solution nor the hidden tests: ``autograder/``, ``solution/`` and ``tests_hidden/`` are 0700
  (as Gradescope's setup.sh makes them, and as the grader itself makes them before a fallback worker starts when
  a deployment left them world-readable), so softmax returns garbage and fails while the grader, as root, still
  runs the hidden tests;
* a double-forked ``setsid`` grandchild started by a student function outlives the call and is killed at the end
  of the grading: no process of the sandbox's uid remains;
* Gradescope's zip (setup.sh + run_autograder, with this venv as its ``source/.venv``) grades the solution to 100
  with ``AUTOGRADER_ARGS="--isolation unprivileged"``;
* containment (tests/adversarial cases graded here): untouched stubs that hunt for the reference in the kit's
  ``.git`` objects, ``dist/`` zip and notebook and another student's outputs read nothing and get 0 (the grader
  closes its project root to others; staff outputs are 0600 in 0700 folders); a memfd + /dev/shm bomb is killed at
  the cgroup's memory limit (the host's available memory drops by less than that); a 0666 SysV segment does not
  outlive the grading.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import zipfile
import zlib
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.builders import package
from autograder.grading.sandbox import SYSTEM_PATH, UIDS, Limits, probe_cgroup, uid_processes
from data.fetch import is_complete
from submissions import make_submission
from test_package import check_gradescope_schema, unpack

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-fallback"  # git-ignored; reused across runs while its stamp matches
SYSTEM_PYTHON = Path("/usr/bin/python3")
MNIST = ROOT / "data" / "mnist"
SEED = 1
FORGED = "FORGED"
KIT_PARTS = ("pyproject.toml", "autograder", "solution", "tests_hidden", "tests_public", "assignment", "data")
SECRETS = ("autograder", "solution", "tests_hidden")  # what setup.sh makes 0700
CASES = ROOT / "tests/adversarial"
GRADER_FILES = {"results.json", "submission", "curves.png", "report.html", "report.md"}

if os.geteuid() != 0:
    pytest.skip("the autograder's sandbox needs root", allow_module_level=True)
for _tool in ("setpriv", "prlimit"):
    if not shutil.which(_tool, path=SYSTEM_PATH + ":/usr/sbin:/sbin"):
        pytest.skip(f"the sandbox needs util-linux's {_tool}", allow_module_level=True)

pytestmark = pytest.mark.slow
TIMES: dict[str, str] = {}  # what each grading cost, printed (past the capture) by the test that reads it


# ------------------------------------------------------------------------------------------- environment
def clean_env(**extra: str) -> dict[str, str]:
    """A minimal environment: no venv, pyenv or PYTHONPATH of the caller leaks into the fallback grader."""
    return {"PATH": SYSTEM_PATH, "LANG": "C.UTF-8", "HOME": os.environ.get("HOME", "/root"),
            "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"} | extra


def others_can_reach(path: Path) -> str | None:
    """The first directory on the way to ``path`` (itself included) that others cannot search, if any."""
    for folder in [*reversed(path.parents), path]:
        if folder.exists() and not folder.stat().st_mode & stat.S_IXOTH:
            return f"{folder} is mode {stat.S_IMODE(folder.stat().st_mode):04o}"
    return None


def world_dir(prefix: str) -> Path:
    """A fresh folder under /tmp that others may enter (tempfile makes it 0700)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    folder.chmod(0o755)
    return folder


@pytest.fixture(scope="module")
def python() -> Path:
    """The fallback venv's interpreter: Debian's python3 plus the kit's runtime dependencies (built once)."""
    if not SYSTEM_PYTHON.exists():
        pytest.skip(f"{SYSTEM_PYTHON} is not installed")
    version = subprocess.run([SYSTEM_PYTHON, "-c", "import sys; print(*sys.version_info[:3])"],
                             capture_output=True, text=True).stdout.split()
    if [int(v) for v in version[:2]] < [3, 11]:
        pytest.skip(f"{SYSTEM_PYTHON} is {'.'.join(version)}; the grader needs 3.11+ (tomllib)")
    if blocker := others_can_reach(VENV.parent):
        pytest.skip(f"the fallback venv must be readable by the sandbox's uid, but {blocker}")
    if not is_complete(MNIST):
        pytest.skip("MNIST is missing: run `python -m data.fetch`")
    if blocker := others_can_reach(MNIST):
        pytest.skip(f"MNIST must be readable by the sandbox's uid, but {blocker}")

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    stamp_text = json.dumps({"python": str(SYSTEM_PYTHON.resolve()), "version": version, "deps": deps})
    stamp = VENV / ".kit-stamp"
    bin_python = VENV / "bin/python"
    if stamp.is_file() and stamp.read_text() == stamp_text and bin_python.exists():
        return bin_python

    shutil.rmtree(VENV, ignore_errors=True)
    env = clean_env()
    made = subprocess.run([SYSTEM_PYTHON, "-m", "venv", VENV], capture_output=True, text=True, env=env)
    if made.returncode != 0 and shutil.which("apt-get"):  # Debian splits venv/ensurepip into python3-venv
        shutil.rmtree(VENV, ignore_errors=True)
        apt_env = env | {"DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=apt_env, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "python3-venv"], capture_output=True, env=apt_env,
                       timeout=600)
        made = subprocess.run([SYSTEM_PYTHON, "-m", "venv", VENV], capture_output=True, text=True, env=env)
    if made.returncode != 0:
        shutil.rmtree(VENV, ignore_errors=True)
        pytest.skip(f"`{SYSTEM_PYTHON} -m venv` failed: {made.stderr[-800:]}")
    pip_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    installed = subprocess.run([bin_python, "-m", "pip", "install", "--quiet", *deps], capture_output=True,
                               text=True, env=pip_env, timeout=900)
    if installed.returncode != 0:
        shutil.rmtree(VENV, ignore_errors=True)
        pytest.skip(f"installing {deps} into the fallback venv failed: {installed.stderr[-1500:]}")
    subprocess.run(["chmod", "-R", "a+rX", VENV], check=True)  # whatever the umask was
    stamp.write_text(stamp_text)
    return bin_python


def copy_kit(folder: Path) -> Path:
    """A world-readable copy of the grader's files (the working tree, without caches and MNIST), MNIST linked."""
    folder.mkdir()
    kit = folder / "kit"
    kit.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "mnist")
    for part in KIT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, kit / part, ignore=ignore)
        else:
            shutil.copy2(source, kit / part)
    (kit / "data/mnist").symlink_to(MNIST)
    subprocess.run(["chmod", "-R", "a+rX", kit], check=True)
    return kit


def tree_digest(folder: Path) -> dict[str, str]:
    """Path -> SHA-256 (or mode) of everything under ``folder`` but what the grader (root) itself writes there:
    Python's bytecode caches and Hypothesis's cache of source constants (its cwd's .hypothesis/, files 0600)."""
    digests = {}
    for path in sorted(folder.rglob("*")):
        if {"__pycache__", ".hypothesis"} & set(path.parts) or path.is_symlink():
            continue
        relative = str(path.relative_to(folder))
        digests[relative] = (hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file()
                             else oct(path.stat().st_mode))
    return digests


@pytest.fixture(scope="module")
def work() -> Path:
    folder = world_dir("fallback-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def open_kit(work) -> Path:
    """A copy of the kit with everything world-readable: what a careless deployment looks like."""
    return copy_kit(work / "open")


@pytest.fixture(scope="module")
def private_kit(work) -> Path:
    """A copy of the kit with the grader, the solution and the hidden tests 0700, as Gradescope's setup.sh does."""
    kit = copy_kit(work / "private")
    for secret in SECRETS:
        (kit / secret).chmod(0o700)
    return kit


@dataclass
class Graded:
    data: dict
    seconds: float
    out: Path
    proc: subprocess.CompletedProcess
    memory_drop: int = 0  # how far the host's available memory fell below its level at the start, in bytes

    @property
    def tests(self) -> dict[str, dict]:
        return {t["name"]: t for t in self.data["tests"]}

    @property
    def worker_output(self) -> str:
        return self.data["extra_data"].get("worker_output", "")


def grade(python: Path, kit: Path, upload: Path, out: Path, training: bool, label: str) -> Graded:
    """`python -m autograder grade` at the unprivileged level, run by the fallback venv from ``kit``."""
    command = [python, "-m", "autograder", "grade", upload, "--out", out, "--seed", str(SEED),
               "--isolation", "unprivileged", "--quiet"] + ([] if training else ["--no-training"])
    start = time.perf_counter()
    before = lowest = available_memory()
    done = threading.Event()

    def sample() -> None:
        nonlocal lowest
        while not done.wait(0.02):
            lowest = min(lowest, available_memory())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        proc = subprocess.run(command, cwd=kit, env=clean_env(), capture_output=True, text=True, timeout=400)
    finally:
        done.set()
        sampler.join()
    seconds = time.perf_counter() - start
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    data = json.loads((out / "results.json").read_text())
    extra = data["extra_data"]
    assert not extra.get("grader_error"), extra["grader_error"]
    assert extra["isolation"] == "unprivileged", extra
    assert FORGED not in json.dumps(data)
    assert set(os.listdir(out)) <= GRADER_FILES, os.listdir(out)
    training_seconds = extra.get("training", {}).get("seconds")
    TIMES[label] = (f"{seconds:.1f} s wall (grader's execution_time {data['execution_time']} s"
                    + (f", training {training_seconds} s" if training_seconds is not None else "") + ")")
    assert stat.S_IMODE(out.stat().st_mode) == 0o700 and stat.S_IMODE((out / "results.json").stat().st_mode) == 0o600
    for report in ("report.html", "report.md"):
        assert not (out / report).exists() or stat.S_IMODE((out / report).stat().st_mode) == 0o600
    return Graded(data, seconds, out, proc, before - lowest)


def available_memory() -> int:
    with open("/proc/meminfo") as f:
        return int(next(line for line in f if line.startswith("MemAvailable")).split()[1]) << 10


def show_time(capsys, label: str) -> None:
    """Print what a grading cost (once per label), past pytest's capture."""
    if label in TIMES:
        with capsys.disabled():
            print(f"\n[fallback] {label}: {TIMES.pop(label)}")


# ------------------------------------------------------------------------------------------- submissions
def forger_source(kit: Path, out: Path) -> str:
    """Appended to the solution: writes a forged results.json into the out folder (guessed from mlp.py's path)
    and into the grader's source folder, reads the solution and the hidden tests, and borrows the reference's
    softmax if it could read it (else returns garbage). At import and again in the first softmax call."""
    return f'''
import json as _json
import os as _os
from pathlib import Path as _Path

_KIT = _Path({str(kit)!r})
_OUT = _Path({str(out)!r})
_FORGED = {{"score": 100.0, "output": "{FORGED} results.json", "tests": []}}
_stolen = None
_tried_in_call = False


def _attack(when):
    global _stolen
    here = _Path(__file__).resolve().parent  # the grader's private copy of <out>/submission
    wrote = []
    for target in (_OUT / "results.json", here.parent / "results.json", here / "results.json", _KIT / "results.json",
                   _KIT / "autograder/grading/results.json", _KIT / "autograder/grading/scoring.toml",
                   _KIT / "tests_hidden/conftest.py", _KIT / "solution/mlp.py"):
        try:
            target.write_text(_json.dumps(_FORGED))
            wrote.append(f"{{target}}: written")
        except OSError as error:
            wrote.append(f"{{target}}: {{type(error).__name__}}")
    found = {{}}
    for relative in ("solution/mlp.py", "autograder/grading/scoring.toml", "autograder/grading/checks.py"):
        try:
            found[relative] = (_KIT / relative).read_text()
        except OSError as error:
            wrote.append(f"read {{relative}}: {{type(error).__name__}}")
    try:
        for path in sorted((_KIT / "tests_hidden").iterdir()):
            found["tests_hidden/" + path.name] = path.read_text()
    except OSError as error:
        wrote.append(f"list tests_hidden: {{type(error).__name__}}")
    print(f"forger ({{when}}, uid {{_os.getuid()}}) attempts:", "; ".join(wrote), flush=True)
    print(f"forger ({{when}}) read:", ", ".join(sorted(found)) or "nothing", flush=True)
    if "solution/mlp.py" in found and _stolen is None:
        namespace = {{}}
        exec(found["solution/mlp.py"], namespace)
        _stolen = namespace["softmax"]
        print("forger: stole the reference softmax", flush=True)


_attack("import")


def softmax(logits):
    global _tried_in_call
    if not _tried_in_call:
        _tried_in_call = True
        _attack("softmax")
    if _stolen is not None:
        return _stolen(logits)
    return np.full_like(logits, 0.5)
'''


def grandchild_source(beacon: Path) -> str:
    """Appended to the solution: the first call of any graded function double-forks a setsid grandchild (all fds
    closed) that writes its pid and uid, then a heartbeat every 50 ms, into ``beacon`` for ever; the function
    itself notes when that first call returned, and answers right."""
    return f'''
import functools as _functools
import os as _os
import time as _time

_BEACON = {str(beacon)!r}
_spawned = False


def _spawn():
    pid = _os.fork()
    if pid:
        _os.waitpid(pid, 0)
        return
    try:
        _os.setsid()
        if _os.fork() == 0:
            _os.closerange(0, 1024)
            with open(_BEACON, "a") as f:
                f.write(f"pid {{_os.getpid()}} {{_os.getuid()}}\\n")
            while True:
                with open(_BEACON, "a") as f:
                    f.write(f"beat {{_time.time()}}\\n")
                _time.sleep(0.05)
    finally:
        _os._exit(0)


def _first_call_spawns(fn):
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        global _spawned
        if _spawned:
            return fn(*args, **kwargs)
        _spawned = True
        _spawn()
        print(f"grandchild spawned in {{fn.__name__}}", flush=True)
        try:
            return fn(*args, **kwargs)
        finally:
            with open(_BEACON, "a") as f:
                f.write(f"returned {{_time.time()}}\\n")
    return wrapper


relu_grad = _first_call_spawns(relu_grad)
softmax = _first_call_spawns(softmax)
cross_entropy = _first_call_spawns(cross_entropy)
backward = _first_call_spawns(backward)
sgd_step = _first_call_spawns(sgd_step)
'''


# ------------------------------------------------------------------------------------------- gradings
@pytest.fixture(scope="module")
def reference(python, private_kit, work) -> Graded:
    upload = make_submission(work / "reference/upload")
    return grade(python, private_kit, upload, work / "reference/out", True, "reference, with training")


@pytest.fixture(scope="module")
def stubs(python, private_kit, work) -> Graded:
    upload = work / "stubs/upload"
    upload.mkdir(parents=True)
    shutil.copyfile(private_kit / "assignment/mlp.py", upload / "mlp.py")
    return grade(python, private_kit, upload, work / "stubs/out", True, "untouched stubs, with training")


@pytest.fixture(scope="module")
def forger_private(python, private_kit, work) -> tuple[Graded, dict, dict]:
    before = tree_digest(private_kit)
    upload = make_submission(work / "forger_private/upload", forger_source(private_kit, work / "forger_private/out"))
    graded = grade(python, private_kit, upload, work / "forger_private/out", False, "forger, secrets 0700")
    return graded, before, tree_digest(private_kit)


@pytest.fixture(scope="module")
def forger_open(python, open_kit, work) -> tuple[Graded, dict, dict]:
    before = tree_digest(open_kit)
    upload = make_submission(work / "forger_open/upload", forger_source(open_kit, work / "forger_open/out"))
    graded = grade(python, open_kit, upload, work / "forger_open/out", False, "forger, secrets world-readable")
    return graded, before, tree_digest(open_kit)


# ------------------------------------------------------------------------------------------- tests
def test_reference_gets_full_marks_at_the_fallback_level(reference, capsys):
    show_time(capsys, "reference, with training")
    data = reference.data
    assert data["score"] == 100, data["output"]
    assert len(data["tests"]) == 11 and all(t["status"] == "passed" for t in data["tests"]), data["tests"]
    assert data["extra_data"]["isolation"] == "unprivileged"
    assert data["extra_data"]["training"]["audits"] > 0
    assert (reference.out / "curves.png").is_file()


def test_untouched_stubs_get_zero(stubs, capsys):
    show_time(capsys, "untouched stubs, with training")
    data = stubs.data
    assert data["score"] == 0, data["output"]
    assert len(data["tests"]) == 11
    for test in data["tests"]:
        assert test["status"] == "failed" and "not implemented" in test["output"], test


def test_forger_writes_nothing_and_reads_no_secret_when_they_are_0700(forger_private, private_kit, capsys):
    """setup.sh's 0700 on autograder/, solution/ and tests_hidden/: the worker's uid reads none of them and writes
    nowhere that matters; the grader (root) still reads them (the hidden tests ran: relu_grad's passed)."""
    show_time(capsys, "forger, secrets 0700")
    graded, before, after = forger_private
    said = graded.worker_output
    assert "forger (import, uid 6" in said and "forger (softmax" in said, said[:3000]
    assert "read: nothing" in said and "stole" not in said, said[:3000]
    for secret in ("solution/mlp.py", "autograder/grading/scoring.toml", "autograder/grading/checks.py"):
        assert f"read {secret}: PermissionError" in said, said[:3000]
    assert "list tests_hidden: PermissionError" in said
    assert ": written" not in said, said[:3000]
    assert f"{graded.out}/results.json: PermissionError" in said
    assert f"{private_kit}/results.json: PermissionError" in said
    tests = graded.tests
    for kind in ("public", "hidden"):
        assert tests[f"softmax ({kind} tests)"]["status"] == "failed"
        for fn in ("relu_grad", "sgd_step"):
            assert tests[f"{fn} ({kind} tests)"]["status"] == "passed", tests[f"{fn} ({kind} tests)"]
    assert graded.data["score"] < 75
    assert after == before, "the grader's source folder changed"
    assert sorted(p.name for p in (graded.out / "submission").iterdir()) == ["mlp.py"]
    for secret in SECRETS:
        assert stat.S_IMODE((private_kit / secret).stat().st_mode) == 0o700


def test_world_readable_secrets_are_closed_before_a_fallback_worker_starts(forger_open, open_kit, capsys):
    """A careless deployment leaves the whole kit world-readable; with no filesystem isolation at this level it would
    be the student's, so before the first worker starts the grader takes group and others' permissions off every
    entry of its project root but the way to MNIST (remote.close_secrets). The forger reads nothing, writes nothing
    and fails softmax."""
    show_time(capsys, "forger, secrets world-readable before grading")
    graded, before, after = forger_open
    said = graded.worker_output
    assert "forger: stole the reference softmax" not in said, said[:3000]
    assert graded.tests["softmax (hidden tests)"]["status"] == "failed"
    assert ": written" not in said, said[:3000]
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert after.keys() == before.keys() and all("/" not in k for k in changed), \
        f"the grader's source folder changed beyond the modes of its top-level folders: {sorted(changed)}"
    for entry in open_kit.iterdir():  # .hypothesis/: the grader's own cache, made later (its files are 0600)
        mode = stat.S_IMODE(entry.lstat().st_mode)
        assert entry.name in ("data", ".hypothesis") or entry.is_symlink() or not mode & 0o077, (entry, oct(mode))
    assert [e.name for e in (open_kit / "data").iterdir() if e.lstat().st_mode & 0o077 and not e.is_symlink()] == []


def test_setsid_grandchild_outlives_the_call_and_is_killed(python, private_kit, work, capsys):
    beacons = work / "beacons"
    beacons.mkdir(mode=0o777)
    beacons.chmod(0o777)  # the sandbox's uid creates its file here
    beacon = beacons / "grandchild"
    beacon.touch()
    beacon.chmod(0o666)  # root's: kill() removes what the sandbox's uid owns in world-writable places
    upload = make_submission(work / "grandchild/upload", grandchild_source(beacon))
    graded = grade(python, private_kit, upload, work / "grandchild/out", False, "setsid grandchild")
    show_time(capsys, "setsid grandchild")
    assert graded.data["score"] == 75, graded.data["output"]  # no training: 75 points of unit tests
    assert "grandchild spawned in " in graded.worker_output, graded.worker_output[:2000]
    lines = [line.split() for line in beacon.read_text().splitlines()]
    (pid, uid), = [tuple(map(int, rest)) for kind, *rest in lines if kind == "pid"]
    (returned,), = [tuple(map(float, rest)) for kind, *rest in lines if kind == "returned"]
    beats = [float(rest[0]) for kind, *rest in lines if kind == "beat"]
    assert uid in UIDS, uid
    assert len([b for b in beats if b > returned]) >= 3, (returned, beats)  # it ran on after the call returned
    size = beacon.stat().st_size
    time.sleep(1)
    assert beacon.stat().st_size == size, "the grandchild still writes after the grading"
    assert not uid_processes(uid), f"processes of the sandbox uid {uid} survived: {uid_processes(uid)}"
    try:  # gone, a zombie (dead; this host's pid 1 reaps orphans lazily) or the pid reused by another uid
        status = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        assert status["State"].startswith(("Z", "X")) or status["Uid"].split()[0] != str(uid), status
    except FileNotFoundError:
        pass


def test_gradescope_zip_grades_the_solution_at_the_fallback_level(python, work, capsys):
    zip_path = package.build_gradescope(work / "gradescope_autograder.zip")
    root = work / "gradescope/autograder"
    source = unpack(zip_path, root / "source")
    for folder in (root.parent, root, source):
        folder.chmod(0o755)  # whatever the umask: the sandbox's uid must reach source/.venv
    (source / "data/mnist").symlink_to(MNIST)
    (source / ".venv").symlink_to(VENV)  # setup.sh's virtualenv, already built (SKIP_INSTALL=1)
    env = clean_env(AUTOGRADER_ROOT=str(root))
    setup = subprocess.run(["bash", source / "setup.sh"], env=env | {"SKIP_INSTALL": "1"}, capture_output=True,
                           text=True, timeout=120)
    assert setup.returncode == 0 and "MNIST ready" in setup.stdout, setup.stdout + setup.stderr
    assert f"python: {source}/.venv/bin/python3" in setup.stdout, setup.stdout
    for secret in SECRETS:
        assert stat.S_IMODE((source / secret).stat().st_mode) == 0o700
    (root / "submission").mkdir()
    shutil.copyfile(ROOT / "solution/mlp.py", root / "submission/mlp.py")
    start = time.perf_counter()
    run = subprocess.run([source / "run_autograder"], capture_output=True, text=True, timeout=600,
                         env=env | {"AUTOGRADER_ARGS": f"--isolation unprivileged --seed {SEED}"})
    seconds = time.perf_counter() - start
    assert run.returncode == 0, run.stdout + run.stderr
    data = json.loads((root / "results/results.json").read_text())
    check_gradescope_schema(data)
    TIMES["Gradescope run_autograder, solution"] = (f"{seconds:.1f} s wall (grader's execution_time "
                                                    f"{data['execution_time']} s)")
    show_time(capsys, "Gradescope run_autograder, solution")
    assert data["score"] == 100, data["output"] + run.stdout + run.stderr
    assert data["extra_data"]["isolation"] == "unprivileged"
    assert not data["extra_data"].get("grader_error")


def test_the_kits_own_venv_is_refused_with_the_blocking_directory(work):
    """Why this module builds its own venv: the grader under a pyenv interpreter in the 0700 /root cannot run the
    fallback; it says so (an internal error naming the directory) instead of grading with a broken worker."""
    blocker = others_can_reach(Path(sys.base_prefix))
    if blocker is None:
        pytest.skip(f"the kit's interpreter ({sys.base_prefix}) is readable by others here")
    upload = make_submission(work / "own_venv/upload")
    out = work / "own_venv/out"
    kit = copy_kit(work / "own_venv/kit")  # a copy: a fallback grading closes its kit's secrets (chmod 0700)
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", upload, "--out", out, "--seed", str(SEED),
                           "--isolation", "unprivileged", "--no-training", "--quiet"], cwd=kit, env=clean_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr  # a grader error: exit status 1, and still a valid results.json
    data = json.loads((out / "results.json").read_text())
    assert data["score"] == 0 and "SandboxError" in data["extra_data"].get("grader_error", "")
    message = data["tests"][0]["output"]
    assert "the unprivileged level cannot run this worker" in message and blocker.split()[0] in message, message


# ------------------------------------------------------------------------------------------- containment
def case_source(name: str) -> str:
    return (CASES / f"{name}.py").read_text()


def plant_kit_secrets(kit: Path) -> list[Path]:
    """What a real checkout has beside the kit, world-readable, each holding the reference: a loose git object, a
    pack, the Gradescope zip and the nbgrader notebook."""
    solution = (kit / "solution/mlp.py").read_text()
    planted = {kit / ".git/objects/ab/cdef0123": zlib.compress(f"blob {len(solution)}\0{solution}".encode()),
               kit / ".git/objects/pack/pack-1.pack": solution.encode(),
               kit / "dist/nbgrader/source/mlp/mlp.ipynb":
                   json.dumps({"cells": [{"cell_type": "code", "source": solution}]}).encode()}
    for path, data in planted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with zipfile.ZipFile(kit / "dist/gradescope_autograder.zip", "w") as archive:
        archive.writestr("solution/mlp.py", solution)
    subprocess.run(["chmod", "-R", "a+rX", kit], check=True)
    return [*planted, kit / "dist/gradescope_autograder.zip"]


def test_stubs_hunting_the_kit_and_other_students_read_nothing(python, capsys):
    """tests/adversarial/read_kit_secrets.py at the fallback level, from a world-readable kit with .git objects, a
    dist/ zip and notebook planted, next to another student's graded outputs: it walks the folders of the grader's
    command line and reads nothing, so it keeps the untouched stubs' 0."""
    work = world_dir("fallback-readkit-")
    try:
        kit = copy_kit(work / "k")
        planted = plant_kit_secrets(kit)
        alice = grade(python, kit, make_submission(work / "alice/upload"), work / "alice/out", False, "alice")
        assert alice.data["score"] == 75
        graded = grade(python, kit, make_submission(work / "bob/upload", case_source("read_kit_secrets")),
                       work / "bob/out", False, "stubs hunting the kit")
        show_time(capsys, "stubs hunting the kit")
        said = graded.worker_output
        assert "read nothing of the kit" in said and "stole" not in said, said[:3000]
        assert graded.data["score"] == 0, graded.data["output"]
        assert all(path.is_file() for path in planted)  # closed, not removed: the grader (root) still has them
        for top in (".git", "dist", "solution", "tests_hidden", "autograder", "tests_public", "assignment"):
            assert not (kit / top).stat().st_mode & 0o077, top
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_memfd_and_shm_bomb_is_bounded_at_the_fallback_level(python, private_kit, work, capsys):
    """tests/adversarial/memfd_memory_bomb.py: memfds until the descriptors run out, then files in the host's
    /dev/shm. The worker's cgroup charges them: the kernel kills it at the limit, softmax fails, the rest passes,
    the host's available memory falls by less than the limit, and the files are gone afterwards."""
    level = probe_cgroup()
    graded = grade(python, private_kit, make_submission(work / "memfd/upload", case_source("memfd_memory_bomb")),
                   work / "memfd/out", False, "memfd + /dev/shm bomb")
    show_time(capsys, "memfd + /dev/shm bomb")
    limit = Limits().cgroup_memory_bytes if level != "none" else 4 << 30  # none: Docker's /dev/shm is 64 MB
    with capsys.disabled():
        print(f"\n[fallback] memfd + /dev/shm bomb, cgroup {level}: host available memory fell by "
              f"{graded.memory_drop >> 20} MiB")
    tests = graded.tests
    assert tests["softmax (public tests)"]["status"] == "failed"
    for fn in ("relu_grad", "cross_entropy", "backward", "sgd_step"):
        assert tests[f"{fn} (public tests)"]["status"] == "passed", tests[f"{fn} (public tests)"]
    assert graded.memory_drop < limit + (640 << 20), graded.memory_drop  # + the grader's own ~300 MB, other users
    if level != "none":  # killed at the cgroup's limit, or (on a loaded machine, filling it takes longer) at 10 s
        output = tests["softmax (public tests)"]["output"]
        assert "died" in output or "timed out after" in output, output[:500]
    assert not [p for p in Path("/dev/shm").glob("bomb-*") if p.stat().st_uid in UIDS]


def test_sysv_segment_does_not_outlive_the_grading(python, private_kit, work):
    """tests/adversarial/sysv_shm_leak.py: each worker makes a 0666 SysV segment with a fixed key; no later worker
    finds an earlier one, and none is left on the host after the grading."""
    key = 0x5EED5EED
    assert f"KEY = {key:#X}".replace("0X", "0x") in case_source("sysv_shm_leak")
    graded = grade(python, private_kit, make_submission(work / "sysv/upload", case_source("sysv_shm_leak")),
                   work / "sysv/out", False, "SysV segment")
    assert "no SysV segment of an earlier worker" in graded.worker_output, graded.worker_output[:2000]
    assert "found SysV segment" not in graded.worker_output
    keys = {int(line.split()[0]) for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]}
    assert key not in keys
