"""Merge the autograder's scores with the TAs' write-up scores into one CSV an LMS imports.

``python -m autograder gradebook GRADED_DIR``:

1. creates ``GRADED_DIR/rubric_scores.csv`` when it is missing: one row per graded student (a folder
   ``students/<name>/`` holding ``results.json``), one empty column per criterion of ``autograder/classops/rubric.toml``,
   and a free ``comment`` column. When it exists it is only ever appended to: rows for students graded since are added
   at the end; nothing a TA typed is rewritten.
2. checks the TAs' file and refuses (exit 2, one message per problem, nothing written) on: a student who
   was not graded, a student listed twice, a score that is not a number, negative, or above the criterion's
   maximum, a missing or unknown column, an unreadable file.
3. writes ``GRADED_DIR/grades.csv`` (rewritten each time; it is the kit's, not the TAs'):

   ============== ==============================================================
   column         meaning
   ============== ==============================================================
   student        the student's name, as in gradebook.csv (``students/<name>/``)
   autograder     the autograder's total (results.json "score", out of 100)
   writeup        the sum of the write-up criteria entered so far (out of 20)
   total          autograder + writeup
   <criterion>    each criterion's score, in rubric.toml order (empty: not graded yet)
   comment        the TA's comment from rubric_scores.csv, as typed
   ============== ==============================================================

The notes also list students whose upload has no REPORT.md or the untouched template (``results.writeup_problem``).

Every CSV cell the kit writes is neutralised against formula injection (``untrusted.csv_cell``: a leading
``= + - @``, tab or CR gets a single quote) and read back with the quote removed.

A blank criterion means "not graded yet": it counts as 0 in ``writeup``/``total`` and the command lists who
still has blanks, so a half-graded class is never imported by accident.
"""
from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from autograder.atomic import write_text_atomic
from autograder.classops.outputs import graded_folders
from autograder.classops.rubric import Criterion, load_rubric
from autograder.grading import results
from autograder.untrusted import csv_text, csv_value

GRADEBOOK = "gradebook.csv"
SCORES_NAME = "rubric_scores.csv"
GRADES_NAME = "grades.csv"
COMMENT = "comment"


class GradebookError(Exception):
    """A problem a TA must fix; the message says what and where."""


def graded_students(graded: Path) -> list[str]:
    """Students of a grade-all output folder holding a results.json, sorted."""
    return list(graded_folders(graded))


def ensure_scores_file(graded: Path, students: list[str], rubric: list[Criterion]) -> tuple[Path, list[str]]:
    """Create rubric_scores.csv, or append rows for new students; return (path, students added)."""
    path = Path(graded) / SCORES_NAME
    header = ["student", *(c.id for c in rubric), COMMENT]
    if not path.exists():
        # never replaces a TA's file: we only get here when there is none
        write_text_atomic(path, csv_text([header] + [[s] + [""] * (len(header) - 1) for s in students]))
        return path, list(students)
    listed = {row["student"] for row in read_scores(path, rubric, set(students))[1]}
    new = [s for s in students if s not in listed]
    if new:
        columns = read_header(path)
        text = path.read_text(encoding="utf-8-sig")
        with path.open("a", encoding="utf-8", newline="") as f:  # append only: the TA's bytes stay as they are
            if text and not text.endswith(("\n", "\r")):
                f.write("\n")
            f.write(csv_text([[s if col == "student" else "" for col in columns] for s in new]))
    return path, new


def read_header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            return [h.strip() for h in next(csv.reader(f), [])]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise GradebookError(f"{path}: cannot read it ({error})") from None


def read_scores(path: Path, rubric: list[Criterion], students: set[str]) -> tuple[list[str], list[dict]]:
    """Read and check the TAs' file; raise GradebookError listing every problem found."""
    problems: list[str] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            table = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise GradebookError(f"{path}: cannot read it as UTF-8 CSV ({error})") from None
    if not table or not any(cell.strip() for cell in table[0]):
        raise GradebookError(f"{path}: empty file, or no header row (delete it to have it created again)")
    header = [h.strip() for h in table[0]]
    known = {c.id for c in rubric}
    if header[0] != "student":
        problems.append(f"{path}: the first column must be 'student', not {header[0]!r}")
    missing = [c.id for c in rubric if c.id not in header]
    if missing:
        problems.append(f"{path}: missing column(s) {', '.join(missing)} (rubric.toml lists them)")
    unknown = [h for h in header[1:] if h not in known and h != COMMENT]
    if unknown:
        problems.append(f"{path}: unknown column(s) {', '.join(map(repr, unknown))}; the criteria are "
                        f"{', '.join(c.id for c in rubric)} (plus '{COMMENT}')")
    if len(set(header)) != len(header):
        problems.append(f"{path}: a column appears twice in the header")
    if problems:
        raise GradebookError("\n".join(problems))
    points = {c.id: c.points for c in rubric}
    rows, seen = [], {}
    for line, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            problems.append(f"{path} line {line}: {len(cells)} cells for {len(header)} columns (an unquoted comma?)")
            continue
        row = {h: (csv_value(cells[i].strip()) if i < len(cells) else "") for i, h in enumerate(header)}
        student = row["student"]
        if student not in students:
            problems.append(f"{path} line {line}: unknown student {student!r} (no students/{student}/results.json "
                            "here)")
        elif student in seen:
            problems.append(f"{path} line {line}: student {student!r} is listed twice (also line {seen[student]})")
        seen.setdefault(student, line)
        for cid, top in points.items():
            value = row.get(cid, "")
            if value == "":
                continue
            try:
                number = float(value.replace(",", ".")) if re.fullmatch(r"-?\d+,\d+", value) else float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                problems.append(f"{path} line {line}, {cid}: {value!r} is not a number")
            elif number < 0:
                problems.append(f"{path} line {line}, {cid}: {value} is negative")
            elif number > top + 1e-9:
                problems.append(f"{path} line {line}, {cid}: {value} is above the maximum of {top:g}")
            else:
                row[cid] = number
        rows.append(row)
    if problems:
        raise GradebookError("\n".join(problems))
    return header, rows


def merge(graded: Path, rubric: list[Criterion] | None = None) -> tuple[Path, list[str]]:
    """Write grades.csv from results.json files and rubric_scores.csv; return (path, notes for the TA)."""
    graded = Path(graded)
    if not graded.is_dir():
        raise GradebookError(f"{graded} is not a folder of graded submissions")
    rubric = rubric if rubric is not None else load_rubric()
    students = graded_students(graded)
    if not students:
        raise GradebookError(f"{graded} holds no graded submission (no students/<name>/results.json)")
    scores_path = graded / SCORES_NAME
    notes = []
    existed = scores_path.exists()
    if existed:  # check the TA's file before touching anything
        read_scores(scores_path, rubric, set(students))
    scores_path, added = ensure_scores_file(graded, students, rubric)
    if not existed:
        notes.append(f"created {scores_path} ({len(students)} students x {len(rubric)} criteria): enter the "
                     f"write-up scores there (maxima in autograder/classops/rubric.toml) and run this command again")
    elif added:
        notes.append(f"{scores_path}: added {len(added)} student(s) with empty scores: {', '.join(added[:10])}"
                     + (" ..." if len(added) > 10 else ""))
    _, rows = read_scores(scores_path, rubric, set(students))
    manual = {row["student"]: row for row in rows}
    out_rows, incomplete, writeups = [], [], {}
    folders = graded_folders(graded)
    for student in students:
        data = results.load(folders[student]) or {}
        problem = results.writeup_problem(data)
        if problem:
            writeups.setdefault(problem, []).append(student)
        auto = float(data.get("score", 0) or 0)
        row = manual.get(student, {})
        entered = [row.get(c.id, "") for c in rubric]
        if any(v == "" for v in entered):
            incomplete.append(student)
        writeup = sum(v for v in entered if v != "")
        out_rows.append([student, f"{auto:g}", f"{writeup:g}", f"{round(auto + writeup, 2):g}",
                         *("" if v == "" else f"{v:g}" for v in entered), row.get(COMMENT, "")])
    header = ["student", "autograder", "writeup", "total", *(c.id for c in rubric), COMMENT]
    path = graded / GRADES_NAME
    write_text_atomic(path, csv_text([header] + out_rows))
    if incomplete:
        notes.append(f"{len(incomplete)} of {len(students)} student(s) still have write-up criteria to grade "
                     f"(counted as 0 for now): {', '.join(incomplete[:10])}" + (" ..." if len(incomplete) > 10 else ""))
    for problem, who in sorted(writeups.items()):
        notes.append(f"{problem}: {len(who)} student(s): {', '.join(who[:10])}" + (" ..." if len(who) > 10 else ""))
    return path, notes


def gradebook_rows(graded: dict[str, dict | None]) -> tuple[list[str], list[list]]:
    """Header and rows of gradebook.csv (the autograder's record: each test's score, the status and its reason,
    the LMS facts), from each student's results (None: not graded yet)."""
    header, rows = ["student", "total"], []
    tests: list[str] = []
    for data in graded.values():
        for test in (data or {}).get("tests", []):
            if test["name"] not in tests:
                tests.append(test["name"])
    header += tests + ["test_accuracy", "status", "reason", "lms", "lms_id", "late"]
    for student, data in graded.items():
        if data is None:
            rows.append([student, "", *[""] * len(tests), "", "not graded", "", "", "", ""])
            continue
        scores = {t["name"]: t["score"] for t in data.get("tests", [])}
        status, facts = results.classify(data), results.lms_facts(data)
        rows.append([student, data["score"], *[scores.get(t, "") for t in tests],
                     data.get("leaderboard", [{}])[0].get("value", ""), status.name, status.reason,
                     facts.get("lms", ""), facts.get("id", ""), "late" if facts.get("late") else ""])
    return header, rows


def write_gradebook(out: Path, graded: dict[str, dict | None]) -> Path:
    """Write ``out/gradebook.csv`` for ``graded`` (student -> results, None: not graded yet)."""
    header, rows = gradebook_rows(graded)
    path = Path(out) / GRADEBOOK
    write_text_atomic(path, csv_text([header, *rows]))
    return path
