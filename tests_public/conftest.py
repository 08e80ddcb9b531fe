"""Which mlp.py the public tests check: `--submission DIR`, else $MLP_SUBMISSION, else assignment/.

The autograder can instead set ``config.mlp_override`` (e.g. in its plugin's pytest_configure) to an object with
the same function attributes as the module; the ``mlp`` fixture then returns that object.
The tests run in the order to write the functions in (relu_grad, softmax, cross_entropy, backward, sgd_step), and
mlp.py is imported once, before any test: if that fails, the run stops with the error, reported once.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import traceback
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

DEFAULT_SUBMISSION = Path(__file__).resolve().parent.parent / "assignment"
FUNCTIONS = ("relu_grad", "softmax", "cross_entropy", "backward", "sgd_step")
NOTE = ("passing these public tests does not mean full marks: "
        "the autograder also runs hidden tests and a full training run")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--submission", metavar="DIR", default=None,
                     help="folder holding the mlp.py to test (default: $MLP_SUBMISSION, else assignment/)")


def pytest_configure(config: pytest.Config) -> None:
    for name in FUNCTIONS:  # also registered in pyproject.toml; repeated so a copied tests_public/ still works
        config.addinivalue_line("markers", f"{name}: tests of {name}")


def submission_dir(config: pytest.Config) -> Path:
    """The folder whose mlp.py is tested."""
    chosen = config.getoption("--submission") or os.environ.get("MLP_SUBMISSION")
    return Path(chosen).resolve() if chosen else DEFAULT_SUBMISSION


def describe(config: pytest.Config) -> str:
    override = getattr(config, "mlp_override", None)
    return f"{override!r} (mlp_override)" if override is not None else str(submission_dir(config) / "mlp.py")


MODULE = pytest.StashKey[ModuleType]()


def function_order(item: pytest.Item) -> int:
    """Where ``item`` goes: the position of the function it tests in FUNCTIONS (other tests last)."""
    return next((FUNCTIONS.index(m.name) for m in item.iter_markers() if m.name in FUNCTIONS), len(FUNCTIONS))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=function_order)  # stable: within a function, the files' own order
    if getattr(config, "mlp_override", None) is None and any("mlp" in getattr(i, "fixturenames", ()) for i in items):
        config.stash[MODULE] = load(submission_dir(config) / "mlp.py")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"submission: {describe(config)}", f"note: {NOTE}"]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if config.get_verbosity() < 0:  # -q hides the header, so say it once at the end
        terminalreporter.write_line(f"tested {describe(config)}; {NOTE}")


def load(path: Path) -> ModuleType:
    """Import ``path`` as a fresh module with a unique name; an import error stops the run with a few clean lines."""
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


@pytest.fixture(scope="session")
def mlp(request: pytest.FixtureRequest) -> Any:
    """The implementation under test: config.mlp_override if the autograder set one, else the imported mlp.py."""
    override = getattr(request.config, "mlp_override", None)
    return override if override is not None else request.config.stash[MODULE]
