"""Real code gets the verdict it deserves: each implementation of tests/real/ (a real public from-scratch NumPy
network adapted to the API, bugs kept) gets, for every function, the verdict its VERDICT declares ("full",
"partial" or "zero"), the same on every seed; and its training run, audited as the grader audits it (in-process, a
few hundred steps of real MNIST, tests/test_audit.py's ``run``), ends as its TRAINING declares: "accepted" (the
accuracy decides the credit), "diverged", "audit failed" or "crashed".
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder.grading.scoring import GRADED as FUNCTIONS  # the real sources implement the core five
from solution.train import load_submission
from submissions import make_submission, real_sources
from suites import function_scores, full_marks, run_hidden, run_public

SEEDS = (0, 7, 832, 4242, 99_991)


def constant(path: Path, name: str):
    """A module-level literal of a real-code file, read with ast."""
    node = next(n for n in ast.parse(path.read_text()).body if isinstance(n, ast.Assign)
                and isinstance(n.targets[0], ast.Name) and n.targets[0].id == name)
    return ast.literal_eval(node.value)


def verdict_of(path: Path) -> dict[str, str]:
    """The VERDICT dict of a real-code file, read with ast."""
    verdict = constant(path, "VERDICT")
    assert set(verdict) == set(FUNCTIONS) and set(verdict.values()) <= {"full", "partial", "zero"}, path.name
    return verdict


def category(points: float, maximum: float) -> str:
    return "full" if points == maximum else "zero" if points == 0 else "partial"


def test_the_corpus_cites_at_least_eight_sources():
    paths = real_sources()
    assert len(paths) >= 8
    for path in paths:
        assert path.read_text().startswith('"""Adapted from '), f"{path.name} does not cite its source"


@pytest.mark.parametrize("path", real_sources(), ids=lambda path: path.stem)
def test_real_code_gets_its_verdict_on_every_seed(tmp_path, path):
    folder = make_submission(tmp_path, path.read_text())
    public, module = run_public(folder, None, "-W", "ignore"), load_submission(folder)
    maximum = full_marks()
    for seed in SEEDS:
        scores = function_scores(public.checks() + run_hidden(module, seed))
        got = {fn: category(scores[fn], maximum[fn]) for fn in FUNCTIONS}
        assert got == verdict_of(path), (seed, scores)


@pytest.fixture(scope="module")
def mnist():
    from data.idx import load_mnist

    return load_mnist()


@pytest.mark.parametrize("path", real_sources(), ids=lambda path: path.stem)
def test_real_code_gets_its_training_verdict(mnist, tmp_path, path):
    """The audit judges each chunk with the rule the grader picks: faithful only when every unit check of
    relu_grad, softmax, backward and sgd_step passes (here: when VERDICT says "full" for all four)."""
    import numpy as np

    from autograder.grading import training
    from test_audit import run

    expected = constant(path, "TRAINING")
    assert expected in ("accepted", "diverged", "audit failed", "crashed"), path.name
    faithful = all(verdict_of(path)[fn] == "full" for fn in ("relu_grad", "softmax", "backward", "sgd_step"))
    module = load_submission(make_submission(tmp_path, path.read_text()))
    try:
        with np.errstate(all="ignore"):
            run(mnist, module, faithful)
        got = "accepted"
    except training.AuditFailed as error:
        got = error.verdict
    except Exception:  # noqa: BLE001 - the student's code raised: the grader records a crash
        got = "crashed"
    assert got == expected, path.name
