"""Build the two zips the kit hands out: the students' handout and Gradescope's autograder.

    python -m autograder handout      # dist/student.zip            (make handout)
    python -m autograder gradescope   # dist/gradescope_autograder.zip  (make gradescope)

``student.zip`` holds only what students need: the generated stubs and given code of ``assignment/``, the public
tests, the MNIST fetcher and reader, ``requirements.txt``, a ``pyproject.toml`` with pytest's settings, a small
``Makefile`` and ``README.md`` (from ``autograder/builders/STUDENT_README.md``). Never ``solution/``, ``tests_hidden/``,
``autograder/`` or ``scoring.toml``.

``gradescope_autograder.zip`` follows Gradescope's contract: ``setup.sh`` and ``run_autograder`` at the root of the
zip, which Gradescope unpacks into ``/autograder/source`` (``run_autograder`` is also copied to
``/autograder/run_autograder``). Beside them: the kit's source needed to grade (``autograder/``, ``solution/``,
``tests_public/``, ``tests_hidden/``, ``assignment/``, the ``data/`` code, ``pyproject.toml``); never ``.venv``,
``data/mnist``, ``dist`` or ``runs`` (setup.sh installs the dependencies and fetches MNIST at image build time).

Both builds are deterministic: entries sorted, fixed timestamps and permissions, so the same tree gives the
same bytes (and the same SHA-256) on every machine.
"""
from __future__ import annotations

import re
import tomllib
import zipfile
from pathlib import Path

from autograder.builders import generate
from autograder.grading.scoring import FUNCTIONS

from autograder import ROOT
DIST = ROOT / "dist"
GRADESCOPE = Path(__file__).with_name("gradescope")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold
SKIPPED = {"__pycache__", ".pytest_cache", ".hypothesis"}
EXECUTABLE = {"setup.sh", "run_autograder"}
GRADER_ONLY = {"markdown", "nh3"}  # render and sanitise the TA reports
STUDENT_MARKERS = FUNCTIONS  # the public tests' markers: the five functions and the optional extension

STUDENT_MAKEFILE = """\
# The assignment's commands (each is also written out in README.md, if you prefer typing them).
PYTHON ?= python3
BIN := .venv/bin
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: setup data test train compare study submission

setup:
\t$(PYTHON) -m venv .venv
\t$(BIN)/pip install -r requirements.txt

data:
\t$(BIN)/python -m data.fetch

test:
\t$(BIN)/python -m pytest tests_public

train:
\t$(BIN)/python -m assignment.train

# your network against the same one in PyTorch (installs PyTorch first if it is missing)
compare:
\t$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install '{torch}'
\t$(BIN)/python -m assignment.compare

# optional: full batch, mini-batch and one-image SGD on your network, the same training time each
study:
\t$(BIN)/python -m assignment.study

# submission.zip: mlp.py, REPORT.md and curves.png (and the comparison and study plots if made), flat
submission:
\t$(BIN)/python -m zipfile -c submission.zip assignment/mlp.py assignment/REPORT.md runs/assignment/curves.png \\
\t  $(wildcard runs/compare/comparison.png runs/study/study.png)
\t@echo "wrote submission.zip"
"""


def _files(folder: Path) -> list[Path]:
    """Every regular file under ``folder`` except caches and bytecode, sorted."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not SKIPPED & set(p.relative_to(ROOT).parts)
                  and p.suffix != ".pyc")


def _tree(*folders: str) -> dict[str, Path]:
    return {str(p.relative_to(ROOT)): p for name in folders for p in _files(ROOT / name)}


def _data_code() -> dict[str, Path]:
    return {f"data/{name}": ROOT / "data" / name for name in ("__init__.py", "fetch.py", "idx.py")}


def dependencies() -> list[str]:
    """The kit's runtime dependencies, as pyproject.toml lists them (the single source of truth)."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def torch_requirement() -> str:
    """The PyTorch pin of the comparison (pyproject.toml's ``bench`` extra, as ``make bench`` installs it)."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["bench"][0]


def student_dependencies() -> list[str]:
    """The dependencies students need (pyproject.toml's pins), without those only the grader's reports use."""
    return [dep for dep in dependencies() if re.match(r"[A-Za-z0-9_.-]+", dep)[0].lower() not in GRADER_ONLY]


def student_pyproject() -> str:
    """pytest's settings for the handout: the markers of the public tests, no cache folder."""
    kit = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    markers = [m for m in kit["markers"] if m.split(":")[0] in STUDENT_MARKERS]
    lines = "".join(f'    "{m}",\n' for m in markers)
    return ("# Settings for `pytest tests_public` (the dependencies are in requirements.txt).\n"
            "[tool.pytest.ini_options]\n"
            f'addopts = "{kit["addopts"]}"\n'
            f"markers = [\n{lines}]\n")


def handout_files() -> dict[str, Path | str]:
    """Archive name -> source file (Path) or content (str) of the student handout."""
    stale = generate.differences()
    if stale:
        raise SystemExit(f"assignment/ is out of date ({', '.join(stale)}): run `make stubs` first")
    files: dict[str, Path | str] = {**_tree("assignment", "tests_public"), **_data_code()}
    files["README.md"] = Path(__file__).with_name("STUDENT_README.md")
    files["requirements.txt"] = "".join(f"{dep}\n" for dep in student_dependencies())
    files["pyproject.toml"] = student_pyproject()
    files["Makefile"] = STUDENT_MAKEFILE.format(torch=torch_requirement())
    return files


def gradescope_files() -> dict[str, Path | str]:
    """Archive name -> source file (Path) or content (str) of Gradescope's autograder zip."""
    files: dict[str, Path | str] = {
        name: path for name, path in _tree("autograder", "solution", "tests_public", "tests_hidden", "assignment").items()
        if not name.startswith("autograder/builders/gradescope/")}
    files.update(_data_code())
    files["pyproject.toml"] = ROOT / "pyproject.toml"
    files["setup.sh"] = GRADESCOPE / "setup.sh"
    files["run_autograder"] = GRADESCOPE / "run_autograder"
    return files


def write_zip(target: Path, files: dict[str, Path | str]) -> Path:
    """Write ``files`` into ``target`` deterministically (sorted, fixed time and modes); return ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name in sorted(files):
            source = files[name]
            data = source.read_bytes() if isinstance(source, Path) else source.encode()
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.create_system = 3  # Unix, so the modes below are honoured by unzip
            info.external_attr = (0o100755 if Path(name).name in EXECUTABLE else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    tmp.replace(target)
    return target


def build_handout(target: Path = DIST / "student.zip") -> Path:
    return write_zip(target, handout_files())


def build_gradescope(target: Path = DIST / "gradescope_autograder.zip") -> Path:
    return write_zip(target, gradescope_files())
