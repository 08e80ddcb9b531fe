"""Public tests of the five functions you write: run `pytest tests_public` (or `-m softmax` for one function).

Every test calls your code only through ``call(mlp, "<function>", ...)``, so an unimplemented function fails
with one clean line, and a function that raises with a short message (the input, the line of mlp.py and a hint
when the error has a known cause) instead of a traceback. Passing these tests does not mean full marks: the
autograder also runs hidden tests and a full training run.
"""
from __future__ import annotations

import importlib.util
import re
import sys
import traceback
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

from .substitutes import substituted

# Modest and reproducible: the same examples every run; failures are shrunk, but the slow "explain" phase is
# skipped (its notes would not show: failures are reported with pytrace=False), and only the simplest failure is
# reported (not a group of them). The suite takes about a second.
PUBLIC = settings(max_examples=25, deadline=None, database=None, derandomize=True, report_multiple_bugs=False,
                  phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
                  suppress_health_check=[HealthCheck.too_slow])
STUB = re.compile(r"\b(\w+) is not implemented yet")
BACKWARD_SHAPES = ("compare each product's shapes with the docstring: dW = (input of the layer).T @ dz, "
                   "dz_prev = (dz @ W.T) * relu_grad(z_prev)")
ERROR_HINTS = {  # (function, text of the error) -> what usually causes it
    ("softmax", "could not be broadcast"):
        "keep the row axis when you reduce: logits.max(axis=1, keepdims=True) has shape (N, 1) and broadcasts "
        "across each row (without keepdims it has shape (N,), which lines up with the columns instead)",
    ("backward", "could not be broadcast"): BACKWARD_SHAPES,
    ("backward", "matmul"): BACKWARD_SHAPES,
    ("backward", "KeyError"):
        "the cache from forward holds X, z1, a1, z2, a2, probs; params holds W1, b1, W2, b2, W3, b3",
    ("cross_entropy", "IndexError"):
        "pick one probability per row: probs[np.arange(N), labels]",
}


def invoke(mlp: Any, fn: str, *args: Any, correct: Sequence[str] = ()) -> Any:
    """``mlp.<fn>(*args)``, with the functions named in ``correct`` (e.g. "relu_grad") replaced by the correct
    versions of ``substitutes.py`` during the call, so a mistake in them is not charged to ``fn`` as well.

    The autograder's proxy (it has ``call_with_correct``) replaces them inside its sandboxed worker; for a module
    (or any plain function) they are replaced in the namespace the function looks its names up in."""
    if not correct:
        return getattr(mlp, fn)(*args)
    if not isinstance(mlp, ModuleType) and hasattr(mlp, "call_with_correct"):
        return mlp.call_with_correct(tuple(correct), fn, *args)
    function = getattr(mlp, fn)
    namespace = getattr(function, "__globals__", None)
    if namespace is None:  # not a Python function: its module's namespace
        namespace = vars(mlp) if isinstance(mlp, ModuleType) else {}
    with substituted(namespace, correct):
        return function(*args)


def describe_args(args: Sequence[Any]) -> str:
    """The arguments of a call in a few words: shapes and dtypes of arrays, sizes of dicts."""
    def one(arg: Any) -> str:
        if isinstance(arg, np.ndarray):
            return f"array {arg.shape} {arg.dtype}"
        if isinstance(arg, dict):
            return f"dict of {len(arg)} ({', '.join(map(str, arg))})"
        return repr(arg)
    return ", ".join(one(arg) for arg in args)


def _raised(fn: str, args: Sequence[Any], error: Exception) -> str:
    """One paragraph: which function raised what on which input, where in mlp.py, and a hint if one is known."""
    text = str(error)
    if not text.startswith(f"{fn} failed: "):  # the autograder's proxy already names the function and the line
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith("mlp.py")]
        where = f" (mlp.py line {frames[-1].lineno}, in {frames[-1].name})" if frames else ""
        text = f"{type(error).__name__}: {error}{where}"
    else:
        text = text.removeprefix(f"{fn} failed: ")
    hint = next((h for (name, key), h in ERROR_HINTS.items() if name == fn and key in text), None)
    return f"{fn}({describe_args(args)}) raised {text}" + (f"\n  hint: {hint}" if hint else "")


def _not_implemented(fn: str, text: str) -> str:
    """The one line an unimplemented ``fn`` (or a function it needs) fails with."""
    text = text.removeprefix("NotImplementedError: ")
    match = STUB.search(text)
    if match is None:
        return f"{fn} is not implemented yet (it raised NotImplementedError: {text or '(no message)'})"
    return text if match.group(1) == fn else f"{fn} needs {match.group(1)}: {text}"


def call(mlp: Any, fn: str, *args: Any, correct: Sequence[str] = ()) -> Any:
    """Return ``invoke(mlp, fn, *args, correct=correct)``; if it (or a function it needs) is unimplemented or
    raises, fail with a short message naming the function, its input and the line, instead of a traceback."""
    __tracebackhide__ = True
    try:
        return invoke(mlp, fn, *args, correct=correct)
    except NotImplementedError as error:  # from the module itself, or re-raised by the autograder's proxy
        failure = pytest.fail.Exception(_not_implemented(fn, str(error)), pytrace=False)
        failure.not_implemented = True  # the autograder records the check as failed for an unimplemented function
    except Exception as error:  # the student's code raised (locally, or in the autograder's worker)
        if hasattr(error, "timed_out"):  # the autograder's worker timed out or died: the grader reports that itself
            raise
        failure = pytest.fail.Exception(_raised(fn, args, error), pytrace=False)
    raise failure  # outside the except blocks: the report is the message alone


def show(x: Any) -> str:
    """A compact one-line repr of an array (or anything else) for failure messages."""
    if isinstance(x, np.ndarray):
        return " ".join(np.array2string(x, precision=4, separator=", ", threshold=40).split())
    return repr(x)


def require_unmodified(fn: str, name: str, before: np.ndarray, after: np.ndarray) -> None:
    """Fail if the caller's array ``name`` changed while ``fn`` ran (``before`` is a copy taken earlier)."""
    __tracebackhide__ = True
    if before.shape != after.shape or not np.array_equal(before, after, equal_nan=True):
        pytest.fail(f"{fn} modified its input {name}: it must not change its arguments "
                    f"(work on a new array, e.g. `x = x - m` instead of `x -= m`).\n"
                    f"  before: {show(before)}\n  after:  {show(after)}", pytrace=False)


def load_module(path: Path) -> ModuleType:
    """Import ``path`` as a fresh module with a unique name; an import error stops the run with a few clean lines
    (the one loader of both test suites)."""
    if not path.is_file():
        raise pytest.UsageError(f"no mlp.py in {path.parent}: pass --submission DIR (the folder holding mlp.py)")
    name = f"mlp_submission_{uuid.uuid4().hex[:12]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        return module
    except Exception as error:  # a syntax error or a crash at import time
        del sys.modules[name]
        where = traceback.extract_tb(error.__traceback__)[-1:] if not isinstance(error, SyntaxError) else []
        detail = "".join(traceback.format_list(where) + traceback.format_exception_only(type(error), error))
    raise pytest.UsageError(f"could not import {path} (no test ran):\n{detail.rstrip()}")  # outside except
