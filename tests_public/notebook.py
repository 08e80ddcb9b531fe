"""The notebook side of the nbgrader course: ``check("softmax")`` in its test cells, ``train(2)`` in its training cell.

It runs the same pytest suite as ``pytest tests_public -m softmax``, against the functions defined in the
notebook (the kernel's ``__main__`` module), and prints pytest's report. It never raises: a test cell's score is
decided by the autograder's own checks, not by this report.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent


class NotebookModule:
    """A pytest plugin: the suites' ``mlp`` fixture checks the notebook's functions."""

    def pytest_configure(self, config: pytest.Config) -> None:
        config.mlp_override = sys.modules["__main__"]


def check(function: str) -> None:
    """Run the public checks of ``function`` on the notebook's definitions and print pytest's report."""
    pytest.main([str(HERE), "-m", function, "-q", "--no-header", "-p", "no:cacheprovider", "-W", "ignore",
                 f"--rootdir={HERE}"], plugins=[NotebookModule()])


def train(epochs: int) -> Any:
    """Train the notebook's functions for ``epochs`` epochs with the kit's loop (train.py) and return the history.

    MNIST comes from ``$MNIST_DIR``, else ``data/mnist/`` (downloaded and SHA-256 verified on first use). Prints one
    line per epoch; an error prints one line instead of a traceback and returns None.
    """
    import train as kit_train
    from data.fetch import fetch
    from data.idx import load_mnist

    try:
        mnist = load_mnist(fetch())
        config = kit_train.TrainConfig(epochs=epochs)
        steps = len(kit_train.batch_order(len(mnist.train.labels), config.batch_size, config.seed, 1))
        _, history = kit_train.train(sys.modules["__main__"], mnist, config,
                                     on_epoch=kit_train.ProgressBar(config, steps).epoch_done)
    except Exception as error:  # noqa: BLE001 - the student's error, reported in one line
        print(f"training stopped: {type(error).__name__}: {str(error)[:500]}")
        return None
    return history
