"""Generate the student handout ``assignment/`` from ``solution/`` (the single source of truth).

Every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region (nbgrader's markers) in a Python file becomes
``# YOUR CODE HERE`` plus ``raise NotImplementedError(...)`` naming the enclosing function; other files are
copied as they are. ``python -m autograder generate`` writes the files; ``--check`` only compares.
"""
from __future__ import annotations

import re
from pathlib import Path

from autograder import ROOT
SOLUTION, ASSIGNMENT = ROOT / "solution", ROOT / "assignment"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
DEF = re.compile(r"^\s*def (\w+)\(")
SKIP = {"__pycache__"}


def stub_message(function: str) -> str:
    return f"{function} is not implemented yet: write it in assignment/mlp.py, then run pytest tests_public -m {function}"


def strip_solutions(source: str, filename: str = "<source>") -> str:
    """Replace each solution region by a stub raising NotImplementedError that names its function."""
    out: list[str] = []
    function, inside = None, False
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            assert not inside, f"{filename}:{number}: nested {BEGIN}"
            assert function, f"{filename}:{number}: {BEGIN} outside a function"
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE\n")
            out.append(f'{indent}raise NotImplementedError("{stub_message(function)}")\n')
            inside = True
        elif stripped == END:
            assert inside, f"{filename}:{number}: {END} without {BEGIN}"
            inside = False
        elif not inside:
            if match := DEF.match(line):
                function = match.group(1)
            out.append(line)
    assert not inside, f"{filename}: {BEGIN} is never closed"
    return "".join(out)


def solution_regions(source: str) -> list[str]:
    """The text of every solution region (used to prove the handouts leak none of it)."""
    return re.findall(rf"{re.escape(BEGIN)}\n(.*?)^\s*{re.escape(END)}", source, flags=re.S | re.M)


def generated_files(solution: Path = SOLUTION) -> dict[str, str]:
    """Relative path -> content of every file of the generated assignment."""
    files = {}
    for path in sorted(solution.rglob("*")):
        if path.is_file() and not SKIP & set(path.parts) and path.suffix != ".pyc":
            text = path.read_text()
            relative = str(path.relative_to(solution))
            files[relative] = strip_solutions(text, relative) if path.suffix == ".py" else text
    return files


def differences(assignment: Path = ASSIGNMENT, solution: Path = SOLUTION) -> list[str]:
    """Paths whose checked-in content differs from what the generator produces (or that are extra/missing)."""
    wanted = generated_files(solution)
    present = {str(p.relative_to(assignment)) for p in assignment.rglob("*")
               if p.is_file() and not SKIP & set(p.parts) and p.suffix != ".pyc"}
    stale = [name for name, text in wanted.items() if not (assignment / name).is_file()
             or (assignment / name).read_text() != text]
    return sorted(stale + sorted(present - set(wanted)))


def write(assignment: Path = ASSIGNMENT, solution: Path = SOLUTION) -> list[str]:
    """Write the generated files into ``assignment`` and return the paths written."""
    written = []
    for name, text in generated_files(solution).items():
        target = assignment / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
            written.append(name)
    return written
