"""Fixtures of the hidden tests: the implementation under test, the trusted reference and a seeded RNG.

The autograder sets ``config.mlp_override`` to a proxy of the sandboxed submission and passes ``--hidden-seed``
(recorded in results.json). Run by hand: ``pytest tests_hidden --submission solution --hidden-seed 832``
(or ``MLP_SUBMISSION=solution pytest tests_hidden``; without --hidden-seed the seed is random).
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

from solution import mlp as reference_module
from tests_hidden.checks import rng_for
from tests_public import load_module

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--hidden-seed", type=int, default=None, help="seed of the hidden tests' random inputs")
    try:  # tests_public/conftest.py defines it too when both suites run together
        parser.addoption("--submission", metavar="DIR", default=None, help="folder holding the mlp.py to test")
    except ValueError:
        pass


@pytest.fixture(scope="session")
def mlp(request: pytest.FixtureRequest):
    override = getattr(request.config, "mlp_override", None)
    if override is not None:
        return override
    folder = request.config.getoption("--submission") or os.environ.get("MLP_SUBMISSION") or ROOT / "assignment"
    return load_module(Path(folder).resolve() / "mlp.py")


@pytest.fixture(scope="session")
def reference():
    return reference_module


@pytest.fixture(scope="session")
def hidden_seed(request: pytest.FixtureRequest) -> int:
    seed = request.config.getoption("--hidden-seed")
    return seed if seed is not None else random.SystemRandom().randrange(2**31)


@pytest.fixture
def rng(hidden_seed: int, request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator per test, derived from the run's seed and the test's name (so runs are reproducible)."""
    return rng_for(hidden_seed, request.node.nodeid)
