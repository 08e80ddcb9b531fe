"""Turn check outcomes and the training outcome into Gradescope tests with scores, per ``scoring.toml``."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox import Limits

CONFIG_FILE = Path(__file__).with_name("scoring.toml")
GRADED = ("relu_grad", "softmax", "cross_entropy", "backward", "sgd_step")


@dataclass(frozen=True)
class Scoring:
    public_share: float
    functions: dict[str, float]
    training: dict
    visibility: dict[str, str]
    limits: dict

    @property
    def total(self) -> float:
        return sum(self.functions.values()) + self.training["points"]

    def train_config(self, seed: int) -> "TrainConfig":
        """The graded training run's hyper-parameters, with ``seed``."""
        from solution.train import TrainConfig

        t = self.training
        return TrainConfig(t["epochs"], t["lr"], t["batch_size"], t["momentum"], seed, t["lr_decay"])

    def sandbox_limits(self) -> Limits:
        lim = self.limits
        return Limits(wall_seconds=lim["sandbox_seconds"], cpu_seconds=lim["cpu_seconds"],
                      memory_bytes=lim["memory_mb"] << 20, processes=lim["processes"],
                      file_bytes=lim["file_mb"] << 20, output_bytes=lim["output_kb"] << 10)


def load(path: Path = CONFIG_FILE) -> Scoring:
    raw = tomllib.loads(path.read_text())
    scoring = Scoring(raw["public_share"], raw["functions"], raw["training"], raw["visibility"], raw["limits"])
    assert set(scoring.functions) == set(GRADED), f"{path}: [functions] must list exactly {GRADED}"
    assert abs(scoring.total - 100) < 1e-9, f"{path}: points add up to {scoring.total}, not 100"
    return scoring


@dataclass
class CheckOutcome:
    """One pytest test run against the sandboxed submission."""

    name: str
    function: str
    hidden: bool
    passed: bool
    message: str = ""
    timed_out: bool = False


@dataclass
class TestResult:
    """One entry of Gradescope's ``tests`` array."""

    name: str
    score: float
    max_score: float
    status: str  # "passed" or "failed"
    output: str
    visibility: str
    number: str = ""
    tags: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        entry = {"name": self.name, "score": round(self.score, 2), "max_score": self.max_score,
                 "status": self.status, "output": self.output, "visibility": self.visibility}
        if self.number:
            entry["number"] = self.number
        if self.tags:
            entry["tags"] = self.tags
        return entry


def training_points(accuracy: float, scoring: Scoring) -> float:
    t = scoring.training
    share = (accuracy - t["zero_accuracy"]) / (t["full_accuracy"] - t["zero_accuracy"])
    return t["points"] * min(1.0, max(0.0, share))


def function_results(checks: list[CheckOutcome], scoring: Scoring, reason: str = "") -> list[TestResult]:
    """Two Gradescope tests per graded function (public, hidden); with ``reason``, all zero for that reason."""
    results = []
    for number, function in enumerate(GRADED, start=1):
        for hidden in (False, True):
            kind = "hidden" if hidden else "public"
            share = 1 - scoring.public_share if hidden else scoring.public_share
            max_score = round(scoring.functions[function] * share, 2)
            group = [c for c in checks if c.function == function and c.hidden == hidden]
            passed = sum(c.passed for c in group)
            if reason or not group:
                lines = [reason or f"no {kind} checks ran"]
            else:
                lines = [f"{passed}/{len(group)} {kind} checks passed."]
                lines += [f"- {'TIMED OUT' if c.timed_out else 'FAILED'} {c.name}: {c.message}"
                          for c in group if not c.passed]
            score = max_score * passed / len(group) if group and not reason else 0.0
            results.append(TestResult(
                name=f"{function} ({kind} tests)", score=score, max_score=max_score,
                status="passed" if group and passed == len(group) and not reason else "failed",
                output="\n".join(lines), visibility=scoring.visibility[kind], number=f"{number}.{int(hidden) + 1}",
                tags=["timed out"] if any(c.timed_out for c in group) else []))
    return results
