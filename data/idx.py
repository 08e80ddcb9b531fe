"""Read MNIST IDX files into NumPy arrays: images float32 (N, 784) in [0, 1], labels int64 (N,)."""
from __future__ import annotations

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
    """IDX3 image file -> float32 (N, rows*cols) scaled to [0, 1]."""
    payload, (n, rows, cols) = _read(path, IMAGES_MAGIC)
    images = payload.reshape(n, rows * cols).astype(np.float32)
    images *= np.float32(1 / 255)
    return images


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
