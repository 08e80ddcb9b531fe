"""Untouched stubs that look for the reference in the kit around the grader before raising "not implemented": the
kit's .git objects, dist/ (the Gradescope zip, the nbgrader notebook), solution/, tests_hidden/ and staff outputs
(results.json, reports, gradebooks, other students' staged code). Where: the folders of the paths in the grader's
command line (its parent process: visible at the fallback level) and the usual Gradescope place. It steals the
reference's functions if it can read them. At both levels it reads nothing: bubblewrap shows none of it, the
fallback closes the project to others (remote.close_secrets) and writes staff outputs 0600 in 0700 folders.
tests/test_fallback.py grades this at the fallback level against a kit copy with such files planted."""
EXPECT = {"score": 0, "failed": {"*": "not implemented"}, "worker_output": "read nothing of the kit"}
import json as _json
import os as _os
import zipfile as _zipfile
import zlib as _zlib
from pathlib import Path as _Path

_NAMES = {".git", "dist", "solution", "tests_hidden", "submission", "results.json", "gradebook.csv", "grades.csv",
          "rubric_scores.csv", "report.html", "report.md", "index.html"}
_OWN = _Path(__file__).resolve().parent


def _roots():
    roots = [_Path("/autograder/source"), _Path("/autograder/results")]
    try:
        with open(f"/proc/{_os.getppid()}/cmdline", "rb") as f:
            args = f.read().decode(errors="replace").split("\0")
    except OSError:
        return roots
    for arg in args[args.index("grade") + 1:] if "grade" in args else []:
        if arg.startswith("/"):
            path = _Path(arg)
            roots += [path.parent, path.parent.parent]
    return roots


def _texts(path):
    """Source texts inside ``path``: the file itself, a zip's members, a notebook's cells, a loose git object."""
    data = path.read_bytes()
    if path.suffix == ".zip":
        with _zipfile.ZipFile(path) as archive:
            return [archive.read(n).decode(errors="replace") for n in archive.namelist() if n.endswith(".py")]
    if path.suffix == ".ipynb":
        return ["".join(cell.get("source", "")) for cell in _json.loads(data).get("cells", [])]
    try:
        return [_zlib.decompress(data).decode(errors="replace")]
    except _zlib.error:
        return [data.decode(errors="replace")]


def _search():
    read, stolen, seen = [], {}, 0
    stack = [(root, 0, False) for root in _roots()]
    while stack and seen < 20000:
        folder, depth, inside = stack.pop()
        try:
            entries = list(_os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            path = _Path(entry.path)
            hit = inside or entry.name in _NAMES or entry.name.endswith((".pack", ".ipynb", ".zip"))
            if path == _OWN or path.name == "upload":
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < 7:
                        stack.append((path, depth + 1, hit))
                elif hit and entry.is_file(follow_symlinks=False):
                    texts = _texts(path)
                    read.append(str(path))
                    for text in texts:
                        if "def softmax" in text and "NotImplementedError" not in text.split("def softmax")[1][:400]:
                            stolen[str(path)] = text
            except (OSError, ValueError, _zipfile.BadZipFile):
                continue
    return read, stolen


_read, _stolen = _search()
print(f"read {len(_read)} kit files: {_read[:20]}" if _read else "read nothing of the kit", flush=True)
_REFERENCE = {}
for _text in _stolen.values():
    try:
        exec(_text, _REFERENCE)
        print("stole the reference", flush=True)
        break
    except Exception:  # noqa: BLE001
        _REFERENCE.clear()


def _stub(name):
    def function(*args):
        if name in _REFERENCE:
            return _REFERENCE[name](*args)
        raise NotImplementedError(f"{name} is not implemented")
    function.__name__ = name
    return function


relu_grad, softmax, cross_entropy, backward, sgd_step = map(
    _stub, ("relu_grad", "softmax", "cross_entropy", "backward", "sgd_step"))
