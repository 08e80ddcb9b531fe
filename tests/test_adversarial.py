"""Hostile and broken submissions (tests/adversarial/, see its README.md), graded for real: the CLI, the sandbox and
the worker, exactly as in production. Each case declares its verdict; every case must also leave a valid
results.json written by the grader, nothing forged, no grader error and no process behind.

All gradings run once, two at a time, in a module fixture (~2 min on 2 cores); the tests then only read results.
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder.grading import results
from autograder.grading.sandbox import UIDS, uid_processes
from autograder.grading.scoring import TRAINING_TEST
from submissions import make_submission, processes_mentioning

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "adversarial"
SEED = 4242
REFERENCE_SEEDS = (1,)  # the hidden sweep varies seeds in-process; other real gradings of the reference train too
JOBS = 2
FORGED = "FORGED"  # every forgery in the corpus carries this word; the grader never writes it
MAX_RESULTS_BYTES = 200_000
FUNCTIONS = ("relu_grad", "softmax", "cross_entropy", "backward", "sgd_step")
HOST_TMP_RESULTS = Path("/tmp/results.json")
GRADER_FILES = {"results.json", "submission", "curves.png", "report.html", "report.md"}  # what grade (CLI) writes
WORK: list[str] = []  # the folder of this run's uploads and grades

if os.geteuid() != 0:
    pytest.skip("the autograder's sandbox needs root", allow_module_level=True)


# ------------------------------------------------------------------------------------------- the corpus
@dataclass
class Case:
    name: str
    expect: dict
    build: str = "append"
    training: bool = False
    known_bug: str | None = None
    seed: int = SEED
    source: str = ""

    @property
    def cost(self) -> int:  # schedule the long gradings first
        return 100 if self.training else 20 if any(w in self.source for w in ("sleep", "while True")) else 1


def read_case(path: Path) -> Case:
    """The constants of a case file, read with ast (the file itself is never run by the test)."""
    source = path.read_text()
    values = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in ("EXPECT", "BUILD", "TRAINING", "KNOWN_BUG"):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    assert isinstance(values.get("EXPECT"), dict), f"{path.name}: EXPECT must be a literal dict"
    unknown = set(values["EXPECT"]) - {"score", "failed", "passed", "timed_out", "not_timed_out", "partial",
                                       "output", "notes", "worker_output", "status"}
    assert not unknown, f"{path.name}: unknown EXPECT keys {unknown}"
    return Case(path.stem, values["EXPECT"], values.get("BUILD", "append"), values.get("TRAINING", False),
                values.get("KNOWN_BUG"), source=source)


def corpus() -> list[Case]:
    cases = [read_case(path) for path in sorted(CASES.glob("*.py"))]
    cases += [Case(f"reference_seed_{seed}", {"score": 100, "passed": ["*"], "status": "graded"}, "reference",
                   True, seed=seed) for seed in REFERENCE_SEEDS]
    return cases


# ------------------------------------------------------------------------------------------- builders
def _zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _solution() -> str:
    return (ROOT / "solution/mlp.py").read_text()


def build(case: Case, folder: Path) -> Path:
    """Create the upload of ``case`` under ``folder`` and return its path (a folder or a .zip)."""
    folder.mkdir(parents=True)
    if case.build == "append":
        return make_submission(folder / "upload", case.source)
    if case.build == "reference":
        return make_submission(folder / "upload")
    if case.build == "stubs":
        (folder / "upload").mkdir()
        shutil.copyfile(ROOT / "assignment/mlp.py", folder / "upload/mlp.py")
        return folder / "upload"
    if case.build == "latin1_source":
        (folder / "upload").mkdir()
        text = _solution() + "\n# r\xe9sum\xe9 de la fonction, \xe0 revoir\n"
        (folder / "upload/mlp.py").write_bytes(text.encode("latin-1"))
        return folder / "upload"
    upload = folder / "upload.zip"
    if case.build == "zip_with_startup_files":
        forge = f"open('/tmp/results.json', 'w').write('{FORGED}')\nraise SystemExit('{FORGED} ran')\n"
        return _zip(upload, {"hw/mlp.py": _solution(), "hw/conftest.py": forge, "hw/numpy.py": forge,
                             "hw/sitecustomize.py": forge, "hw/evil.pth": "import os; os.system('touch /tmp/x')\n",
                             "hw/REPORT.md": "# report\n"})
    if case.build == "malformed_zip":
        upload.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
        return upload
    if case.build == "zip_dotdot":
        return _zip(upload, {"mlp.py": _solution(), "../mlp.py": _solution() + "\n# " + FORGED + "\n",
                             "a/../../evil.py": FORGED})
    if case.build == "zip_bomb":
        return _zip(upload, {"mlp.py": _solution(), "weights.bin": bytes(19_000_000)})
    if case.build == "zip_lying_sizes":
        big = _solution() + "#" * 5_000_000 + "\n"
        _zip(upload, {"mlp.py": big})
        data = bytearray(upload.read_bytes())
        local = data.index(b"PK\x03\x04")
        central = data.index(b"PK\x01\x02")
        data[local + 22:local + 26] = (1000).to_bytes(4, "little")  # uncompressed size, local header
        data[central + 24:central + 28] = (1000).to_bytes(4, "little")  # ... and central directory
        upload.write_bytes(bytes(data))
        return upload
    raise AssertionError(f"{case.name}: unknown BUILD {case.build!r}")


# ------------------------------------------------------------------------------------------- grading
@dataclass
class Graded:
    case: Case
    out: Path
    proc: subprocess.CompletedProcess
    seconds: float
    ended: float  # time.monotonic() when the CLI returned
    raw: bytes = b""
    data: dict | None = None
    mtime: int = 0
    leftovers: list[str] = field(default_factory=list)


def _not_json(name: str):
    raise ValueError(f"{name} is not JSON")


def grade(case: Case, work: Path) -> Graded:
    upload = build(case, work / case.name)
    out = work / case.name / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(upload), "--out", str(out), "--seed",
               str(case.seed), "--quiet"] + ([] if case.training else ["--no-training"])
    start = time.monotonic()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=400)
    graded = Graded(case, out, proc, time.monotonic() - start, time.monotonic())
    results = out / "results.json"
    if results.exists():
        graded.raw = results.read_bytes()
        graded.mtime = results.stat().st_mtime_ns
        try:  # strict JSON: Gradescope rejects NaN and Infinity
            graded.data = json.loads(graded.raw, parse_constant=_not_json)
        except ValueError:
            pass
    deadline = time.monotonic() + 5
    while (leftovers := processes_mentioning(str(out))) and time.monotonic() < deadline:
        time.sleep(0.2)
    graded.leftovers = leftovers
    return graded


@pytest.fixture(scope="module")
def graded() -> dict[str, Graded]:
    tmp_existed = HOST_TMP_RESULTS.exists() and HOST_TMP_RESULTS.read_bytes()
    work = Path(tempfile.mkdtemp(prefix="adversarial-"))
    WORK[:] = [str(work)]
    cases = sorted(corpus(), key=lambda c: -c.cost)
    start = time.monotonic()
    with ThreadPoolExecutor(JOBS) as pool:
        done = dict(zip([c.name for c in cases], pool.map(lambda c: grade(c, work), cases)))
    print(f"\ngraded {len(cases)} adversarial submissions in {time.monotonic() - start:.0f} s: " +
          ", ".join(f"{n} {g.seconds:.0f}s" for n, g in done.items()))
    after = HOST_TMP_RESULTS.exists() and HOST_TMP_RESULTS.read_bytes()
    assert after == tmp_existed, "a submission wrote the host's /tmp/results.json"
    yield done
    shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------------------------------- checks
def expand(names, tests: dict) -> list[str]:
    """Test names from the EXPECT shorthands: a function name -> its public and hidden tests, '*' -> all."""
    if isinstance(names, str):
        names = [names]
    full = []
    for name in names:
        if name == "*":
            full += list(tests)
        elif name in FUNCTIONS:
            full += [f"{name} (public tests)", f"{name} (hidden tests)"]
        elif name == "training":
            full.append(TRAINING_TEST)
        else:
            full.append(name)
    return full


def as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def invariant_problems(g: Graded) -> list[str]:
    """What must hold for every submission, however hostile."""
    problems = []
    if g.proc.returncode != 0 or "Traceback" in g.proc.stderr:
        problems.append(f"the CLI failed (exit {g.proc.returncode}): {g.proc.stderr[-2000:]}")
    if g.data is None:
        return problems + [f"no valid results.json in {g.out}"]
    data = g.data
    if len(g.raw) >= MAX_RESULTS_BYTES:
        problems.append(f"results.json is {len(g.raw)} bytes")
    if FORGED in g.raw.decode(errors="replace"):
        problems.append("results.json contains a forged marker")
    for key in ("score", "tests", "output", "execution_time", "leaderboard", "extra_data"):
        if key not in data:
            problems.append(f"results.json has no {key!r}")
    tests = data.get("tests", [])
    if not 0 <= data.get("score", -1) <= 100:
        problems.append(f"score {data.get('score')} is outside [0, 100]")
    if abs(data.get("score", 0) - sum(t["score"] for t in tests)) > 0.011:
        problems.append("the score is not the sum of the tests' scores")
    expected_names = [f"{f} ({k} tests)" for f in FUNCTIONS for k in ("public", "hidden")]
    names = [t["name"] for t in tests]
    if names[:10] != expected_names or len(names) not in (10, 11):
        problems.append(f"unexpected tests {names}")
    for t in tests:
        if not 0 <= t["score"] <= t["max_score"] + 1e-9:
            problems.append(f"{t['name']}: score {t['score']} outside [0, {t['max_score']}]")
        if t["status"] == "failed" and not t["output"].strip():
            problems.append(f"{t['name']} failed without a message")
    extra = set(os.listdir(g.out)) - GRADER_FILES
    if extra:
        problems.append(f"unexpected files in the out folder: {extra}")
    staged = g.out / "submission"
    if staged.exists():
        odd = [p.name for p in staged.iterdir() if p.name not in ("mlp.py", "REPORT.md") and p.suffix != ".png"]
        if odd:
            problems.append(f"unexpected files staged: {odd}")
    if g.leftovers:
        problems.append(f"processes of the submission survived the grading: {g.leftovers}")
    return problems


def verdict_problems(g: Graded) -> list[str]:
    """How the grade differs from the case's EXPECT (and whether the grader reported an error of its own)."""
    data, expect = g.data, g.case.expect
    tests = {t["name"]: t for t in data["tests"]}
    extra = data.get("extra_data", {})
    problems = []
    if extra.get("grader_error"):
        problems.append(f"grader error: {extra['grader_error'][-600:]}")
    if "score" in expect:
        low, high = expect["score"] if isinstance(expect["score"], list) else (expect["score"],) * 2
        if not low - 0.011 <= data["score"] <= high + 0.011:
            problems.append(f"score {data['score']} not in [{low}, {high}]")
    failed = expect.get("failed", {})
    failed = failed if isinstance(failed, dict) else {name: "" for name in as_list(failed)}
    for short, needle in failed.items():
        for name in expand(short, tests):
            t = tests.get(name)
            if t is None:
                problems.append(f"no test {name!r}")
            elif t["status"] != "failed" or t["score"] >= t["max_score"]:
                problems.append(f"{name} should fail, got {t['status']} {t['score']}/{t['max_score']}")
            elif needle not in t["output"]:
                problems.append(f"{name}: {needle!r} not in its output {t['output'][:400]!r}")
    for name in expand(expect.get("passed", []), tests):
        t = tests.get(name)
        if t is None or t["status"] != "passed" or t["score"] != t["max_score"]:
            problems.append(f"{name} should pass: {t and (t['score'], t['output'][:300])}")
    for name in expand(expect.get("partial", []), tests):
        t = tests.get(name)
        if t is None or not 0 < t["score"] < t["max_score"]:
            problems.append(f"{name} should earn partial credit: {t and t['score']}")
    for name in expand(expect.get("timed_out", []), tests):
        if "timed out" not in tests[name].get("tags", []) or "TIMED OUT" not in tests[name]["output"]:
            problems.append(f"{name} should be tagged 'timed out': {tests[name]['output'][:300]!r}")
    for name in expand(expect.get("not_timed_out", []), tests):
        if "timed out" in tests[name].get("tags", []):
            problems.append(f"{name} should not be 'timed out': {tests[name]['output'][:300]!r}")
    for needle in as_list(expect.get("output", [])):
        if needle not in data["output"]:
            problems.append(f"{needle!r} not in the output {data['output'][:600]!r}")
    notes = "\n".join(extra.get("intake_notes", []))
    for needle in as_list(expect.get("notes", [])):
        if needle not in notes:
            problems.append(f"{needle!r} not in the intake notes {notes!r}")
    for needle in as_list(expect.get("worker_output", [])):
        if needle not in extra.get("worker_output", ""):
            problems.append(f"{needle!r} not in the worker output {extra.get('worker_output', '')[:600]!r}")
    if "status" in expect and results.classify(data).name != expect["status"]:
        problems.append(f"gradebook status {results.classify(data).name!r}, expected {expect['status']!r}")
    return problems


# ------------------------------------------------------------------------------------------- tests
def test_corpus_is_complete():
    cases = {c.name: c for c in corpus()}
    assert len([c for c in cases.values() if c.build != "reference"]) >= 22
    for case in cases.values():
        assert case.expect, f"{case.name}: empty EXPECT"
    assert sum(c.training for c in cases.values()) >= 4  # the smuggler, the stubs and the reference's seeds


@pytest.mark.parametrize("name", [c.name for c in corpus()])
def test_verdict(graded, name):
    g = graded[name]
    problems = invariant_problems(g)
    assert not problems, f"{name}: " + "\n".join(problems)
    if g.case.training:
        assert len(g.data["tests"]) == 11, "a training grade must have the training test"
    problems = verdict_problems(g)
    if g.case.known_bug:
        if not problems:
            pytest.fail(f"{name}: the known bug seems fixed (the verdict is right now): remove KNOWN_BUG")
        pytest.xfail(f"known autograder bug: {g.case.known_bug} -- seen: " + "; ".join(problems)[:1500])
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_late_grandchild_changes_nothing(graded):
    """The setsid grandchild of setsid_grandchild.py would write 3 s after its import: 5 s after the grade,
    results.json is byte for byte the grader's."""
    g = graded["setsid_grandchild"]
    time.sleep(max(0.0, g.ended + 5 - time.monotonic()))
    results = g.out / "results.json"
    assert results.read_bytes() == g.raw and results.stat().st_mtime_ns == g.mtime
    assert not processes_mentioning(str(g.out))


def test_forgeries_landed_nowhere(graded):
    g = graded["forged_results"]
    assert not (g.out / "submission/results.json").exists()
    assert not (g.out.parent / "gradebook.csv").exists() and not (g.out / "gradebook.csv").exists()
    assert not Path("/autograder/results/results.json").exists()
    # what the worker saw: it runs from a private copy of the submission, so it cannot even name the out folder;
    # the copy is not writable; /tmp and $HOME are a private tmpfs (a write there succeeds but never reaches the
    # host: the fixture checks the host's /tmp/results.json)
    said = g.data["extra_data"]["worker_output"]
    assert "forge attempts:" in said and str(g.out) not in said, said[:2000]
    assert "submission/results.json: written" not in said, said[:2000]


def test_no_sandbox_process_left(graded):
    """Nothing started for these gradings runs any more (the uid check is global: skipped if another grading,
    not ours, is running on this machine)."""
    assert not processes_mentioning(WORK[0])
    deadline = time.monotonic() + 5
    while alive := {uid: pids for uid in UIDS if (pids := uid_processes(uid))}:
        if processes_mentioning("worker/serve.py"):  # checked each time: other test files grade in parallel
            pytest.skip("another grading is running on this machine")
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not alive, f"sandbox processes still alive: {alive}"


def test_big_output_is_truncated(graded):
    g = graded["print_1gb"]
    said = g.data["extra_data"]["worker_output"]
    assert len(said) < 70_000 and "bytes truncated" in said
    assert len(g.raw) < MAX_RESULTS_BYTES


def test_timeout_is_distinct_from_wrong(graded):
    slow = {t["name"]: t for t in graded["slow_softmax"].data["tests"]}["softmax (public tests)"]
    wrong = {t["name"]: t for t in graded["nan_inf_outputs"].data["tests"]}["softmax (public tests)"]
    assert "timed out" in slow.get("tags", []) and "TIMED OUT" in slow["output"]
    assert "timed out" not in wrong.get("tags", []) and "TIMED OUT" not in wrong["output"]
    assert results.classify(graded["slow_softmax"].data).name == "timed out" and results.classify(graded["nan_inf_outputs"].data).name == "graded"
