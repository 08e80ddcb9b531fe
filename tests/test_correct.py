"""Correct code never loses a point: every implementation of tests/correct/ (written differently from the reference)
gets full marks for every function, on several seeds; a few are graded for real through the sandbox, and the
in-process route these tests use agrees with the grader's own (``autograder.grading.checks.run_checks``).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grading.checks import run_checks
from solution.train import load_submission
from submissions import buggy_constants, buggy_sources, correct_sources, make_submission
from suites import function_scores, full_marks, run_hidden, run_public

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (0, 1, 832, 4242, 2**31 - 1)
GRADED_FOR_REAL = {"named_keys": 5, "everything_different": 832, "float64_internals": 11, "zero_d_loss": 23}


def test_the_corpus_is_large_and_distinct():
    sources = [path.read_text() for path in correct_sources()]
    assert len(sources) >= 20 and len(set(sources)) == len(sources)


@pytest.mark.parametrize("path", correct_sources(), ids=lambda path: path.stem)
def test_correct_implementation_gets_full_marks_on_every_seed(tmp_path, path):
    folder = make_submission(tmp_path, path.read_text())
    public = run_public(folder)
    assert public.exit_code == 0, public.failed
    module = load_submission(folder)
    for seed in SEEDS:
        hidden = run_hidden(module, seed)
        assert all(c.passed for c in hidden), (seed, [(c.name, c.message) for c in hidden if not c.passed])
        assert function_scores(public.checks() + hidden) == full_marks()


@pytest.mark.parametrize("seed", (832,))  # one seed: the sweep and the corpora vary seeds in-process
def test_the_in_process_route_agrees_with_the_graders(tmp_path, seed):
    """Public (pytest) + run_hidden (no pytest per seed) give the same outcomes as the grader's run_checks, on
    correct and buggy code."""
    one_per_function = {buggy_constants(path)[0]: path for path in buggy_sources()}
    for path in correct_sources()[:2] + list(one_per_function.values()):
        folder = make_submission(tmp_path / path.stem, path.read_text())
        module = load_submission(folder)
        checks = run_public(folder).checks() + run_hidden(module, seed)
        ours = {(c.function, c.hidden, c.name): c.passed for c in checks}
        grader = {(c.function, c.hidden, c.name): c.passed for c in run_checks(module, seed)}
        assert ours == grader, (path.name, {k for k in ours if ours[k] != grader.get(k)} | (set(grader) - set(ours)))


@pytest.mark.skipif(os.geteuid() != 0, reason="the autograder's sandbox needs root")
@pytest.mark.parametrize("name, seed", GRADED_FOR_REAL.items())
def test_graded_for_real_through_the_sandbox(tmp_path, name, seed):
    folder = make_submission(tmp_path / "upload", (ROOT / "tests/correct" / f"{name}.py").read_text())
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(tmp_path / "out"),
                           "--no-training", "--seed", str(seed), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    tests = json.loads((tmp_path / "out/results.json").read_text())["tests"]
    units = [t for t in tests if t["name"].split(" (")[0] in full_marks()]
    assert len(units) == 10 and all(t["score"] == t["max_score"] for t in units), \
        [(t["name"], t["score"], t["output"]) for t in units if t["score"] != t["max_score"]]
