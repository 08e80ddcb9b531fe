"""The nbgrader course built by `python -m autograder nbgrader`, driven through the real nbgrader CLI.

generate_assignment must strip every solution region and hidden test from the release; autograding gives the
reference notebook 100, the untouched release 0 in every test cell, and a notebook that only fails hidden
checks the public share of that function's points; the feedback HTML shows no hidden test text.
"""
from __future__ import annotations

import csv
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import generate, scoring

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed: run `make course-deps`")
pytest.importorskip("nbgrader", reason="nbgrader is not installed: run `make course-deps`")
pytest.importorskip("ipykernel", reason="ipykernel is not installed: run `make course-deps`")

from autograder import nbgrader_course  # noqa: E402 (needs nbformat)

ROOT = Path(__file__).resolve().parent.parent
MNIST = ROOT / "data" / "mnist"
ASSIGNMENT = nbgrader_course.ASSIGNMENT
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
STUDENTS = ("reference", "stubs", "hidden_only")
HIDDEN = re.compile(r"^### BEGIN HIDDEN TESTS$.*?^### END HIDDEN TESTS$", flags=re.S | re.M)


def run(course: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "MNIST_DIR": str(MNIST), "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([sys.executable, *args], cwd=course, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    return run(course, "-m", "nbgrader", *args)


def by_id(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


def normalized(text: str) -> str:
    return " ".join(text.split())


def page_text(path: Path) -> str:
    """The visible text of an HTML page (tags dropped, so syntax-highlighted code reads as plain code)."""
    return normalized(html.unescape(re.sub(r"<[^>]+>", " ", path.read_text()))).replace(" ", "")


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course built by the CLI, released, with three submissions autograded and their feedback generated."""
    if not (MNIST / "t10k-labels-idx1-ubyte").is_file():
        pytest.skip("MNIST is not fetched: run `make data`")
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    run(ROOT, "-m", "autograder", "nbgrader", "--out", str(course))
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")

    source = nbformat.read(course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    release = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    hidden_only = nbformat.read(course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    answer = by_id(hidden_only)["relu_grad"]  # 1 at z == 0, except on the sizes of the visible checks' arrays
    old = "return (z > 0).astype(z.dtype)"
    assert old in answer.source
    answer.source = answer.source.replace(old, "return ((z > 0) if z.size in (2, 6, 24) else (z >= 0)).astype(z.dtype)")
    for student, nb in zip(STUDENTS, (source, release, hidden_only)):
        target = course / "submitted" / student / ASSIGNMENT / NOTEBOOK
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
        nbgrader(course, "db", "student", "add", student)
    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    return course


def hidden_lines(course: Path) -> list[str]:
    """Distinctive lines of the source notebook's hidden-test regions (not also in its visible parts)."""
    source = nbformat.read(course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    regions = [r for c in source.cells for r in nbgrader_course.hidden_regions(c.source)]
    assert len(regions) == len(scoring.GRADED)
    everything = "\n".join(c.source for c in source.cells)
    visible = HIDDEN.sub("", everything)
    lines = {line.strip() for r in regions for line in r.splitlines()
             if len(line.strip()) >= 25 and line.strip() not in visible}
    assert len(lines) >= 50
    return sorted(lines)


@pytest.mark.slow
def test_the_notebook_is_built_from_the_single_source_and_worth_100_points(tmp_path):
    nb = nbformat.read(nbgrader_course.build(tmp_path) / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    cells = by_id(nb)
    module = nbgrader_course.parse()
    scores = scoring.load()
    for name in scoring.GRADED:
        assert cells[name].source == module.functions[name].source  # verbatim, solution markers included
        assert cells[name].metadata["nbgrader"] == {"grade": False, "grade_id": name, "locked": False,
                                                    "schema_version": 3, "solution": True, "task": False}
        test = cells[f"test_{name}"].metadata["nbgrader"]
        assert (test["grade"], test["locked"], test["solution"], test["points"]) == \
            (True, True, False, scores.functions[name])
    assert cells["train_mnist"].metadata["nbgrader"]["points"] == scores.training["points"]
    assert sum(c.metadata["nbgrader"].get("points", 0) for c in cells.values()) == 100
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for given in ("relu", "init_params", "forward"):
        assert cells[f"given_{given}"].metadata["nbgrader"]["locked"]
    assert "ExecutePreprocessor.timeout = 300" in (tmp_path / "nbgrader_config.py").read_text()


@pytest.mark.slow
def test_release_has_no_solutions_and_no_hidden_tests(course):
    release = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    text = "\n".join(c.source for c in release.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text and "HIDDEN TESTS" not in text
    cells, module = by_id(release), nbgrader_course.parse()
    for name in scoring.GRADED:  # each answer cell is its function with the region replaced by nbgrader's stub
        stub = re.sub(rf"^( *){generate.BEGIN}\n.*?^ *{generate.END}$", r"\1# YOUR CODE HERE\n\1raise NotImplementedError()",
                      module.functions[name].source, flags=re.S | re.M)
        assert cells[name].source == stub
        assert cells[f"test_{name}"].source.startswith(nbgrader_course.VISIBLE[name].strip())
    # No line of a solution region anywhere, unless the same line is legitimately elsewhere (e.g. the training loop)
    source = nbformat.read(course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    elsewhere = {line.strip() for c in source.cells for line in
                 (generate.strip_solutions(c.source) if c.metadata.get("nbgrader", {}).get("grade_id") in scoring.GRADED
                  else HIDDEN.sub("", c.source)).splitlines()}
    release_lines = {line.strip() for line in text.splitlines()}
    regions = generate.solution_regions((ROOT / "solution" / "mlp.py").read_text())
    solution_lines = {line for region in regions for line in map(str.strip, region.splitlines()) if line}
    assert len(solution_lines - elsewhere) >= 15  # the check below has teeth
    leaked = sorted(solution_lines & release_lines - elsewhere)
    assert not leaked, f"solution lines leaked into the release: {leaked}"
    for line in hidden_lines(course):
        assert line not in text, f"hidden test line leaked into the release: {line}"
    assert "_reference_" not in text and "_hidden_" not in text


@pytest.mark.slow
def test_gradebook_scores(course):
    from nbgrader.api import Gradebook

    scores = scoring.load()
    tests = [f"test_{name}" for name in scoring.GRADED] + ["train_mnist"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        def grade(cell: str, student: str) -> float:
            return gb.find_grade(cell, ASSIGNMENT, ASSIGNMENT, student).score

        reference = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "reference")
        assert (reference.score, reference.max_score) == (100, 100), \
            {cell: grade(cell, "reference") for cell in tests}
        assert {cell: grade(cell, "stubs") for cell in tests} == dict.fromkeys(tests, 0)
        # relu_grad passes its visible checks and fails the hidden ones: the public share of its points
        assert grade("test_relu_grad", "hidden_only") == scores.functions["relu_grad"] * scores.public_share
        assert all(grade(f"test_{name}", "hidden_only") == scores.functions[name]
                   for name in scoring.GRADED if name != "relu_grad")

    nbgrader(course, "export", "--to", "grades.csv")
    with open(course / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert float(rows["reference"]["score"]) == 100 and float(rows["stubs"]["score"]) == 0
    assert float(rows["reference"]["max_score"]) == 100


@pytest.mark.slow
def test_feedback_shows_no_hidden_tests(course):
    autograded = nbformat.read(course / "autograded" / "hidden_only" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert "BEGIN HIDDEN TESTS" in by_id(autograded)["test_relu_grad"].source  # the hidden checks did run
    lines = hidden_lines(course)
    for student in STUDENTS:
        feedback = course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert feedback.is_file(), f"no feedback for {student}"
        text = page_text(feedback)
        assert "HIDDENTESTS" not in text and "_reference_" not in text and "_hidden_" not in text
        for line in lines:
            assert normalized(line).replace(" ", "") not in text, f"{student}'s feedback shows hidden test: {line}"
        if student == "hidden_only":  # the failure is reported, without the hidden source
            assert "hiddenchecksofrelu_gradfailed" in text
        if student == "reference":
            assert "testaccuracy" in text and "Score:100" in text.replace(".0", "")
