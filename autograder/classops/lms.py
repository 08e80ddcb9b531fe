"""Who submitted what, from the names an LMS gives a bulk download: the student, their LMS id, lateness, and
which of several submissions is the latest (the one graded).

=========== ======================================================================================= ===========
LMS         bulk-download entry                                                                     LMS id
=========== ======================================================================================= ===========
Canvas      ``smithalice_10234_5550001_mlp.py``, late ``smithalice_LATE_10234_5550002_mlp-1.py``    user id
            (sortable name, ``LATE``, user id, attachment id, file name; one entry per file)
Moodle      ``Alice Smith_1234567_assignsubmission_file_/mlp.py`` (a folder per student, Moodle >=   participant
            3.1) or ``Alice Smith_1234567_assignsubmission_file_mlp.py`` (flat)                      id
Blackboard  ``HW3_asmith_attempt_2024-02-01-13-45-10_mlp.py`` (+ ``..._attempt_<time>.txt``         user name
            receipt holding "Name: Alice Smith (asmith)")
Gradescope  a folder holding ``submission_metadata.json`` (the autograder's file: users, created_at, ``sid``, else
            assignment due date, previous_submissions) and the files, or a ``submission/`` folder   e-mail
=========== ======================================================================================= ===========

Any other entry is a student of its own named after the entry, as before. Several entries of one student: the
latest submission is graded (highest Canvas attachment id, latest Blackboard attempt); loose files (Canvas always,
Moodle's and Blackboard's flat downloads) are assembled into one folder holding the latest file of each name.
Every field comes from untrusted names and files: printable, bounded, and never used as a path.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from autograder.untrusted import printable, safe_name

METADATA = "submission_metadata.json"
MAX_METADATA_BYTES = 1_000_000
MAX_FIELD = 200
CANVAS = re.compile(r"^(?P<name>[a-z0-9]+?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<order>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$")
BLACKBOARD = re.compile(r"^.+?_(?P<id>[^_]+)_attempt_(?P<order>\d{4}(?:-\d\d){5})(?:_(?P<file>.+)|\.txt)$")
RECEIPT_NAME = re.compile(r"^Name:\s*(?P<name>.*?)\s*\((?P<id>[^()]*)\)\s*$", re.MULTILINE)


@dataclass
class Upload:
    """One student's submission as found in the class folder."""

    student: str  # the folder name under students/ (printable, unique)
    path: Path  # what intake stages: a folder, a .zip or a lone .py (maybe assembled under <out>/.intake/)
    lms: str = ""  # "canvas", "moodle", "blackboard", "gradescope" or "" (not recognised)
    lms_id: str = ""
    name: str = ""  # as the LMS shows it
    late: bool = False
    submitted_at: str = ""
    previous: int = 0  # earlier submissions of this student (superseded here, or as Gradescope lists them)
    files: list[Path] = field(default_factory=list)  # the entries this upload is made of

    def facts(self) -> dict:
        """What results.json records under extra_data.lms."""
        return {"lms": self.lms, "id": self.lms_id, "name": self.name, "late": self.late,
                "submitted_at": self.submitted_at, "previous_submissions": self.previous}


@dataclass(frozen=True)
class Entry:
    """One entry of the class folder, as its name says."""

    path: Path
    lms: str
    lms_id: str
    name: str
    file: str  # the student's own file name ("" for a folder of files)
    order: str  # sorts the student's submissions oldest to latest
    late: bool = False


def _field(text: str) -> str:
    return printable(str(text), keep="", replacement="?").strip()[:MAX_FIELD]


def parse(path: Path) -> Entry | None:
    """What an LMS name says about one entry of a class folder (None: not an LMS name)."""
    name = path.name
    if path.is_dir() and (path / METADATA).is_file():
        return _gradescope(path)
    if m := CANVAS.match(name):
        return Entry(path, "canvas", m["id"], m["name"], m["file"], m["order"].zfill(20), bool(m["late"]))
    if m := MOODLE.match(name):
        return Entry(path, "moodle", m["id"], m["name"], m["file"], "")
    if m := BLACKBOARD.match(name):
        return Entry(path, "blackboard", m["id"], m["id"], m["file"] or "", m["order"])
    return None


def _gradescope(folder: Path) -> Entry | None:
    meta = read_metadata(folder / METADATA)
    users = meta.get("users") or [{}]
    user = users[0] if isinstance(users[0], dict) else {}
    lms_id = _field(user.get("sid") or user.get("email") or user.get("id") or "")
    if not lms_id:
        return None
    return Entry(folder, "gradescope", lms_id, _field(user.get("name") or lms_id), "",
                 _field(meta.get("created_at", "")), gradescope_late(meta))


def read_metadata(path: Path) -> dict:
    """Gradescope's submission_metadata.json ({} when missing, too large or malformed)."""
    try:
        if path.stat().st_size > MAX_METADATA_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _time(text) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None


def gradescope_late(meta: dict) -> bool:
    """Submitted after the assignment's due date (Gradescope's created_at against assignment.due_date)."""
    created, due = _time(meta.get("created_at")), _time((meta.get("assignment") or {}).get("due_date"))
    try:
        return bool(created and due and created > due)
    except TypeError:  # one aware, one naive
        return False


def gradescope_facts(upload: Path) -> dict | None:
    """extra_data.lms for an upload in Gradescope's layout: ``<root>/submission`` beside
    ``<root>/submission_metadata.json`` (as ``run_autograder`` grades it), or a folder holding the file."""
    upload = Path(upload)
    for candidate in (upload / METADATA, upload.parent / METADATA if upload.name == "submission" else None):
        if candidate is not None and candidate.is_file():
            meta = read_metadata(candidate)
            entry = _gradescope(candidate.parent)
            previous = meta.get("previous_submissions")
            return {"lms": "gradescope", "id": entry.lms_id if entry else "", "name": entry.name if entry else "",
                    "late": gradescope_late(meta), "submitted_at": _field(meta.get("created_at", "")),
                    "previous_submissions": len(previous) if isinstance(previous, list) else 0}
    return None


def class_uploads(folder: Path, assemble_in: Path) -> dict[str, Upload]:
    """Student -> upload for a class folder (folders, zips, .py files, LMS bulk downloads), sorted by student.
    Loose files of one student are copied into ``assemble_in/<student>/`` (rebuilt each time)."""
    groups: dict[tuple[str, str], list[Entry]] = {}
    plain: dict[str, Upload] = {}
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith(".") or not (path.is_dir() or path.suffix.lower() in (".zip", ".py", ".md", ".png",
                                                                                          ".txt")):
            continue
        entry = parse(path)
        if entry is not None:
            groups.setdefault((entry.lms, entry.lms_id), []).append(entry)
        elif path.is_dir() or path.suffix.lower() in (".zip", ".py"):
            plain[safe_name(path.stem if path.is_file() else path.name)] = Upload(
                safe_name(path.stem if path.is_file() else path.name), path, files=[path])
    uploads = dict(plain)
    names = [_student_name(entries) for entries in groups.values()]
    for (lms, lms_id), entries in groups.items():
        student = _student_name(entries)
        if names.count(student) > 1 or student in plain:  # two students with one name: the id tells them apart
            student = safe_name(f"{student}_{lms_id}")
        upload = _upload(student, lms, lms_id, entries, Path(assemble_in))
        if upload is not None:
            uploads[student] = upload
    return dict(sorted(uploads.items()))


def _student_name(entries: list[Entry]) -> str:
    return safe_name(_field(entries[0].name).replace("/", "_") or entries[0].lms_id)


def _display_name(lms: str, entries: list[Entry]) -> str:
    """Blackboard's receipt names the student ("Name: Alice Smith (asmith)"); the others' names say it."""
    for entry in entries:
        if lms == "blackboard" and entry.path.suffix == ".txt" and entry.path.is_file():
            try:
                m = RECEIPT_NAME.search(entry.path.read_text(encoding="utf-8", errors="replace")[:5000])
            except OSError:
                m = None
            if m:
                return _field(m["name"])
    return _field(entries[0].name)


def _upload(student: str, lms: str, lms_id: str, entries: list[Entry], assemble_in: Path) -> Upload | None:
    entries = sorted(entries, key=lambda e: (e.order, e.path.name))
    gradable = [e for e in entries if e.path.suffix != ".txt"]
    if not gradable:
        return None
    containers = [e for e in gradable if e.path.is_dir() or e.path.suffix.lower() == ".zip"]
    if lms == "moodle":  # one folder per submission plugin of one submission: the files are in the file plugin's
        containers = [e for e in containers if "_assignsubmission_file_" in e.path.name] or containers
    name = _display_name(lms, entries)
    if containers:  # whole submissions: the latest one is graded
        latest = containers[-1]
        upload = Upload(student, latest.path / "submission" if (latest.path / "submission").is_dir() else latest.path,
                        lms, lms_id, name, latest.late, _when(lms, latest), len(containers) - 1, [latest.path])
    else:  # loose files: the latest of each file name, in one folder
        chosen: dict[str, Entry] = {}
        for entry in gradable:
            chosen[_own_name(entry.file)] = entry
        target = assemble_in / student
        shutil.rmtree(target, ignore_errors=True)
        assemble_in.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the output folder: staff only
        target.mkdir(mode=0o700, parents=True)
        for own, entry in sorted(chosen.items()):
            if entry.path.is_file() and not entry.path.is_symlink():
                shutil.copyfile(entry.path, target / own)
        latest = max(chosen.values(), key=lambda e: (e.order, e.path.name))
        upload = Upload(student, target, lms, lms_id, name, any(e.late for e in chosen.values()), _when(lms, latest),
                        len(gradable) - len(chosen), [e.path for e in chosen.values()])
    facts = gradescope_facts(upload.path) if lms == "gradescope" else None
    if facts:
        upload.previous = facts["previous_submissions"]
    return upload


def _when(lms: str, entry: Entry) -> str:
    """The submission time an LMS name gives (Blackboard's attempt stamp, Gradescope's created_at), else ""."""
    return entry.order if lms in ("blackboard", "gradescope") else ""


def _own_name(file: str) -> str:
    """The student's file name without an LMS's renaming: ``mlp-1.py`` and ``mlp (1).py`` are ``mlp.py``."""
    own = re.sub(r"(?:-\d+| ?\(\d+\))(?=\.[A-Za-z0-9]+$)", "", Path(file).name) or "file"
    own = re.sub(r"[^A-Za-z0-9._-]+", "_", own).lstrip(".") or "file"
    return own[:100]
