"""Read MNIST IDX files into NumPy arrays: images float32 (N, 784) in [0, 1], labels int64 (N,).

The float32 images are also written beside their IDX file (``<name>.float32.npy``, where the folder is writable)
and later loads map that file read-only: the grader, its sandboxed workers and the gradings running beside them
share one copy in the page cache instead of each converting 188 MB. A cache older than its IDX file, or of the
wrong shape, is rebuilt.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from data.fetch import DataError, mnist_dir

IMAGES_MAGIC = 2051  # 0x00000803: unsigned byte, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned byte, 1 dimension


class Split(NamedTuple):
    images: np.ndarray  # (N, 784) float32 in [0, 1]
    labels: np.ndarray  # (N,) int64 in 0..9


class Mnist(NamedTuple):
    train: Split
    test: Split


def _read(path: Path, magic: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """Return the raw uint8 payload and the dimensions of one IDX file, validating header and size."""
    try:
        raw = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        raise DataError(f"cannot read MNIST file {path} ({error.strerror}): run `python -m data.fetch`.") from None
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if raw.size < header or int.from_bytes(raw[:4].tobytes(), "big") != magic:
        raise DataError(f"{path} is not an IDX file of the expected kind (bad magic number): re-run `python -m data.fetch`.")
    dims = tuple(int(d) for d in raw[4:header].view(">u4"))
    if raw.size != header + int(np.prod(dims)):
        raise DataError(f"{path} has {raw.size - header} data bytes but its header says {int(np.prod(dims))}: "
                        f"the file is truncated; re-run `python -m data.fetch`.")
    return raw[header:], dims


def read_images(path: Path) -> np.ndarray:
    """IDX3 image file -> float32 (N, rows*cols) scaled to [0, 1] (read-only when mapped from the cache)."""
    cached = _cached(path)
    if cached is not None:
        return cached
    payload, (n, rows, cols) = _read(path, IMAGES_MAGIC)
    images = payload.reshape(n, rows * cols).astype(np.float32)
    images *= np.float32(1 / 255)
    _write_cache(path, images)
    return images


def cache_path(path: Path) -> Path:
    return path.with_name(path.name + ".float32.npy")


def _cached(path: Path) -> np.ndarray | None:
    """The cached images of IDX file ``path``, mapped read-only, or None when missing, stale or malformed."""
    cache = cache_path(path)
    try:
        source = path.stat()
        if cache.stat().st_mtime_ns < source.st_mtime_ns:
            return None
        images = np.asarray(np.load(cache, mmap_mode="r", allow_pickle=False))
    except (OSError, ValueError):
        return None
    if images.dtype != np.float32 or images.ndim != 2 or 16 + images.size != source.st_size:
        return None
    return images


def _write_cache(path: Path, images: np.ndarray) -> None:
    """Write the cache atomically, readable by the sandbox's uid; skipped where the folder is not writable."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as stream:
            np.save(stream, images, allow_pickle=False)
        os.chmod(temporary, 0o644)
        os.replace(temporary, cache_path(path))
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def read_labels(path: Path) -> np.ndarray:
    """IDX1 label file -> int64 (N,)."""
    payload, _ = _read(path, LABELS_MAGIC)
    return payload.astype(np.int64)


def load_split(folder: Path, prefix: str) -> Split:
    images = read_images(folder / f"{prefix}-images-idx3-ubyte")
    labels = read_labels(folder / f"{prefix}-labels-idx1-ubyte")
    if len(images) != len(labels):
        raise DataError(f"{folder}: {len(images)} {prefix} images but {len(labels)} labels: re-run `python -m data.fetch`.")
    return Split(images, labels)


def load_mnist(folder: Path | None = None) -> Mnist:
    """Load both splits (60,000 train, 10,000 test) from ``folder`` (default: ``data.fetch.mnist_dir()``)."""
    folder = Path(folder) if folder else mnist_dir()
    return Mnist(train=load_split(folder, "train"), test=load_split(folder, "t10k"))
