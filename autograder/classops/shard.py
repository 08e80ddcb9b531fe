"""Split a class across machines and put it back together.

``grade-all --shard I/N`` grades the students whose name hashes to I modulo N (0 <= I < N): a share that does
not move when students are added or the folder is listed in another order. Without ``--shard``, a Slurm job
array (``SLURM_ARRAY_TASK_ID`` - ``SLURM_ARRAY_TASK_MIN`` of ``SLURM_ARRAY_TASK_COUNT``) or a Kubernetes
Indexed Job (``JOB_COMPLETION_INDEX`` of ``GRADE_ALL_SHARDS``, which the manifest sets to its completions)
chooses the share. Each student's seed derives from the batch seed and the name, so a student gets the same
grade in any shard.

``merge OUT SHARD_OUT...`` copies every shard's ``students/<name>/`` into ``OUT/students/`` and writes OUT's
gradebook.csv and index.html from them: the same bytes as one unsharded run's (with the same ``OUT`` folder
name; the dashboard's "generated" time is ``SOURCE_DATE_EPOCH`` when set).
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from autograder.classops.gradebook import write_gradebook
from autograder.classops.outputs import STUDENTS, exchange, graded_folders, load_class
from autograder.grading import results
from autograder.report import render_class

SPEC = re.compile(r"^(\d+)/(\d+)$")


class ShardError(Exception):
    """A shard specification or a merge that cannot be done; the message says why."""


def parse(spec: str | None, env: Mapping[str, str] = os.environ) -> tuple[int, int] | None:
    """(index, count) from ``I/N``, else from Slurm's or Kubernetes's variables, else None (the whole class)."""
    if spec is None:
        if "SLURM_ARRAY_TASK_ID" in env and "SLURM_ARRAY_TASK_COUNT" in env:
            index = int(env["SLURM_ARRAY_TASK_ID"]) - int(env.get("SLURM_ARRAY_TASK_MIN", "0"))
            return _checked(index, int(env["SLURM_ARRAY_TASK_COUNT"]), "Slurm's array variables")
        if "JOB_COMPLETION_INDEX" in env and "GRADE_ALL_SHARDS" in env:
            return _checked(int(env["JOB_COMPLETION_INDEX"]), int(env["GRADE_ALL_SHARDS"]),
                            "JOB_COMPLETION_INDEX and GRADE_ALL_SHARDS")
        return None
    m = SPEC.match(spec.strip())
    if not m:
        raise ShardError(f"--shard {spec!r}: expected I/N, e.g. 0/4 for the first of 4 shards")
    return _checked(int(m[1]), int(m[2]), f"--shard {spec}")


def _checked(index: int, count: int, source: str) -> tuple[int, int]:
    if count < 1 or not 0 <= index < count:
        raise ShardError(f"{source}: shard {index} of {count} does not exist (0 <= I < N)")
    return index, count


def owner(student: str, count: int) -> int:
    """The shard that grades ``student``."""
    return int.from_bytes(hashlib.sha256(os.fsencode(student)).digest()[:8], "big") % count


def share(students: list[str], shard: tuple[int, int] | None) -> list[str]:
    """The students of one shard, in their order (everyone when ``shard`` is None)."""
    if shard is None:
        return list(students)
    index, count = shard
    return [s for s in students if owner(s, count) == index]


def merge(out: Path, shard_outs: list[Path]) -> tuple[Path, dict[str, dict | None]]:
    """Copy each shard's graded students into ``out`` (a student graded in two shards must have the same
    results), then write ``out``'s gradebook and dashboard; return the gradebook's path and the results."""
    out = Path(out)
    sources: dict[str, Path] = {}
    for shard_out in shard_outs:
        if not Path(shard_out).is_dir():
            raise ShardError(f"{shard_out} is not a grade-all output folder")
        for student, folder in graded_folders(shard_out).items():
            if student in sources and results.load(sources[student]) != results.load(folder):
                raise ShardError(f"{student} was graded in {sources[student].parent.parent} and in {shard_out} with "
                                 "different results: remove one of them")
            sources.setdefault(student, folder)
    if not sources:
        raise ShardError("no graded student in " + ", ".join(map(str, shard_outs)))
    (out / STUDENTS).mkdir(mode=0o700, parents=True, exist_ok=True)
    for student, folder in sorted(sources.items()):
        _place(folder, out / STUDENTS / student)
    graded = load_class(out)
    path = write_gradebook(out, graded)
    render_class(out, stale_only=True)
    return path, graded


def _place(source: Path, target: Path) -> None:
    """Put a copy of ``source`` at ``target``; a different grading already there is swapped out atomically and
    kept as ``target``'s previous_results.json (nothing graded is lost)."""
    if source.resolve() == target.resolve() or (target.is_dir() and results.load(target) == results.load(source)
                                                 and (target / "report.html").is_file()):
        return
    staging = target.with_name(f".merge-{target.name}")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging, symlinks=True)  # copy2: mtimes kept, so up-to-date reports are not redone
    if target.exists():
        if (target / "results.json").is_file():
            shutil.copyfile(target / "results.json", staging / "previous_results.json")
        exchange(staging, target)
        shutil.rmtree(staging, ignore_errors=True)
    else:
        staging.rename(target)
