"""scoring.toml as typed configuration, the scoring rules and the results format: fast, in-process."""
from __future__ import annotations

import json
import math
import stat

import pytest

from autograder.grading import results, scoring
from autograder.grading.scoring import CheckOutcome
from solution.train import TrainConfig

SC = scoring.load()


def test_the_config_is_typed_and_adds_up_to_100():
    assert isinstance(SC.training, scoring.Training) and isinstance(SC.limits, scoring.WorkerLimits)
    assert SC.total == 100 and set(SC.functions) == set(scoring.GRADED)
    assert set(SC.extension) == set(scoring.EXTENSION) and SC.graded == scoring.GRADED  # the extension: 0 points
    assert SC.limits.function_seconds * len(scoring.FUNCTIONS) < SC.limits.grading_seconds
    assert SC.sandbox_limits().memory_bytes == SC.limits.memory_mb << 20


def test_hyper_parameters_live_once_in_train_config():
    assert SC.train_config(7) == TrainConfig(seed=7)  # the graded run is the student's default run


def test_an_unknown_or_missing_key_is_named(tmp_path):
    text = scoring.CONFIG_FILE.read_text().replace("chunk_seconds = 20", "chunk_second = 20")
    (tmp_path / "scoring.toml").write_text(text)
    with pytest.raises(ValueError, match=r"\[training\]: unknown keys \['chunk_second'\], missing \['chunk_seconds'\]"):
        scoring.load(tmp_path / "scoring.toml")


@pytest.mark.parametrize("edits, error", [
    ({"adam_step = 0": "adam_step = 5"}, r"points add up to 105, not 100: \[functions\] \+ \[extension\] \+ \[training\] "
                                         r"points must total 100"),
    ({"adam_step = 0": "adam_stepp = 0"}, r"\[extension\] lists \['adam_stepp'\]; it may list only"),
    ({"adam_step = 0": "adam_step = -5", "backward = 25": "backward = 30"}, r"negative points for \['adam_step'\]"),
])
def test_extension_points_are_checked(tmp_path, edits, error):
    text = scoring.CONFIG_FILE.read_text()
    for old, new in edits.items():
        text = text.replace(old, new)
    (tmp_path / "scoring.toml").write_text(text)
    with pytest.raises(AssertionError, match=error):
        scoring.load(tmp_path / "scoring.toml")


def test_without_an_extension_table_nothing_changes(tmp_path):
    text = scoring.CONFIG_FILE.read_text()
    start = text.index("[extension]")
    (tmp_path / "scoring.toml").write_text(text[:start] + text[text.index("[training]"):])
    sc = scoring.load(tmp_path / "scoring.toml")
    assert sc.extension == {} and sc.graded == scoring.GRADED and sc.total == 100


@pytest.mark.parametrize("accuracy, points", [(0.99, 25), (0.95, 25), (0.875, 12.5), (0.80, 0), (0.5, 0)])
def test_training_credit_is_linear_between_the_bars(accuracy, points):
    assert scoring.training_points(accuracy, SC) == pytest.approx(points)


def outcome(function: str, hidden: bool, passed: bool, timed_out: bool = False) -> CheckOutcome:
    return CheckOutcome(f"test_{function}_{hidden}_{passed}", function, hidden, passed, "" if passed else "off", timed_out)


def test_each_function_earns_in_proportion_public_and_hidden_apart():
    checks = [outcome("softmax", False, True)] * 3 + [outcome("softmax", False, False)] + \
             [outcome("softmax", True, True), outcome("softmax", True, False, timed_out=True)]
    tests = {t.name: t for t in scoring.function_results(checks, SC)}
    public, hidden = tests["softmax (public tests)"], tests["softmax (hidden tests)"]
    assert (public.max_score, hidden.max_score) == (6, 9)  # 15 points split 40/60
    assert public.score == pytest.approx(6 * 3 / 4) and hidden.score == pytest.approx(9 / 2)
    assert hidden.tags == ["timed out"] and "TIMED OUT" in hidden.output and public.tags == []
    assert tests["relu_grad (public tests)"].score == 0 and "no public checks ran" in tests["relu_grad (public tests)"].output


def test_results_are_strict_json_summing_their_tests(tmp_path):
    tests = scoring.function_results([outcome(f, h, True) for f in scoring.GRADED for h in (False, True)], SC)
    data = results.build(tests, "x" * 10**6, 1.234, float("nan"), {"loss": math.inf})
    results.write(tmp_path, data)
    back = json.loads((tmp_path / "results.json").read_text())  # strict: NaN and inf were made finite or null
    assert back["score"] == 75 == sum(t["score"] for t in back["tests"])
    assert len(back["output"]) == results.MAX_OUTPUT_CHARS and back["output_format"] == "text"
    assert stat.S_IMODE((tmp_path / "results.json").stat().st_mode) == 0o600
