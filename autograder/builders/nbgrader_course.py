"""Build an nbgrader course directory (default ``dist/nbgrader/``) from the kit's own sources.

    python -m autograder nbgrader [--out DIR]      (or ``make nbgrader``)

Writes ``DIR/nbgrader_config.py`` and ``DIR/source/mlp_mnist/``: the notebook ``mlp_mnist.ipynb`` and, beside it,
the public kit files it imports (``train.py`` from solution/, ``data/``, ``tests_public/``), which nbgrader
releases with the notebook and restores from the source when autograding. Nothing else in DIR is touched (an
existing gradebook.db, submitted/ or autograded/ survive a rebuild). The notebook has:

* markdown cells made from the docstrings of ``solution/mlp.py``;
* a read-only setup cell (thread settings, imports and constants of solution/mlp.py) and one read-only cell per
  given function (relu, init_params, forward), copied verbatim;
* per graded function an answer cell holding its reference source with nbgrader's solution markers (nbgrader
  turns each region into ``# YOUR CODE HERE`` + ``raise NotImplementedError()`` in the release) and a locked test
  cell worth the function's points: visibly, the public checks (``tests_public.notebook.check``, the same suite
  as ``pytest tests_public -m NAME``); in a hidden region, ``autograder.grading.notebook.grade_cell``, which runs the public
  and hidden suites with the kit's runner and scores them with the kit's rules, so the cell is worth what the
  function earns through the kit's CLI. The hidden checks themselves never enter the course folder: they run
  from the instructor's installed kit;
* the optional extension (momentum_step, adam_step) the same way when scoring.toml's ``[extension]`` gives it
  points; with 0 points, an answer cell and an ungraded cell running its public checks;
* a graded training cell: MNIST fetched and verified by ``data.fetch`` (``$MNIST_DIR``, by default ``mnist/``
  beside nbgrader_config.py), the kit's training loop (``train.train``) on the notebook's functions for
  ``NOTEBOOK_EPOCHS`` epochs, scored by the kit's accuracy rule (``autograder.grading.notebook.training_points``).

nbgrader_config.py holds no path of the build machine, and makes ``generate_feedback`` strip hidden tests too
(nbgrader 0.9 shows them by default).
"""
from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.grading import scoring
from autograder.builders.generate import BEGIN, END

from autograder import ROOT
SOURCE = ROOT / "solution" / "mlp.py"
OUT = ROOT / "dist" / "nbgrader"
COURSE_ID = "mnist-mlp-kit"
ASSIGNMENT = "mlp_mnist"
# The one difference from the kit's graded run (5 epochs, audited): the notebook trains for 2 epochs, which reach
# ~96% with the reference, so autograding a class stays quick. Scored by the same accuracy rule.
NOTEBOOK_EPOCHS = 2
EXECUTE_TIMEOUT = 300  # seconds per cell when nbgrader executes a notebook (the training cell takes ~5 s)
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# The public kit files shipped beside the notebook: (source, name in the course folder).
KIT_FILES = [(ROOT / "solution" / "train.py", "train.py")] + [
    (path, f"{path.parent.name}/{path.name}") for folder in ("data", "tests_public")
    for path in sorted((ROOT / folder).glob("*.py"))]


# ------------------------------------------------------------------------------------------------ the source
@dataclass(frozen=True)
class Function:
    name: str
    source: str  # the full definition, verbatim (solution markers included)
    doc: str
    node: ast.FunctionDef


@dataclass(frozen=True)
class Module:
    doc: str
    preamble: str  # module-level statements other than the docstring, __future__ imports and functions
    functions: dict[str, Function]


def parse(path: Path = SOURCE) -> Module:
    text = path.read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    preamble, functions = [], {}
    for node in tree.body:
        end = node.end_lineno
        if isinstance(node, ast.FunctionDef):  # ast's end excludes trailing comments, e.g. ### END SOLUTION
            for number in range(end, len(lines)):
                line = lines[number]
                if line.strip() and not (line.lstrip().startswith("#") and
                                         len(line) - len(line.lstrip()) > node.col_offset):
                    break
                if line.strip():
                    end = number + 1
        chunk = "\n".join(lines[node.lineno - 1 : end])  # keeps inline comments
        if isinstance(node, ast.FunctionDef):
            functions[node.name] = Function(node.name, chunk, ast.get_docstring(node) or "", node)
        elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]:
            continue
        else:
            preamble.append(chunk)
    return Module(ast.get_docstring(tree) or "", "\n".join(preamble), functions)



# ----------------------------------------------------------------------------------------------- the notebook
def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
          points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def markdown(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip())


def code(source: str, metadata: dict) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source.strip("\n"), metadata=metadata)


def fenced(text: str) -> str:
    return f"```text\n{text.strip()}\n```"


def intro(module: Module, scores: scoring.Scoring) -> str:
    title, _, rest = module.doc.partition("\n")
    rest = "\n".join(line for line in rest.splitlines() if "pytest" not in line and "train.py" not in line)
    points = ", ".join(f"`{name}` {scores.points(name):g}" for name in scores.graded)
    extension = " and ".join(f"`{name}`" for name in scoring.EXTENSION)
    graded = "graded as listed below" if set(scoring.EXTENSION) <= set(scores.graded) else "not graded" if not \
        set(scoring.EXTENSION) & set(scores.graded) else "graded where points are listed below"
    return f"""
# {title.strip().rstrip('.')}

{fenced(rest)}

**How this notebook works.** Run the cells from top to bottom. The read-only cells (setup, `relu`,
`init_params`, `forward`) are given. For each of the five functions, replace `# YOUR CODE HERE` and the
`raise NotImplementedError()` below it by your code, then run the test cell under it: it runs the public checks
of `tests_public/` (the same as `pytest tests_public -m NAME`) on your function and prints what failed. The
autograder runs more checks of each function on fresh random inputs (hidden from you), so passing the public
checks does not guarantee full marks; each function's points are split {scores.public_share:.0%} public /
{1 - scores.public_share:.0%} hidden, earned in proportion to the checks passed.

After `sgd_step` comes an optional extension, two more optimizers ({extension}), {graded}.

Points: {points}; training {scores.training.points:g} (total {scores.total:g}). The last cell trains your
network with the kit's training loop (`train.py`) for {NOTEBOOK_EPOCHS} epochs; full points from a test accuracy of
{scores.training.full_accuracy:.0%}, partial credit from {scores.training.zero_accuracy:.0%}. MNIST is
read from `$MNIST_DIR`, else downloaded once (SHA-256 verified) into `data/mnist/` beside this notebook.
"""


def setup_source(module: Module) -> str:
    return "\n".join([
        "import os",
        "import sys",
        "",
        'os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest at batch 64 (set before numpy)',
        'os.environ.setdefault("MKL_NUM_THREADS", "1")',
        "",
        module.preamble])


def check_source(function: str) -> str:
    """The test cell of an ungraded function (the optional extension with 0 points): the public checks only."""
    return "\n".join([
        "from tests_public.notebook import check",
        "",
        f'check("{function}")  # the public checks, as `pytest tests_public -m {function}` runs them (not graded)'])


def test_source(function: str) -> str:
    """A graded test cell: the public checks visibly, the kit's scoring of every check in a hidden region."""
    return "\n".join([
        "from tests_public.notebook import check",
        "",
        f'check("{function}")  # the public checks, as `pytest tests_public -m {function}` runs them',
        "# When grading, the autograder also runs the hidden checks of this function here and scores the cell as",
        "# the kit's autograder does (public and hidden checks, in proportion to the checks passed).",
        HIDDEN_BEGIN,
        "from autograder.grading.notebook import grade_cell",
        "",
        f'grade_cell("{function}")',
        HIDDEN_END])


def training_source() -> str:
    return "\n".join([
        "from tests_public.notebook import train",
        "",
        f"history = train(epochs={NOTEBOOK_EPOCHS})  # the kit's loop and hyper-parameters on MNIST, {NOTEBOOK_EPOCHS} epochs",
        HIDDEN_BEGIN,
        "from autograder.grading.notebook import training_points",
        "",
        "training_points(history)",
        HIDDEN_END])


def notebook(module: Module | None = None, scores: scoring.Scoring | None = None) -> nbformat.NotebookNode:
    module = module or parse()
    scores = scores or scoring.load()
    assert set(scoring.GRADED) <= set(module.functions)
    cells = [markdown(intro(module, scores)), code(setup_source(module), _meta("setup", locked=True))]
    for name, function in module.functions.items():
        doc = fenced(function.doc)
        if name not in scoring.FUNCTIONS:
            cells += [markdown(f"## Given: `{name}`\n\n{doc}"), code(function.source, _meta(f"given_{name}", locked=True))]
            continue
        assert BEGIN in function.source and END in function.source, f"{name} has no solution region"
        points, graded = scores.points(name), name in scores.graded
        title = "Optional extension" if name in scoring.EXTENSION else "Your turn"
        cells += [
            markdown(f"## {title}: `{name}` ({f'{points:g} points' if graded else 'not graded'})\n\n{doc}"),
            code(function.source, _meta(name, solution=True)),
            code(test_source(name), _meta(f"test_{name}", grade=True, locked=True, points=points)) if graded else
            code(check_source(name), _meta(f"test_{name}", locked=True)),
        ]
    training = scores.training
    cells += [
        markdown(f"## Training ({training.points:g} points)\n\nTrains the network with your functions for "
                 f"{NOTEBOOK_EPOCHS} epochs with the kit's training loop; full points from a test accuracy of "
                 f"{training.full_accuracy:.0%}."),
        code(training_source(), _meta("train_mnist", grade=True, locked=True, points=training.points)),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    total = sum(c.metadata["nbgrader"].get("points", 0) for c in cells if c.metadata.get("nbgrader", {}).get("grade"))
    assert abs(total - scores.total) < 1e-9, f"the notebook's points add up to {total}, not {scores.total}"
    nbformat.validate(nb)
    return nb


CONFIG = '''"""nbgrader configuration of the course built by `python -m autograder nbgrader` (rebuilt: do not edit)."""
import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

HERE = os.path.dirname(os.path.abspath(__file__))
c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = HERE  # this folder, wherever it is copied
c.ExecutePreprocessor.timeout = {timeout}  # seconds per cell: the training cell trains on MNIST
# Feedback shows the autograded notebook; strip the hidden tests from it as from the release (nbgrader 0.9
# shows them by default).
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
# MNIST for autograding: $MNIST_DIR if set, else mnist/ in this folder (fetched and verified on first use).
os.environ.setdefault("MNIST_DIR", os.path.join(HERE, "mnist"))
'''


def build(out: Path = OUT) -> Path:
    """Write nbgrader_config.py and source/<assignment>/ (notebook + public kit files) into ``out``."""
    folder = out / "source" / ASSIGNMENT
    for sub in ("data", "tests_public"):
        shutil.rmtree(folder / sub, ignore_errors=True)
    for source, name in KIT_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / name)
    nbformat.write(notebook(), folder / f"{ASSIGNMENT}.ipynb")
    (out / "nbgrader_config.py").write_text(CONFIG.format(course_id=COURSE_ID, timeout=EXECUTE_TIMEOUT))
    return out


def hidden_regions(source: str) -> list[str]:
    """The text of every hidden-test region (used to prove releases and feedback leak none of it)."""
    return re.findall(rf"{re.escape(HIDDEN_BEGIN)}\n(.*?)^{re.escape(HIDDEN_END)}", source, flags=re.S | re.M)
