"""Grading inside an nbgrader notebook: the hidden part of each test cell calls these in the instructor's kernel.

``grade_cell("softmax")`` runs the public and hidden checks of one function against the notebook's definitions
with the kit's own runner (``checks.run_checks``) and scores them with the kit's own rules
(``scoring.function_results``), so a function earns the same points here as through the kit's CLI or Gradescope.
``training_points(history)`` scores the notebook's training run by the grader's rule. nbgrader takes the number a
test cell evaluates to as its partial credit. Seeds: ``$MLP_KIT_SEED`` if set, else a random one (printed).
Unlike the kit's CLI, nbgrader runs student code and these checks in one kernel: the route for courses whose
notebooks are trusted to that degree (see the README).
"""
from __future__ import annotations

import importlib
import os
import random
import sys
from pathlib import Path

from autograder.grading import checks, scoring
from solution.train import History


def seed() -> int:
    """The hidden checks' seed: ``$MLP_KIT_SEED``, else a fresh random one."""
    return int(os.environ.get("MLP_KIT_SEED") or random.SystemRandom().randrange(2**31))


def grade_cell(function: str) -> float:
    """Points of ``function`` (public and hidden checks, as the kit scores them); prints what failed, never raises."""
    sc, chosen = scoring.load(), seed()
    public = Path(importlib.import_module("tests_public").__file__).parent  # the copy beside the notebook
    try:
        outcomes = checks.run_checks(sys.modules["__main__"], chosen, (function,), public)
    except Exception as error:  # noqa: BLE001 - e.g. the notebook's definitions are unusable
        print(f"{function}: the checks could not run ({type(error).__name__}: {str(error)[:300]})")
        return 0.0
    tests = [t for t in scoring.function_results(outcomes, sc) if t.name.startswith(f"{function} (")]
    print(f"{function}: hidden checks drawn with seed {chosen}")
    for test in tests:
        print(f"{test.name}: {test.score:g}/{test.max_score:g}\n{test.output}")
    return round(sum(t.score for t in tests), 2)


def training_points(history: History | None) -> float:
    """Points of a training run by its final test accuracy (the kit's linear rule between the two bars); 0 if it
    stopped with an error (``history`` None)."""
    sc = scoring.load()
    if history is None:
        print(f"training: 0/{sc.training.points:g}, the run stopped with an error")
        return 0.0
    points = round(scoring.training_points(history.final_test_accuracy, sc), 2)
    print(f"training: {points:g}/{sc.training.points:g} for a test accuracy of "
          f"{100 * history.final_test_accuracy:.2f}%")
    return points
