"""Turn a student's upload (a folder or a .zip) into a clean staging folder holding only what is graded.

``stage(upload, dest)`` copies into ``dest``: ``mlp.py`` (required), ``REPORT.md`` (optional) and ``.png``
images (optional, checked to be real PNGs). Nothing else is ever copied: ``conftest.py``, ``numpy.py``,
``sitecustomize.py``, ``*.pth``, other ``.py`` files, data, virtualenvs... are listed in ``Staged.notes``.
Files are written under names chosen here, never under a name taken from the upload.

Where mlp.py may be: at the top, in ``assignment/``, or the same inside one single top-level folder (what you
get when a student zips a folder). A file renamed by an LMS (``smith_123_456_mlp-1.py``, ``mlp (1).py``) is
accepted when there is no plain ``mlp.py``. Several candidates: the shallowest wins, and a note says so.

Zips are read member by member (never ``extractall``), with limits checked on the declared sizes first and
then again on the bytes actually decompressed. A zip holding an absolute path, a ``..`` component, a NUL in a
name, a symbolic link or a device file is refused as a whole; members whose names are not UTF-8 are skipped.

Problems with the submission come back as ``Staged.error`` (one sentence), never as exceptions, so the
grader can always write a grade. Notes and errors quote names from the upload with their control characters
replaced (``untrusted.printable``), so they are safe to print. Only misuse by the caller (a non-empty ``dest``) raises.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from autograder.grading.static_checks import MAX_SOURCE_BYTES
from autograder.untrusted import printable

MB = 1_000_000
CHUNK = 64 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
#: Folders whose content is never looked at (metadata, VCS, virtualenvs, caches).
SKIPPED_DIRS = frozenset({"__MACOSX", "__pycache__", "node_modules", "site-packages", "venv"})
LMS_RENAMED = re.compile(r"^(?:.*[_\- ])?mlp(?:-\d+| ?\(\d+\))?\.py$", re.IGNORECASE)
STARTUP_REASONS = {
    "conftest.py": "pytest would run it while grading; it is never copied",
    "sitecustomize.py": "Python would run it at start-up; it is never copied",
    "usercustomize.py": "Python would run it at start-up; it is never copied",
    "numpy.py": "it would shadow the real NumPy; it is never copied",
}
OTHER_PY = "only mlp.py is graded; extra modules are not imported"
MAX_NOTED_FILES = 20


@dataclass(frozen=True)
class IntakeLimits:
    """Caps on what an upload may contain (bytes are decimal: 1 MB = 1,000,000 bytes)."""

    max_upload_bytes: int = 25 * MB  # the .zip file itself
    max_files: int = 500  # members of a zip
    max_total_bytes: int = 20 * MB  # sum of the uncompressed sizes of all members, declared and read
    max_ratio: int = 100  # uncompressed / compressed, for members of at least ratio_floor_bytes
    ratio_floor_bytes: int = 1 * MB
    max_source_bytes: int = MAX_SOURCE_BYTES  # mlp.py (the same limit as static_checks)
    max_report_bytes: int = 1 * MB
    max_image_bytes: int = 2 * MB  # each .png
    max_images: int = 10
    max_image_pixels: int = 25_000_000  # width * height from the PNG header
    max_scan: int = 10_000  # folder entries looked at before giving up listing


@dataclass
class Staged:
    """The result of ``stage``: ``error`` is None when ``dest`` holds a usable ``mlp.py``."""

    dest: Path
    found: list[str] = field(default_factory=list)  # names of the files written in dest
    notes: list[str] = field(default_factory=list)  # one human sentence each
    error: str | None = None
    sha256: dict[str, str] = field(default_factory=dict)  # name in dest -> SHA-256 of exactly what was staged
    startup_files: list[str] = field(default_factory=list)  # ignored files Python or pytest would run at start-up

    @property
    def ok(self) -> bool:
        return self.error is None


class Rejected(Exception):
    """The upload cannot be graded; str(error) is the sentence for Staged.error."""


class TooLarge(Exception):
    """A bounded read went past its limit."""


@dataclass(frozen=True)
class Entry:
    """One regular file of the upload, whatever its container."""

    parts: tuple[str, ...]
    size: int  # as declared (zip header) or seen (lstat); never trusted for reading
    open: Callable[[], BinaryIO]

    @property
    def path(self) -> str:
        return "/".join(self.parts)

    @property
    def name(self) -> str:
        return self.parts[-1]


# ============================================================================ entry point
def stage(upload: Path, dest: Path, limits: IntakeLimits = IntakeLimits()) -> Staged:
    """Copy the gradable files of ``upload`` (folder, .zip or a lone .py file) into ``dest`` (created, must be empty)."""
    upload, dest = Path(upload), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise FileExistsError(f"staging folder {dest} is not empty")
    staged = Staged(dest)
    try:
        _stage(upload, staged, limits)
    finally:  # names from the upload reach terminals, Markdown and HTML: no control character in any message
        staged.notes[:] = [printable(n, keep="") for n in staged.notes]
        staged.startup_files[:] = [printable(n, keep="") for n in staged.startup_files]
        staged.error = None if staged.error is None else printable(staged.error, keep="")
    return staged


def staged_sha256(upload: Path, limits: IntakeLimits = IntakeLimits()) -> dict[str, str]:
    """What ``stage`` would record in ``Staged.sha256`` for ``upload`` now (staged into a scratch folder), so a
    changed upload can be told from an unchanged one; {} when the upload is refused."""
    with tempfile.TemporaryDirectory(prefix="intake-") as scratch:
        return stage(upload, Path(scratch) / "staged", limits).sha256


def _stage(upload: Path, staged: Staged, limits: IntakeLimits) -> None:
    try:
        if upload.is_dir():
            contents = _collect(_folder_entries(upload, limits, staged.notes), limits, staged)
        elif upload.is_file() and upload.suffix == ".py":  # a lone file, e.g. an LMS's "smith_123_mlp.py"
            if upload.name != "mlp.py":
                staged.notes.append(f"graded the lone file {upload.name} as mlp.py")
            contents = _collect([_disk_entry(upload, ("mlp.py",))], limits, staged)
        elif upload.is_file():
            contents = _read_zip(upload, limits, staged)
        else:
            raise Rejected(f"the upload {upload.name} is neither a folder nor a file")
    except Rejected as error:
        staged.error = str(error)
        return
    _write(staged, contents)


def _collect(entries: list[Entry], limits: IntakeLimits, staged: Staged) -> list[tuple[str, bytes]]:
    """Choose, then read (bounded) and validate: (name in dest, content) pairs, mlp.py first."""
    return _read_plan(_plan(entries, limits, staged), limits, staged.notes)


def _write(staged: Staged, contents: list[tuple[str, bytes]]) -> None:
    """Called only once everything was read, so a refused upload leaves dest empty."""
    for name, data in contents:
        with open(staged.dest / name, "xb") as out:  # exclusive: never follows or replaces anything
            out.write(data)
        staged.found.append(name)
        staged.sha256[name] = hashlib.sha256(data).hexdigest()


# ============================================================================ zips
def _read_zip(upload: Path, limits: IntakeLimits, staged: Staged) -> list[tuple[str, bytes]]:
    size = upload.stat().st_size
    if size > limits.max_upload_bytes:
        raise Rejected(f"the upload is {_mb(size)}, over the {_mb(limits.max_upload_bytes)} limit")
    with upload.open("rb") as raw:
        head = raw.read(4)
    if head not in ZIP_MAGICS:
        raise Rejected(f"the upload {upload.name} is not a zip file (nor a folder)")
    _check_count(_declared_count(upload), limits)  # before ZipFile() builds one object per member
    try:
        with zipfile.ZipFile(upload) as archive:
            return _collect(_zip_entries(archive, limits, staged.notes), limits, staged)
    except UnicodeDecodeError:
        raise Rejected("the zip is malformed: a file name is marked UTF-8 but is not; re-create the zip") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, struct.error,
            NotImplementedError, RuntimeError, zlib.error) as error:
        raise Rejected(f"the zip is malformed (truncated, corrupt or unsupported): {error}") from None


def _declared_count(upload: Path) -> int | None:
    """Member count from the end-of-central-directory record, or None if it cannot be read here."""
    try:
        with upload.open("rb") as raw:
            end = zipfile._EndRecData(raw)  # private but long-stable; ZipFile() would raise on the same data
        return None if end is None else int(end[zipfile._ECD_ENTRIES_TOTAL])
    except (AttributeError, OSError, ValueError, struct.error, zipfile.BadZipFile):
        return None


def _check_count(count: int | None, limits: IntakeLimits) -> None:
    if count is not None and count > limits.max_files:
        raise Rejected(f"the zip has {count} files, over the {limits.max_files}-file limit: "
                       "submit only mlp.py, REPORT.md and your .png plots")


def _zip_entries(archive: zipfile.ZipFile, limits: IntakeLimits, notes: list[str]) -> list[Entry]:
    infos = archive.infolist()
    _check_count(len(infos), limits)
    for info in infos:
        _check_member(info)
    _check_sizes(infos, limits)
    entries, seen = [], set()
    for info in infos:
        parts = _member_parts(info, notes)
        if not parts or info.is_dir():  # None: name not UTF-8 (noted); (): a name like "." or "/"
            continue
        if parts in seen:
            raise Rejected(f"the zip contains {'/'.join(parts)} twice; re-create the zip")
        seen.add(parts)
        entries.append(Entry(parts, info.file_size, lambda info=info: archive.open(info)))
    return entries


def _check_member(info: zipfile.ZipInfo) -> None:
    """Refuse the whole zip for a member no normal zip tool produces: unsafe path, link, device, encryption."""
    name = info.orig_filename
    reason = _unsafe_path(name)
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if reason is None and kind == stat.S_IFLNK:
        reason = "is a symbolic link"
    elif reason is None and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        reason = "is a device or special file"
    if reason is not None:
        raise Rejected(f"the zip member {name!r} {reason}: refused for safety; zip only regular files")
    if info.flag_bits & 0x1:
        raise Rejected("the zip is password-protected: upload it without encryption")


def _unsafe_path(name: str) -> str | None:
    if "\x00" in name:
        return "has a NUL byte in its name"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return "has an absolute path"
    if ".." in norm.split("/"):
        return "has a '..' path component"
    return None


def _check_sizes(infos: list[zipfile.ZipInfo], limits: IntakeLimits) -> None:
    """Zip-bomb check on the declared sizes (the bounded reads check the real ones)."""
    for info in infos:
        if info.file_size >= limits.ratio_floor_bytes and \
                info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise Rejected(f"the zip member {info.filename!r} would expand from {_mb(info.compress_size)} to "
                           f"{_mb(info.file_size)}: it looks like a zip bomb and was not extracted")
    total = sum(info.file_size for info in infos)
    if total > limits.max_total_bytes:
        largest = max(infos, key=lambda i: i.file_size)
        raise Rejected(f"the zip would expand to {_mb(total)}, over the {_mb(limits.max_total_bytes)} limit "
                       f"(largest: {largest.filename}, {_mb(largest.file_size)}): "
                       "submit only mlp.py, REPORT.md and your .png plots")


def _member_parts(info: zipfile.ZipInfo, notes: list[str]) -> tuple[str, ...] | None:
    """Path components of a member, or None (with a note) when its name is not UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800:  # zipfile decoded the raw bytes as cp437: undo that, insist on UTF-8
        raw = name.encode("cp437")
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            notes.append(f"skipped {name!r}: its file name is not valid UTF-8")
            return None
    return _split(name)


def _split(name: str) -> tuple[str, ...]:
    return tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))


# ============================================================================ folders
def _folder_entries(root: Path, limits: IntakeLimits, notes: list[str]) -> list[Entry]:
    """Regular files under ``root``, sorted; links and special files are never followed (noted)."""
    entries: list[Entry] = []
    pending, scanned = [((), root)], 0
    while pending:
        parts, folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                items = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            notes.append(f"skipped the folder {'/'.join(parts) or '.'}/: it cannot be read ({error.strerror})")
            continue
        for item in items:
            scanned += 1
            if scanned > limits.max_scan:
                notes.append(f"stopped looking after {limits.max_scan} files and folders")
                return sorted(entries, key=lambda e: e.parts)
            here = (*parts, item.name)
            kind = _folder_kind(item, "/".join(here), notes)
            if kind == "dir":
                pending.append((here, Path(item.path)))
            elif kind == "file":
                entries.append(_disk_entry(Path(item.path), here))
    return sorted(entries, key=lambda e: e.parts)


def _folder_kind(item: os.DirEntry, shown: str, notes: list[str]) -> str | None:
    """'dir', 'file', or None for things that are skipped (with a note)."""
    if not _is_utf8(item.name):
        notes.append(f"skipped {shown.encode('utf-8', 'replace').decode()!r}: its file name is not valid UTF-8")
        return None
    if item.is_symlink():
        notes.append(f"skipped {shown}: it is a symbolic link, which is never followed")
        return None
    if item.is_dir(follow_symlinks=False):
        if _skipped_dir(item.name):
            notes.append(f"ignored the folder {shown}/ (not looked at)")
            return None
        return "dir"
    if item.is_file(follow_symlinks=False):
        return "file"
    notes.append(f"skipped {shown}: it is not a regular file")
    return None


def _disk_entry(path: Path, parts: tuple[str, ...]) -> Entry:
    try:
        size = path.lstat().st_size
    except OSError:
        size = 0  # reading it will fail and say why
    return Entry(parts, size, lambda: _open_no_follow(path))


def _open_no_follow(path: Path) -> BinaryIO:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path.name} is not a regular file")
    return os.fdopen(fd, "rb")


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")  # undecodable bytes come back from the OS as lone surrogates
    except UnicodeEncodeError:
        return False
    return True


def _skipped_dir(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIRS


# ============================================================================ choosing files
def _plan(entries: list[Entry], limits: IntakeLimits, staged: Staged) -> list[tuple[str, Entry]]:
    """(name in dest, entry) for mlp.py, then REPORT.md and images; notes for everything left out."""
    notes = staged.notes
    entries = _drop_skipped(entries, notes)
    roots = _roots(entries)
    considered: set[int] = set()  # ids of entries already explained by a note or chosen
    source = _pick_source(entries, roots, notes, considered)
    if source.size > limits.max_source_bytes:
        raise Rejected(f"{source.path} is {_mb(source.size)}, over the {_mb(limits.max_source_bytes)} limit")
    plan = [("mlp.py", source)]
    report = _pick_report(entries, roots, source, limits, notes, considered)
    plan += [("REPORT.md", report)] if report else []
    plan += _pick_images(entries, limits, notes, considered)
    ignored = [e for e in entries if id(e) not in considered]
    _note_ignored(ignored, notes)
    staged.startup_files = [e.path for e in ignored if _startup(e)]
    return plan


def _drop_skipped(entries: list[Entry], notes: list[str]) -> list[Entry]:
    """Leave out macOS metadata and whole skipped folders (.git/, .venv/, __pycache__/...), one note each."""
    kept, folders, metadata = [], {}, 0
    for entry in entries:
        depth = next((i for i, part in enumerate(entry.parts[:-1]) if _skipped_dir(part)), None)
        if depth is not None:
            folder = "/".join(entry.parts[:depth + 1])
            folders[folder] = folders.get(folder, 0) + 1
        elif entry.name == ".DS_Store" or entry.name.startswith("._"):
            metadata += 1
        else:
            kept.append(entry)
    notes += [f"ignored the folder {folder}/ ({count} file(s))" for folder, count in sorted(folders.items())]
    if metadata:
        notes.append(f"ignored {metadata} macOS metadata file(s) (.DS_Store, ._*)")
    return kept


def _roots(entries: list[Entry]) -> list[tuple[str, ...]]:
    """Folders where mlp.py may be: the top, and the single top-level folder if everything is inside one."""
    visible = [e for e in entries if not e.name.startswith(".") or len(e.parts) > 1]
    tops = {e.parts[0] for e in visible}
    if len(tops) == 1 and all(len(e.parts) > 1 for e in visible):
        return [(), (tops.pop(),)]
    return [()]


def _pick_source(entries: list[Entry], roots: list[tuple[str, ...]], notes: list[str],
                 considered: set[int]) -> Entry:
    places = [(*root, *sub) for root in roots for sub in ((), ("assignment",))]
    exact = [e for e in entries if e.name == "mlp.py" and e.parts[:-1] in places]
    renamed = [e for e in entries if LMS_RENAMED.match(e.name) and e.parts[:-1] in places]
    candidates = sorted(exact or renamed, key=lambda e: (len(e.parts), e.parts))
    if not candidates:
        raise Rejected(_no_source_message(entries))
    chosen = candidates[0]
    considered.update(id(e) for e in candidates)
    if len(candidates) > 1:
        others = ", ".join(e.path for e in candidates[1:])
        notes.append(f"several mlp.py candidates: graded {chosen.path} (the one nearest the top), not {others}")
    if not exact:
        notes.append(f"graded {chosen.path} as mlp.py (the file looks renamed, e.g. by the LMS)")
    elif chosen.path != "mlp.py" and len(candidates) == 1:
        notes.append(f"graded {chosen.path}")
    return chosen


def _no_source_message(entries: list[Entry]) -> str:
    if not entries:
        return "no mlp.py found in the submission (it is empty)"
    names = [e.path for e in entries]
    shown = ", ".join(names[:10]) + (f", ... ({len(names)} files)" if len(names) > 10 else "")
    return (f"no mlp.py found in the submission (found: {shown}); put mlp.py at the top of the upload "
            "or of its single folder")


def _pick_report(entries: list[Entry], roots: list[tuple[str, ...]], source: Entry, limits: IntakeLimits,
                 notes: list[str], considered: set[int]) -> Entry | None:
    places = [source.parts[:-1], *roots]
    reports = [e for e in entries if e.name.lower() == "report.md" and e.parts[:-1] in places]
    reports.sort(key=lambda e: (places.index(e.parts[:-1]), e.parts))
    for report in reports:
        considered.add(id(report))
        if report.size > limits.max_report_bytes:
            notes.append(f"ignored {report.path}: {_mb(report.size)} is over the "
                         f"{_mb(limits.max_report_bytes)} limit for REPORT.md")
        else:
            return report
    return None


def _pick_images(entries: list[Entry], limits: IntakeLimits,
                 notes: list[str], considered: set[int]) -> list[tuple[str, Entry]]:
    images = sorted((e for e in entries if e.name.lower().endswith(".png")), key=lambda e: (len(e.parts), e.parts))
    chosen, taken = [], set()
    for image in images:
        considered.add(id(image))
        if image.size > limits.max_image_bytes:
            notes.append(f"ignored {image.path}: {_mb(image.size)} is over the "
                         f"{_mb(limits.max_image_bytes)} limit for images")
        elif len(chosen) == limits.max_images:
            notes.append(f"ignored {image.path}: only the first {limits.max_images} images are kept")
        else:
            name = _image_name(image, taken)
            taken.add(name)
            chosen.append((name, image))
    return chosen


def _image_name(image: Entry, taken: set[str]) -> str:
    """A safe, unique file name for dest: [A-Za-z0-9._-] only, no leading dot, .png suffix."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", image.name[:-4]).strip("_")[:60] or "image"
    name, n = f"{stem}.png", 2
    while name in taken or name in ("mlp.py", "REPORT.md"):
        name, n = f"{stem}-{n}.png", n + 1
    return name


def _startup(entry: Entry) -> bool:
    """A file Python or pytest would run at start-up (never copied: flagged for the TA)."""
    return entry.name in STARTUP_REASONS or entry.name.endswith(".pth")


def _note_ignored(ignored: list[Entry], notes: list[str]) -> None:
    """One note per ignored Python-ish file (the risky ones first), then a summary of the rest."""
    pythonish = [e for e in ignored if _ignore_reason(e) is not None]
    pythonish.sort(key=lambda e: (not _startup(e), e.parts))
    for entry in pythonish[:MAX_NOTED_FILES]:
        notes.append(f"ignored {entry.path}: {_ignore_reason(entry)}")
    if len(pythonish) > MAX_NOTED_FILES:
        notes.append(f"ignored {len(pythonish) - MAX_NOTED_FILES} more Python files: {OTHER_PY}")
    rest = [e for e in ignored if _ignore_reason(e) is None]
    if rest:
        shown = ", ".join(e.path for e in rest[:5]) + (", ..." if len(rest) > 5 else "")
        notes.append(f"ignored {len(rest)} other file(s) ({shown}): only mlp.py, REPORT.md and .png images "
                     "are used")


def _ignore_reason(entry: Entry) -> str | None:
    name = entry.name
    if name in STARTUP_REASONS:
        return STARTUP_REASONS[name]
    if name.endswith(".pth"):
        return "a .pth file can run code when Python starts; it is never copied"
    if name.endswith((".py", ".pyw", ".pyc", ".so", ".pyd")):
        return OTHER_PY
    return None


# ============================================================================ reading
def _read_plan(plan: list[tuple[str, Entry]], limits: IntakeLimits,
               notes: list[str]) -> list[tuple[str, bytes]]:
    """Bounded reads; a failure on mlp.py rejects the upload, on anything else skips that file."""
    budget, out = limits.max_total_bytes, []
    for name, entry in plan:
        cap = min(_cap(name, limits), budget)
        try:
            data = _read_bounded(entry, cap)
            problem = _validate(name, data, limits)
        except TooLarge:
            problem = f"it is larger than {_mb(cap)} once decompressed"
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError,
                zlib.error) as error:
            problem = f"it cannot be read ({error})"
        if problem and name == "mlp.py":
            raise Rejected(f"{entry.path} was refused: {problem}")
        if problem:
            notes.append(f"ignored {entry.path}: {problem}")
            continue
        budget -= len(data)
        out.append((name, data))
    return out


def _cap(name: str, limits: IntakeLimits) -> int:
    if name == "mlp.py":
        return limits.max_source_bytes
    return limits.max_report_bytes if name == "REPORT.md" else limits.max_image_bytes


def _read_bounded(entry: Entry, limit: int) -> bytes:
    """At most ``limit`` bytes, whatever the header said; TooLarge as soon as there is more."""
    chunks, total = [], 0
    with entry.open() as stream:
        while chunk := stream.read(min(CHUNK, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise TooLarge
    return b"".join(chunks)


def _validate(name: str, data: bytes, limits: IntakeLimits) -> str | None:
    if not name.endswith(".png"):
        return None
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR" or len(data) < 24:
        return "it is not a PNG image"
    width, height = struct.unpack(">II", data[16:24])
    if width * height > limits.max_image_pixels:
        return f"a {width}x{height} image is over the {limits.max_image_pixels:,}-pixel limit"
    return None


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= 100_000 else f"{size:,} bytes"
