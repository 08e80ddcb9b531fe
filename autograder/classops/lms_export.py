"""Grades as a CSV an LMS imports, keyed by the LMS id that intake read from the bulk download's names
(``extra_data.lms`` of each results.json); gradebook.csv and grades.csv stay the detailed record.

``python -m autograder export GRADED_DIR --lms canvas|moodle [--assignment NAME] [--out FILE]``

* **Canvas** (Grades > Import): the columns of Canvas's own gradebook export, which its import reads back:
  ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per assignment; Canvas matches students
  by ``ID`` (the user id in the bulk download's names), and a column named after no existing assignment creates
  one ("Student Name, Student ID or SIS User ID, SIS Login ID, Section, Assignment Name": Canvas's guide "How do
  I import grades in the Gradebook?", as summarised by OSU's
  teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades).
  Name an existing assignment as Canvas's export does, ``MNIST MLP (12345)``, to fill it instead.
* **Moodle** (the assignment's "Upload grading worksheet", offline grading): the worksheet's columns, which
  Moodle's importer (mod/assign/feedback/offline/importgradeslib.php) finds by their English headers:
  ``Identifier`` ("Participant <id>", the participant id of the bulk download's names), ``Grade`` and
  ``Last modified (grade)`` are required; ``Full name`` and ``Maximum Grade`` are shown, not read. A grade
  changed in Moodle after ``Last modified (grade)`` is kept unless the upload form says otherwise.

The score is grades.csv's ``total`` (autograder + write-up) when ``gradebook`` has written it, else the
autograder's. Cells go through ``untrusted.csv_text`` (formula neutralising).
"""
from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from autograder.atomic import write_text_atomic
from autograder.classops.gradebook import GRADES_NAME
from autograder.classops.outputs import load_class
from autograder.classops.rubric import load_rubric
from autograder.grading import results
from autograder.untrusted import csv_text, csv_value

LMSES = ("canvas", "moodle")
DEFAULT_ASSIGNMENT = "MNIST MLP"
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["Identifier", "Full name", "Grade", "Maximum Grade", "Last modified (grade)"]
MOODLE_PARTICIPANT = "Participant "  # Moodle's 'hiddenuser' string, which the importer strips before the id


class ExportError(Exception):
    """Nothing to export; the message says why."""


def _totals(graded: Path) -> dict[str, tuple[str, str]]:
    """Student -> (score, maximum) from grades.csv when the write-up is merged there."""
    path = graded / GRADES_NAME
    if not path.is_file():
        return {}
    writeup = sum(c.points for c in load_rubric())
    with path.open(newline="", encoding="utf-8") as f:
        return {csv_value(row["student"]): (row["total"], f"{100 + writeup:g}") for row in csv.DictReader(f)}


def rows(graded: Path, lms: str) -> tuple[list[tuple[dict, str, str]], list[str]]:
    """(extra_data.lms facts, score, maximum) for each student of ``lms``; and the students left out."""
    totals, found, skipped = _totals(Path(graded)), [], []
    for student, data in load_class(graded).items():
        data = data or {}
        facts = results.lms_facts(data)
        if facts.get("lms") != lms or not facts.get("id"):
            skipped.append(student)
            continue
        score, top = totals.get(student, (f"{float(data.get('score', 0)):g}", "100"))
        found.append((facts, score, top))
    return found, skipped


def export(graded: Path, lms: str, out: Path | None = None, assignment: str = DEFAULT_ASSIGNMENT,
           now: datetime | None = None) -> tuple[Path, list[str]]:
    """Write the import CSV for ``lms``; return its path and the students left out (no id of that LMS)."""
    graded = Path(graded)
    found, skipped = rows(graded, lms)
    if not found:
        raise ExportError(f"no student of {graded} was recognised as a {lms} submission (no {lms} id in "
                          "results.json); grade an LMS bulk download with grade-all first")
    if lms == "canvas":
        table = [CANVAS_COLUMNS + [assignment]] + [[f["name"], f["id"], "", "", "", score] for f, score, _ in found]
    else:
        stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
        table = [MOODLE_COLUMNS] + [[MOODLE_PARTICIPANT + f["id"], f["name"], score, top, stamp]
                                    for f, score, top in found]
    path = Path(out) if out else graded / f"{lms}_import.csv"
    write_text_atomic(path, csv_text(table))
    return path, skipped
