"""A local stand-in for the public MNIST mirrors: gzipped copies of the real, verified files served on 127.0.0.1."""
from __future__ import annotations

import atexit
import contextlib
import functools
import gzip
import http.server
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from data.fetch import SHA256, mnist_dir, verify


@functools.cache
def gzipped_mnist() -> Path:
    """A folder (one per test process) holding ``<name>.gz`` for each of the four real, verified IDX files."""
    verify(mnist_dir())
    folder = Path(tempfile.mkdtemp(prefix="mnist-mirror-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for name in SHA256:
        with open(mnist_dir() / name, "rb") as source, gzip.open(folder / f"{name}.gz", "wb", compresslevel=1) as out:
            shutil.copyfileobj(source, out)
    return folder


def mirror_copy(target: Path) -> Path:
    """A writable copy of the gzipped mirror in ``target`` (for tests that damage one file)."""
    shutil.copytree(gzipped_mnist(), target)
    return target


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port) while the block runs; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def path_without_npm(farm: Path, path: str) -> str:
    """A PATH for subprocesses that finds every program of ``path`` but Node.js and npm (symlinks in ``farm``)."""
    farm.mkdir(parents=True, exist_ok=True)
    for folder in path.split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            if entry.name not in NODE_PROGRAMS and not (farm / entry.name).exists() and os.access(entry.path, os.X_OK):
                (farm / entry.name).symlink_to(entry.path)
    return str(farm)


NODE_PROGRAMS = {"npm", "npx", "node", "nodejs", "corepack"}
