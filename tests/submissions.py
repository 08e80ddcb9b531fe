"""Build throw-away submissions from the reference: solution/mlp.py plus appended (overriding) definitions.

    from submissions import make_submission, stub_only, buggy_sources
    folder = make_submission(tmp_path, (BUGGY / "softmax_unstable.py").read_text())
"""
from __future__ import annotations

import ast
import os
from pathlib import Path

from autograder.builders.generate import SOLUTION, stub_message
from autograder.grading.scoring import FUNCTIONS  # the functions students write (the optional extension's too)

BUGGY = Path(__file__).resolve().parent / "buggy"
CORRECT = Path(__file__).resolve().parent / "correct"
REAL = Path(__file__).resolve().parent / "real"


def make_submission(tmp_path: Path, *extra_sources: str) -> Path:
    """Write ``<tmp_path>/mlp.py`` = solution/mlp.py + each extra source (later definitions win); return the folder."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    parts = [(SOLUTION / "mlp.py").read_text(), *extra_sources]
    (tmp_path / "mlp.py").write_text("\n\n".join(part.rstrip("\n") for part in parts) + "\n")
    return tmp_path


def stub_source(fn: str) -> str:
    """A definition of fn that raises the generated stub's NotImplementedError."""
    return f"def {fn}(*args, **kwargs):\n    raise NotImplementedError({stub_message(fn)!r})\n"


def stub_only(tmp_path: Path, fn: str) -> Path:
    """The solution with only ``fn`` replaced by its generated stub."""
    assert fn in FUNCTIONS, f"unknown function {fn}"
    return make_submission(tmp_path, stub_source(fn))


def buggy_constants(path: Path) -> tuple[str, str]:
    """(BROKEN, HINT) of a buggy corpus file, read without executing it."""
    values = {node.targets[0].id: node.value.value for node in ast.parse(path.read_text()).body
              if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
              and isinstance(node.value, ast.Constant)}
    assert values.get("BROKEN") in FUNCTIONS, f"{path.name}: BROKEN must name one of {FUNCTIONS}"
    assert values.get("HINT"), f"{path.name}: HINT must be a non-empty string"
    return values["BROKEN"], values["HINT"]


def buggy_sources() -> list[Path]:
    """Every file of the buggy corpus, sorted by name."""
    return sorted(BUGGY.glob("*.py"))


def correct_sources() -> list[Path]:
    """Every file of the corpus of correct implementations written differently (tests/correct/), by name."""
    return sorted(CORRECT.glob("*.py"))


def real_sources() -> list[Path]:
    """Every file of the corpus of real public implementations adapted to the API (tests/real/), by name."""
    return sorted(REAL.glob("*.py"))


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention ``text`` (a sandboxed worker's argv names its submission)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(line for line in Path(entry.path, "status").read_text().splitlines()
                         if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if text in cmdline and state.split()[1] != "Z":  # zombies are dead, only not yet reaped
            found.append(f"{entry.name}: {cmdline[:200]}")
    return found
