"""The layout of a class's output folder: ``<out>/students/<name>/`` holds one student's grading
(``results.json``, reports, staged files), apart from the kit's own files (gradebook.csv, index.html...), so no
upload name can collide with them."""
from __future__ import annotations

import ctypes
import os
from pathlib import Path

from autograder.grading import results

STUDENTS = "students"
AT_FDCWD, RENAME_EXCHANGE = -100, 2


def student_dir(out: Path, student: str) -> Path:
    return Path(out) / STUDENTS / student


def graded_folders(out: Path) -> dict[str, Path]:
    """Student name -> folder, for every student of a class output folder with a results.json, sorted."""
    base = Path(out) / STUDENTS
    if not base.is_dir():
        return {}
    return {p.name: p for p in sorted(base.iterdir(), key=lambda p: p.name)
            if p.is_dir() and not p.name.startswith(".") and (p / results.NAME).is_file()}


def load_class(out: Path) -> dict[str, dict | None]:
    """Student name -> results (None: unreadable), for every graded student of ``out``."""
    return {student: results.load(folder) for student, folder in graded_folders(out).items()}


def exchange(a: Path, b: Path) -> None:
    """Swap two folders atomically (renameat2 RENAME_EXCHANGE), so readers see one grading or the other."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"cannot swap {a} and {b}: {os.strerror(error)}")
