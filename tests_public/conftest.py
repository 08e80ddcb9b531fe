"""Which mlp.py the public tests check: `--submission DIR`, else $MLP_SUBMISSION, else assignment/.

The autograder can instead set ``config.mlp_override`` (e.g. in its plugin's pytest_configure) to an object with
the same function attributes as the module; the ``mlp`` fixture then returns that object.
The tests run in the order to write the functions in (relu_grad, softmax, cross_entropy, backward, sgd_step, then
the optional extension: momentum_step, adam_step), and mlp.py is imported once, before any test: if that fails,
the run stops with the error, reported once.
"""
from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests_public import load_module

DEFAULT_SUBMISSION = Path(__file__).resolve().parent.parent / "assignment"
FUNCTIONS = ("relu_grad", "softmax", "cross_entropy", "backward", "sgd_step", "momentum_step", "adam_step")
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
        config.stash[MODULE] = load_module(submission_dir(config) / "mlp.py")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"submission: {describe(config)}", f"note: {NOTE}"]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if config.get_verbosity() < 0:  # -q hides the header, so say it once at the end
        terminalreporter.write_line(f"tested {describe(config)}; {NOTE}")


@pytest.fixture(scope="session")
def mlp(request: pytest.FixtureRequest) -> Any:
    """The implementation under test: config.mlp_override if the autograder set one, else the imported mlp.py."""
    override = getattr(request.config, "mlp_override", None)
    return override if override is not None else request.config.stash[MODULE]
