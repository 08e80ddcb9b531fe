"""Intake: an upload (folder or zip) becomes a staging folder holding only mlp.py, REPORT.md and PNGs."""
from __future__ import annotations

import io
import os
import stat
import struct
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.grading import intake
from autograder.grading.intake import Entry, IntakeLimits, Staged, stage

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "solution" / "mlp.py").read_bytes()
FAST = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny) PNG: signature, IHDR, IDAT, IEND."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + bytes(width) for _ in range(min(height, 4))))
    return intake.PNG_MAGIC + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def make_zip(path: Path, files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def make_folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def assert_refused(staged: Staged, *words: str) -> None:
    assert staged.error is not None, staged
    assert all(word in staged.error for word in words), staged.error
    assert staged.found == [] and listing(staged.dest) == [], "a refused upload must leave dest empty"


def patch_names(data: bytes, old: bytes, new: bytes) -> bytes:
    """Rewrite a member name in the local and central headers (same length, so offsets stay valid)."""
    assert len(old) == len(new) and data.count(old) == 2
    return data.replace(old, new)


def set_flag(data: bytes, bit: int) -> bytes:
    """Set a general-purpose flag bit on every member, in the local and the central headers."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            struct.pack_into("<H", out, at + offset, struct.unpack_from("<H", out, at + offset)[0] | bit)
            at = out.find(signature, at + 4)
    return bytes(out)


GOOD = {"mlp.py": SOURCE, "REPORT.md": b"# My report\n", "curve.png": png()}


# ----------------------------------------------------------------------------- happy paths
@pytest.mark.parametrize("container", ["folder", "zip"])
def test_happy_path_copies_exactly_the_gradable_files(tmp_path, container):
    upload = make_folder(tmp_path / "up", GOOD) if container == "folder" else make_zip(tmp_path / "up.zip", GOOD)
    staged = stage(upload, tmp_path / "dest")
    assert staged.ok and staged.error is None
    assert staged.found == ["mlp.py", "REPORT.md", "curve.png"]
    assert listing(staged.dest) == ["REPORT.md", "curve.png", "mlp.py"]
    for name, data in GOOD.items():
        assert (staged.dest / name).read_bytes() == data


@pytest.mark.parametrize("where", ["alice/mlp.py", "assignment/mlp.py", "mnist-mlp-kit/assignment/mlp.py"])
@pytest.mark.parametrize("container", ["folder", "zip"])
def test_mlp_in_single_folder_or_assignment_is_found(tmp_path, where, container):
    files = {where: SOURCE, where.rsplit("/", 1)[0] + "/notes.txt": b"hi"}
    upload = make_folder(tmp_path / "up", files) if container == "folder" else make_zip(tmp_path / "up.zip", files)
    staged = stage(upload, tmp_path / "dest")
    assert staged.ok, staged.error
    assert (staged.dest / "mlp.py").read_bytes() == SOURCE
    assert any(where in note for note in staged.notes)


def test_report_next_to_mlp_and_images_anywhere_in_the_submission(tmp_path):
    files = {"kit/assignment/mlp.py": SOURCE, "kit/assignment/report.md": b"r", "kit/runs/me/curves.png": png(),
             "kit/curves.png": png(3, 3)}
    staged = stage(make_zip(tmp_path / "up.zip", files), tmp_path / "dest")
    assert staged.found == ["mlp.py", "REPORT.md", "curves.png", "curves-2.png"]
    assert (staged.dest / "curves.png").read_bytes() == png(3, 3), "the shallowest image keeps the plain name"


def test_a_lone_mlp_py_upload_is_accepted(tmp_path):
    (tmp_path / "mlp.py").write_bytes(SOURCE)
    staged = stage(tmp_path / "mlp.py", tmp_path / "dest")
    assert staged.ok and staged.found == ["mlp.py"]


def test_several_candidates_pick_the_shallowest_and_say_so(tmp_path):
    files = {"assignment/mlp.py": b"# deep\n", "mlp.py": b"# top\n"}
    for attempt in range(2):
        staged = stage(make_zip(tmp_path / f"up{attempt}.zip", files), tmp_path / f"dest{attempt}")
        assert (staged.dest / "mlp.py").read_bytes() == b"# top\n"
        assert any("several mlp.py candidates" in note and "assignment/mlp.py" in note for note in staged.notes)


def test_a_file_renamed_by_the_lms_is_graded_with_a_note(tmp_path):
    staged = stage(make_zip(tmp_path / "up.zip", {"smithjohn_123_456_mlp-1.py": SOURCE}), tmp_path / "dest")
    assert staged.ok and (staged.dest / "mlp.py").read_bytes() == SOURCE
    assert any("renamed" in note for note in staged.notes)


def test_metadata_and_tool_folders_are_ignored_with_a_note(tmp_path):
    files = {"alice/mlp.py": SOURCE, "__MACOSX/alice/._mlp.py": b"\0", "alice/.DS_Store": b"\0",
             "alice/.venv/lib/numpy/__init__.py": b"raise SystemExit", "alice/.git/config": b""}
    staged = stage(make_zip(tmp_path / "up.zip", files), tmp_path / "dest")
    assert staged.ok and staged.found == ["mlp.py"], staged
    notes = " | ".join(staged.notes)
    assert "alice/.venv/" in notes and "__MACOSX/" in notes and "metadata" in notes


# ----------------------------------------------------------------------------- files that must never be copied
DANGEROUS = {"conftest.py": "pytest", "numpy.py": "shadow", "sitecustomize.py": "start-up",
             "usercustomize.py": "start-up", "evil.pth": ".pth", "helpers.py": "only mlp.py is graded",
             "tests/conftest.py": "pytest"}


@pytest.mark.parametrize("container", ["folder", "zip"])
def test_code_that_could_run_during_grading_is_ignored_with_a_reason(tmp_path, container):
    files = {"mlp.py": SOURCE, **{name: b"import os; os.system('echo pwned')\n" for name in DANGEROUS}}
    upload = make_folder(tmp_path / "up", files) if container == "folder" else make_zip(tmp_path / "up.zip", files)
    staged = stage(upload, tmp_path / "dest")
    assert staged.ok and staged.found == ["mlp.py"] and listing(staged.dest) == ["mlp.py"]
    for name, reason in DANGEROUS.items():
        assert any(note.startswith(f"ignored {name}:") and reason in note for note in staged.notes), name


def test_the_folder_walk_never_follows_symlinks(tmp_path):
    secret = make_folder(tmp_path / "instructor", {"mlp.py": SOURCE})
    upload = tmp_path / "up"
    upload.mkdir()
    (upload / "mlp.py").symlink_to(secret / "mlp.py")
    (upload / "linked").symlink_to(secret, target_is_directory=True)
    staged = stage(upload, tmp_path / "dest")
    assert_refused(staged, "no mlp.py found")
    assert any("symbolic link" in note and "mlp.py" in note for note in staged.notes)


def test_images_must_be_real_small_pngs(tmp_path):
    files = {"mlp.py": SOURCE, "fake.png": b"#!/bin/sh\necho hi\n", "huge.png": png(100_000, 100_000),
             "big.png": png() + bytes(3 * intake.MB), "ok.png": png()}
    staged = stage(make_folder(tmp_path / "up", files), tmp_path / "dest")
    assert staged.found == ["mlp.py", "ok.png"]
    notes = " | ".join(staged.notes)
    assert "fake.png: it is not a PNG image" in notes and "huge.png" in notes and "big.png" in notes


def test_staging_into_a_non_empty_folder_is_a_caller_bug(tmp_path):
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "old.py").write_text("")
    with pytest.raises(FileExistsError):
        stage(make_zip(tmp_path / "up.zip", GOOD), tmp_path / "dest")


# ----------------------------------------------------------------------------- no mlp.py / too big
def test_missing_mlp_lists_what_was_found(tmp_path):
    staged = stage(make_zip(tmp_path / "up.zip", {"a.py": b"", "b.txt": b""}), tmp_path / "dest")
    assert_refused(staged, "no mlp.py found in the submission (found: a.py, b.txt)")


def test_empty_zip(tmp_path):
    assert_refused(stage(make_zip(tmp_path / "up.zip", {}), tmp_path / "dest"), "no mlp.py", "empty")


def test_mlp_too_large(tmp_path):
    staged = stage(make_zip(tmp_path / "up.zip", {"mlp.py": os.urandom(800_000).hex().encode()}), tmp_path / "dest")
    assert_refused(staged, "mlp.py", "over the")


def test_too_many_files(tmp_path):
    files = {"mlp.py": SOURCE, **{f"f{i}.txt": b"" for i in range(10)}}
    upload = make_zip(tmp_path / "up.zip", files)
    assert intake._declared_count(upload) == 11, "counted from the end record, before ZipFile() lists members"
    assert_refused(stage(upload, tmp_path / "dest", IntakeLimits(max_files=5)), "11 files", "5-file limit")


def test_total_size_cap_counts_members_that_would_be_ignored(tmp_path):
    files = {"mlp.py": SOURCE, "data.bin": os.urandom(200_000)}
    staged = stage(make_zip(tmp_path / "up.zip", files), tmp_path / "dest", IntakeLimits(max_total_bytes=150_000))
    assert_refused(staged, "would expand to", "data.bin")


def test_the_upload_itself_is_size_capped(tmp_path):
    staged = stage(make_zip(tmp_path / "up.zip", GOOD), tmp_path / "dest", IntakeLimits(max_upload_bytes=100))
    assert_refused(staged, "over the 100 bytes limit")


# ----------------------------------------------------------------------------- hostile zips
@pytest.mark.parametrize("name, why", [
    ("../mlp.py", "'..'"), ("a/../../etc/cron.d/x", "'..'"), ("a\\..\\..\\x.py", "'..'"),
    ("/etc/passwd", "absolute"), ("C:\\Windows\\x.py", "absolute"), ("\\\\server\\share\\x", "absolute"),
])
def test_unsafe_paths_refuse_the_zip(tmp_path, name, why):
    staged = stage(make_zip(tmp_path / "up.zip", {"mlp.py": SOURCE, name: b"x"}), tmp_path / "dest")
    assert_refused(staged, why, "refused for safety")
    assert not (tmp_path / "etc").exists() and not (tmp_path / "mlp.py").exists()


@pytest.mark.parametrize("mode, why", [(stat.S_IFLNK | 0o777, "symbolic link"), (stat.S_IFCHR | 0o666, "device"),
                                       (stat.S_IFIFO | 0o644, "device")])
def test_links_and_devices_refuse_the_zip(tmp_path, mode, why):
    with zipfile.ZipFile(tmp_path / "up.zip", "w") as archive:
        archive.writestr("mlp.py", SOURCE)
        info = zipfile.ZipInfo("REPORT.md")
        info.create_system, info.external_attr = 3, mode << 16
        archive.writestr(info, "/etc/passwd")
    assert_refused(stage(tmp_path / "up.zip", tmp_path / "dest"), "REPORT.md", why)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """200 MB of zeros deflated to about 200 KB, stored both as mlp.py and as an ignored file."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("data/zeros.bin", "mlp.py"):
            with archive.open(name, "w") as member:
                for _ in range(200):
                    member.write(bytes(intake.MB))
    return path


def test_zip_bomb_is_refused_quickly_without_writing(tmp_path, bomb):
    assert bomb.stat().st_size < 1 * intake.MB
    start = time.perf_counter()
    staged = stage(bomb, tmp_path / "dest")
    assert time.perf_counter() - start < 1.0, "declared sizes must be checked before anything is decompressed"
    assert_refused(staged, "zip bomb")


def test_zip_bomb_caught_by_total_cap_when_the_ratio_check_is_off(tmp_path, bomb):
    staged = stage(bomb, tmp_path / "dest", IntakeLimits(max_ratio=10**9))
    assert_refused(staged, "would expand to 400.0 MB", "20.0 MB limit")


def test_headers_that_lie_about_sizes_are_not_trusted(tmp_path):
    data = bytearray(make_zip(tmp_path / "honest.zip", {"mlp.py": b"#" * 3_000_000}).read_bytes())
    struct.pack_into("<I", data, data.index(b"PK\x03\x04") + 22, 100)  # local header: uncompressed size
    struct.pack_into("<I", data, data.index(b"PK\x01\x02") + 24, 100)  # central directory: uncompressed size
    (tmp_path / "liar.zip").write_bytes(bytes(data))
    assert_refused(stage(tmp_path / "liar.zip", tmp_path / "dest"), "mlp.py", "cannot be read")


def test_bounded_reader_stops_at_the_limit_whatever_the_declared_size():
    endless = Entry(("mlp.py",), 10, lambda: io.BytesIO(bytes(10 * intake.MB)))
    with pytest.raises(intake.TooLarge):
        intake._read_bounded(endless, 1000)
    assert intake._read_bounded(Entry(("a",), 10**9, lambda: io.BytesIO(b"abc")), 3) == b"abc"


def test_encrypted_zip_is_refused(tmp_path):
    data = set_flag(make_zip(tmp_path / "plain.zip", GOOD).read_bytes(), 0x1)
    (tmp_path / "up.zip").write_bytes(data)
    assert_refused(stage(tmp_path / "up.zip", tmp_path / "dest"), "password")


def test_duplicate_members_are_refused(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make_zip(tmp_path / "up.zip", {"mlp.py": SOURCE})
        with zipfile.ZipFile(tmp_path / "up.zip", "a") as archive:
            archive.writestr("mlp.py", b"import torch\n")
    assert_refused(stage(tmp_path / "up.zip", tmp_path / "dest"), "twice")


# ----------------------------------------------------------------------------- malformed uploads
def test_not_a_zip(tmp_path):
    (tmp_path / "up.zip").write_text("this is my homework")
    assert_refused(stage(tmp_path / "up.zip", tmp_path / "dest"), "not a zip file")


def test_missing_upload(tmp_path):
    assert_refused(stage(tmp_path / "nothing.zip", tmp_path / "dest"), "neither a folder nor a file")


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9])
def test_truncated_zip(tmp_path, keep):
    data = make_zip(tmp_path / "full.zip", GOOD, zipfile.ZIP_STORED).read_bytes()
    (tmp_path / "up.zip").write_bytes(data[: int(len(data) * keep)])
    assert_refused(stage(tmp_path / "up.zip", tmp_path / "dest"), "the zip is malformed")


def test_corrupt_member_data(tmp_path):
    data = bytearray(make_zip(tmp_path / "full.zip", {"mlp.py": SOURCE}).read_bytes())
    data[60:90] = bytes(30)  # inside the deflated stream of mlp.py
    (tmp_path / "up.zip").write_bytes(bytes(data))
    assert_refused(stage(tmp_path / "up.zip", tmp_path / "dest"), "mlp.py")


@FAST
@given(data=st.binary(max_size=400), prefix=st.sampled_from([b"", b"PK\x03\x04", b"PK\x05\x06"]))
def test_random_bytes_give_an_error_never_an_exception(tmp_path_factory, data, prefix):
    folder = tmp_path_factory.mktemp("random")
    (folder / "up.zip").write_bytes(prefix + data)
    staged = stage(folder / "up.zip", folder / "dest")
    assert staged.error and listing(staged.dest) == []


def test_non_utf8_member_name_is_skipped_with_a_note(tmp_path):
    data = make_zip(tmp_path / "plain.zip", {"mlp.py": SOURCE, "caf?.txt": b""}).read_bytes()
    (tmp_path / "up.zip").write_bytes(patch_names(data, b"caf?.txt", b"caf\xe9.txt"))
    staged = stage(tmp_path / "up.zip", tmp_path / "dest")
    assert staged.ok and staged.found == ["mlp.py"]
    assert any("not valid UTF-8" in note for note in staged.notes)


def test_mlp_inside_a_non_utf8_folder_is_not_found(tmp_path):
    data = make_zip(tmp_path / "plain.zip", {"M?ller/mlp.py": SOURCE}).read_bytes()
    (tmp_path / "up.zip").write_bytes(patch_names(data, b"M?ller", b"M\xfcller"))
    assert_refused(stage(tmp_path / "up.zip", tmp_path / "dest"), "no mlp.py")


def test_name_flagged_utf8_but_invalid_is_malformed(tmp_path):
    data = make_zip(tmp_path / "plain.zip", {"mlp.py": SOURCE, "caf?.txt": b""}).read_bytes()
    data = set_flag(patch_names(data, b"caf?.txt", b"caf\xe9.txt"), 0x800)
    (tmp_path / "up.zip").write_bytes(data)
    assert_refused(stage(tmp_path / "up.zip", tmp_path / "dest"), "malformed", "UTF-8")


def test_non_utf8_names_in_a_folder_are_skipped(tmp_path):
    upload = make_folder(tmp_path / "up", {"mlp.py": SOURCE})
    (upload / os.fsdecode(b"caf\xe9.py")).write_bytes(b"")
    staged = stage(upload, tmp_path / "dest")
    assert staged.ok and staged.found == ["mlp.py"]
    assert any("not valid UTF-8" in note for note in staged.notes)


# ----------------------------------------------------------------------------- property: whatever the names
NAME_PART = st.sampled_from(["mlp.py", "REPORT.md", "x.png", "conftest.py", "..", ".", "", "a", "assignment",
                             "é", "C:", ".venv", "__MACOSX", "numpy.py", "a\\..", "sub dir"])


@FAST
@given(names=st.lists(st.lists(NAME_PART, min_size=1, max_size=4).map("/".join).filter(bool), max_size=6, unique=True))
def test_whatever_the_member_names_only_allowed_files_land_in_dest(tmp_path_factory, names):
    folder = tmp_path_factory.mktemp("prop")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(folder / "up.zip", "w") as archive:
            for name in names:
                archive.writestr(name, png() if name.endswith(".png") else b"x = 1\n")
    staged = stage(folder / "up.zip", folder / "dest")
    written = listing(staged.dest)
    assert sorted(staged.found) == written
    assert all(p.is_file() and not p.is_symlink() for p in staged.dest.iterdir())
    assert all(name in ("mlp.py", "REPORT.md") or name.endswith(".png") for name in written)
    assert ("mlp.py" in written) == staged.ok
    assert sorted(p.name for p in folder.iterdir()) == ["dest", "up.zip"], "nothing written outside dest"


def test_a_lone_py_file_from_an_lms_is_graded_as_mlp_py(tmp_path):
    upload = tmp_path / "smith_12345_mlp.py"
    upload.write_text("def relu(z):\n    return z\n")
    staged = stage(upload, tmp_path / "out")
    assert staged.error is None and staged.found == ["mlp.py"]
    assert (tmp_path / "out" / "mlp.py").read_text() == upload.read_text()
    assert any("smith_12345_mlp.py" in note for note in staged.notes)


ESCAPES = "\x1b[2J\x1b]0;owned\x07\r\x9b31m\u202e"


@pytest.mark.parametrize("container", ["zip", "folder"])
def test_names_quoted_in_notes_and_errors_carry_no_control_characters(tmp_path, container):
    files = {"mlp.py": SOURCE, f"notes{ESCAPES}.txt": b"x", f"conftest{ESCAPES}.py": b"", "a/conftest.py": b""}
    upload = (make_zip(tmp_path / "up.zip", files) if container == "zip" else make_folder(tmp_path / "up", files))
    staged = stage(upload, tmp_path / "dest")
    assert staged.ok and staged.notes
    text = "\n".join(staged.notes)
    assert "notes" in text and "conftest" in text
    assert all(ch.isprintable() for ch in text.replace("\n", "")), repr(text)


def test_an_error_quoting_a_member_name_carries_no_control_characters(tmp_path):
    upload = make_zip(tmp_path / "up.zip", {f"../{ESCAPES}mlp.py": SOURCE})
    staged = stage(upload, tmp_path / "dest")
    assert staged.error and "'..' path component" in staged.error
    assert staged.error.isprintable(), repr(staged.error)
