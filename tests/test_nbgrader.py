"""The nbgrader course built by `python -m autograder nbgrader`, driven through the real nbgrader CLI, and the parity
of the three routes to a grade.

The course is generated from the kit's own sources (solution/, data/, tests_public/): generate_assignment strips
every solution region and hidden test from the release; autograding gives the reference notebook 100 and the
untouched release 0 in every test cell; feedback shows no hidden test. Parity: submissions with several mistakes
from tests/buggy/ (one per function in all), correct ones written differently from the reference (tests/correct/,
full marks) and a hidden-only failure get the same per-function points from `nbgrader autograde`, from the kit's
CLI and from the Gradescope zip in a simulated /autograder root (same hidden seed). The one deliberate difference is the
training run: the notebook trains 2 epochs in the kernel (NOTEBOOK_EPOCHS), the kit 5 epochs in its sandbox,
audited; both score by the same accuracy rule, so the reference gets full training points on every route.
"""
from __future__ import annotations

import csv
import html
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.builders import generate
from autograder.grading import scoring
from submissions import BUGGY, CORRECT as CORRECT_DIR, buggy_constants

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed: run `make course-deps`")
pytest.importorskip("nbgrader", reason="nbgrader is not installed: run `make course-deps`")
pytest.importorskip("ipykernel", reason="ipykernel is not installed: run `make course-deps`")

from autograder.builders import nbgrader_course  # noqa: E402 (needs nbformat)

ROOT = Path(__file__).resolve().parent.parent
MNIST = ROOT / "data" / "mnist"
ASSIGNMENT = nbgrader_course.ASSIGNMENT
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SEED = "7"  # the hidden checks' seed on every route
# Buggy submissions graded on every route, each with several mistakes from tests/buggy/ (one per function in all,
# and the two the routes used to disagree on): each mistake must cost points in its own function only.
MISTAKES = {"two_mistakes": ("softmax_global_max", "backward_no_mean"),
            "three_mistakes": ("relu_grad_bool_dtype", "ce_sum_not_mean", "sgd_weights_only")}
# Correct code written differently from the reference (tests/correct/): full marks on every route.
CORRECT = ("everything_different", "float64_internals")
STUDENTS = ("reference", "stubs", "hidden_only", *MISTAKES, *CORRECT)
HIDDEN = re.compile(r"^### BEGIN HIDDEN TESTS$.*?^### END HIDDEN TESTS$", flags=re.S | re.M)
# Deliberately public: the correct relu_grad that backward's checks substitute (tests_public/substitutes.py), so a
# relu_grad mistake is charged to relu_grad only; relu_grad's docstring spells it out anyway.
ALLOWED = {"return (z > 0).astype(z.dtype)"}
HIDDEN_ONLY = ("return (z > 0).astype(z.dtype)",  # 1 at z == 0, except on some sizes: partial public and hidden credit
               "return ((z > 0) if z.size in (2, 6, 24) else (z >= 0)).astype(z.dtype)")


def run(cwd: Path, *args: str, timeout: float = 900, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MNIST_DIR": str(MNIST), "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "MLP_KIT_SEED": SEED, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           **extra}
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    return run(course, "-m", "nbgrader", *args)


def by_id(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


def page_text(path: Path) -> str:
    """The visible text of an HTML page, without tags and spaces (syntax-highlighted code reads as plain code)."""
    return "".join(html.unescape(re.sub(r"<[^>]+>", " ", path.read_text())).split())


def corpus_notebook(source: nbformat.NotebookNode, paths: list[Path]) -> nbformat.NotebookNode:
    """The reference notebook with corpus files' code where a student would write it: each graded function's
    definition appended to that function's answer cell, the rest of a file (imports, helpers, constants) to the
    first answer cell of a function the file defines."""
    import ast

    nb = nbformat.from_dict(source)
    cells = by_id(nb)
    for path in paths:
        text = path.read_text()
        tree = ast.parse(text)
        defined = [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in scoring.GRADED]
        first = min(defined, key=scoring.GRADED.index)
        for node in tree.body:
            target = node.name if isinstance(node, ast.FunctionDef) and node.name in defined else first
            cells[target].source += "\n\n\n" + ast.get_source_segment(text, node, padded=True)
    return nb


def hidden_only(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(source)
    answer = by_id(nb)["relu_grad"]
    assert HIDDEN_ONLY[0] in answer.source
    answer.source = answer.source.replace(*HIDDEN_ONLY)
    return nb


def mlp_source(student: str) -> str:
    """The same submission as an mlp.py, for the kit's CLI and Gradescope."""
    solution = (ROOT / "solution" / "mlp.py").read_text()
    if student == "reference":
        return solution
    if student == "stubs":
        return (ROOT / "assignment" / "mlp.py").read_text()
    if student == "hidden_only":
        return solution.replace(*HIDDEN_ONLY)
    return solution + "".join("\n\n\n" + path.read_text() for path in corpus_files(student))


def corpus_files(student: str) -> list[Path]:
    """The corpus files a student's submission is made of (the reference plus these, later definitions winning)."""
    if student in MISTAKES:
        return [BUGGY / f"{name}.py" for name in MISTAKES[student]]
    return [CORRECT_DIR / f"{student}.py"]


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course built by the CLI, released, with every student autograded and their feedback generated."""
    if not (MNIST / "t10k-labels-idx1-ubyte").is_file():
        pytest.skip("MNIST is not fetched: run `make data`")
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    run(ROOT, "-m", "autograder", "nbgrader", "--out", str(course))
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    source = nbformat.read(course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    notebooks = {"reference": source, "stubs": nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4),
                 "hidden_only": hidden_only(source), **{name: corpus_notebook(source, corpus_files(name)) for name in (*MISTAKES, *CORRECT)}}
    for student, nb in notebooks.items():
        target = course / "submitted" / student / ASSIGNMENT / NOTEBOOK
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
        nbgrader(course, "db", "student", "add", student)
    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    return course


def notebook_scores(course: Path) -> dict[str, dict[str, float]]:
    """student -> graded cell -> points, from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    cells = [f"test_{name}" for name in scoring.GRADED] + ["train_mnist"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {student: {cell: gb.find_grade(cell, ASSIGNMENT, ASSIGNMENT, student).score for cell in cells}
                for student in STUDENTS}


@pytest.fixture(scope="module")
def kit_scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, float]]:
    """student -> function -> points (public + hidden tests) from the kit's CLI, without the training run."""
    work = tmp_path_factory.mktemp("kit")

    def grade(student: str) -> dict[str, float]:
        folder = work / student
        (folder / "upload").mkdir(parents=True)
        (folder / "upload" / "mlp.py").write_text(mlp_source(student))
        run(ROOT, "-m", "autograder", "grade", str(folder / "upload"), "--out", str(folder / "out"),
            "--seed", SEED, "--no-training")
        return per_function(json.loads((folder / "out" / "results.json").read_text()))

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(STUDENTS, pool.map(grade, STUDENTS)))


def per_function(results: dict) -> dict[str, float]:
    return {name: sum(t["score"] for t in results["tests"] if t["name"].startswith(f"{name} (")) for name in scoring.GRADED}


# ------------------------------------------------------------------------------------------------ the build
def test_the_course_is_built_from_the_kits_sources_and_worth_100_points(tmp_path):
    out = nbgrader_course.build(tmp_path)
    folder = out / "source" / ASSIGNMENT
    nb = nbformat.read(folder / NOTEBOOK, as_version=4)
    cells, module, scores = by_id(nb), nbgrader_course.parse(), scoring.load()
    for name in scoring.GRADED:
        assert cells[name].source == module.functions[name].source  # verbatim, solution markers included
        assert cells[name].metadata["nbgrader"] == {"grade": False, "grade_id": name, "locked": False,
                                                    "schema_version": 3, "solution": True, "task": False}
        test = cells[f"test_{name}"].metadata["nbgrader"]
        assert (test["grade"], test["locked"], test["solution"], test["points"]) == \
            (True, True, False, scores.functions[name])
    assert cells["train_mnist"].metadata["nbgrader"]["points"] == scores.training.points
    assert sum(c.metadata["nbgrader"].get("points", 0) for c in cells.values()) == 100
    for given in ("relu", "init_params", "forward"):
        assert cells[f"given_{given}"].source == module.functions[given].source
    for source, name in nbgrader_course.KIT_FILES:  # the notebook's code is the kit's, byte for byte
        assert (folder / name).read_bytes() == source.read_bytes(), name
    shipped = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert shipped == {NOTEBOOK} | {name for _, name in nbgrader_course.KIT_FILES}  # nothing hidden, no solution
    config = (out / "nbgrader_config.py").read_text()
    assert str(ROOT) not in config and "ExecutePreprocessor.timeout = 300" in config  # portable
    functions = {f.source for f in module.functions.values()}
    glue = [c.source for c in nb.cells if c.cell_type == "code" and c.source not in functions]
    assert not [s for s in glue if "def " in s or "class " in s]  # no logic of its own: it calls the kit's code


# ------------------------------------------------------------------------------------------------ the release
@pytest.mark.slow
def test_release_has_no_solutions_and_no_hidden_tests(course):
    release_folder = course / "release" / ASSIGNMENT
    release = nbformat.read(release_folder / NOTEBOOK, as_version=4)
    text = "\n".join(c.source for c in release.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "from autograder" not in text and "grade_cell" not in text and "training_points" not in text
    cells, module = by_id(release), nbgrader_course.parse()
    for name in scoring.GRADED:  # each answer cell is its function with the region replaced by nbgrader's stub
        stub = re.sub(rf"^( *){generate.BEGIN}\n.*?^ *{generate.END}$", r"\1# YOUR CODE HERE\n\1raise NotImplementedError()",
                      module.functions[name].source, flags=re.S | re.M)
        assert cells[name].source == stub
    shipped = "\n".join(p.read_text() for p in release_folder.rglob("*.py")) + text
    regions = generate.solution_regions((ROOT / "solution" / "mlp.py").read_text())
    solution_lines = {line for region in regions for line in map(str.strip, region.splitlines()) if len(line) > 20}
    elsewhere = {line.strip() for c in release.cells for line in c.source.splitlines()} | {
        line.strip() for line in (ROOT / "solution" / "train.py").read_text().splitlines()} | set(ALLOWED)
    leaked = sorted(line for line in solution_lines - elsewhere if line in shipped)
    assert len(solution_lines) >= 10 and not leaked, f"solution lines leaked into the release: {leaked}"
    for path in (ROOT / "tests_hidden").glob("*.py"):  # the hidden checks run from the instructor's kit only
        for line in map(str.strip, path.read_text().splitlines()):
            if len(line) > 40 and line not in shipped_public_lines():
                assert line not in shipped, f"hidden test line leaked into the release: {line}"


def shipped_public_lines() -> set[str]:
    """Lines the public kit files share with tests_hidden (imports, common helpers): not leaks."""
    return {line.strip() for _, name in nbgrader_course.KIT_FILES
            for line in (ROOT / ("solution/train.py" if name == "train.py" else name)).read_text().splitlines()}


# ------------------------------------------------------------------------------------------------ the grades
@pytest.mark.slow
def test_reference_gets_100_and_stubs_0(course):
    scores = notebook_scores(course)
    assert sum(scores["reference"].values()) == 100, scores["reference"]
    assert set(scores["stubs"].values()) == {0}, scores["stubs"]
    nbgrader(course, "export", "--to", "grades.csv")
    with open(course / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert float(rows["reference"]["score"]) == 100 and float(rows["stubs"]["score"]) == 0
    assert float(rows["reference"]["max_score"]) == 100


@pytest.mark.slow
def test_every_route_gives_the_same_points_per_function(course, kit_scores):
    notebook = notebook_scores(course)
    for student in STUDENTS:
        for name in scoring.GRADED:
            assert notebook[student][f"test_{name}"] == pytest.approx(kit_scores[student][name], abs=0.011), \
                (student, name, notebook[student], kit_scores[student])
    broken = {student: {buggy_constants(path)[0] for path in corpus_files(student)} for student in MISTAKES}
    assert sorted(fn for fns in broken.values() for fn in fns) == sorted(scoring.GRADED)  # one mistake per function
    for student, functions in broken.items():  # each charged where it is, and only there
        for fn in scoring.GRADED:
            if fn in functions:
                assert kit_scores[student][fn] < scoring.load().functions[fn], (student, fn)
            else:
                assert kit_scores[student][fn] == kit_scores["reference"][fn], (student, fn)
    assert 0 < kit_scores["hidden_only"]["relu_grad"] < scoring.load().functions["relu_grad"]  # partial credit
    for name in CORRECT:
        assert kit_scores[name] == pytest.approx({f: float(p) for f, p in scoring.load().functions.items()}, abs=0.011)
        assert sum(notebook[name].values()) == pytest.approx(100, abs=0.011), (name, notebook[name])


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the autograder's sandbox needs root")
def test_the_gradescope_zip_agrees(kit_scores, tmp_path_factory):
    from test_package import grade, make_root  # the simulated /autograder root of the Gradescope tests
    from autograder.builders import package

    root = make_root(package.build_gradescope(tmp_path_factory.mktemp("dist") / "gs.zip"),
                     tmp_path_factory.mktemp("gradescope"))
    for student in STUDENTS:  # every submission of the parity test, through the third route too
        data, _, output = grade(root, mlp_source(student), AUTOGRADER_ARGS=f"--seed {SEED} --no-training")
        assert per_function(data) == pytest.approx(kit_scores[student], abs=0.011), (student, output)


# ------------------------------------------------------------------------------------------------ feedback
@pytest.mark.slow
def test_feedback_shows_no_hidden_tests(course):
    autograded = nbformat.read(course / "autograded" / "hidden_only" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert "BEGIN HIDDEN TESTS" in by_id(autograded)["test_relu_grad"].source  # the hidden checks did run
    for student in STUDENTS:
        feedback = course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert feedback.is_file(), f"no feedback for {student}"
        text = page_text(feedback)
        assert "HIDDENTESTS" not in text and "grade_cell" not in text and "autograder.grading.notebook" not in text
        if student == "hidden_only":  # the failures are reported as the kit reports them, without hidden source
            assert "relu_grad(hiddentests)" in text and "hiddencheckspassed.-FAILEDtest_" in text
        if student == "reference":
            assert "testacc" in text and "Score:100" in text.replace(".0", "")
