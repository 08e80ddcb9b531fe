"""Turn check outcomes and the training outcome into Gradescope tests with scores, per ``scoring.toml``."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.grading.sandbox import Limits

if TYPE_CHECKING:
    from solution.train import TrainConfig

CONFIG_FILE = Path(__file__).with_name("scoring.toml")
# The functions students write, in the order to write them: the core five, always graded ([functions]), then the
# optional extension, graded only when [extension] gives it points (``Scoring.graded``).
GRADED = ("relu_grad", "softmax", "cross_entropy", "backward", "sgd_step")
TRAINING_TEST = "training run on MNIST"
EXTENSION = ("momentum_step", "adam_step")
FUNCTIONS = GRADED + EXTENSION


@dataclass(frozen=True)
class Training:
    """``[training]``: the graded run's points, accuracy bars and time budgets. Its hyper-parameters are not here:
    they are ``solution/train.py``'s ``TrainConfig`` defaults, shared by the student's trainer, the grader and the
    nbgrader notebook."""

    points: float
    full_accuracy: float
    zero_accuracy: float
    seconds: float
    chunk_seconds: float


@dataclass(frozen=True)
class Visibility:
    """``[visibility]``: Gradescope visibility of the public checks, the hidden checks and the training run."""

    public: str
    hidden: str
    training: str


@dataclass(frozen=True)
class WorkerLimits:
    """``[limits]``: what one worker, one function's checks and one whole grading may take."""

    call_seconds: float
    function_seconds: float
    sandbox_seconds: float
    cpu_seconds: float
    memory_mb: int
    processes: int
    file_mb: int
    output_kb: int
    grading_seconds: float

    def sandbox(self) -> Limits:
        return Limits(wall_seconds=self.sandbox_seconds, cpu_seconds=self.cpu_seconds,
                      memory_bytes=self.memory_mb << 20, processes=self.processes,
                      file_bytes=self.file_mb << 20, output_bytes=self.output_kb << 10)


@dataclass(frozen=True)
class Scoring:
    """``scoring.toml``, typed: the one place for points, limits and visibility."""

    public_share: float
    functions: dict[str, float]
    training: Training
    visibility: Visibility
    limits: WorkerLimits
    extension: dict[str, float] = field(default_factory=dict)  # [extension]: points of the optional functions

    @property
    def graded(self) -> tuple[str, ...]:
        """The functions that earn points, in the order to write them: the core five, then every extension
        function that ``[extension]`` gives points (one with 0 points is not checked at all)."""
        return GRADED + tuple(name for name in EXTENSION if self.extension.get(name, 0) > 0)

    def points(self, function: str) -> float:
        """``function``'s points ([functions] or [extension])."""
        return self.functions[function] if function in self.functions else self.extension.get(function, 0.0)

    @property
    def total(self) -> float:
        return sum(self.functions.values()) + sum(self.extension.values()) + self.training.points

    def train_config(self, seed: int) -> "TrainConfig":
        """The graded training run: the student's default hyper-parameters, with ``seed``."""
        from solution.train import TrainConfig

        return TrainConfig(seed=seed)

    def sandbox_limits(self) -> Limits:
        return self.limits.sandbox()


def _section(cls: type, raw: dict, path: Path, name: str):
    """``cls(**raw[name])`` with a one-line error naming the file, the section and the key."""
    keys = {f.name for f in fields(cls)}
    given = raw.get(name, {})
    if set(given) != keys:
        raise ValueError(f"{path} [{name}]: unknown keys {sorted(set(given) - keys)}, missing {sorted(keys - set(given))}")
    return cls(**given)


def load(path: Path = CONFIG_FILE) -> Scoring:
    raw = tomllib.loads(path.read_text())
    extension = dict(raw.get("extension", {}))
    scoring = Scoring(float(raw["public_share"]), dict(raw["functions"]), _section(Training, raw, path, "training"),
                      _section(Visibility, raw, path, "visibility"), _section(WorkerLimits, raw, path, "limits"),
                      extension)
    assert set(scoring.functions) == set(GRADED), f"{path}: [functions] must list exactly {GRADED}"
    unknown = sorted(set(extension) - set(EXTENSION))
    assert not unknown, f"{path}: [extension] lists {unknown}; it may list only {EXTENSION}"
    negative = sorted(name for name, value in {**scoring.functions, **extension}.items() if value < 0)
    assert not negative, f"{path}: negative points for {negative}"
    assert abs(scoring.total - 100) < 1e-9, (
        f"{path}: points add up to {scoring.total:g}, not 100: [functions] + [extension] + [training] points must "
        f"total 100 (to grade the extension, take its points from other parts)")
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
    not_implemented: bool = False  # failed with NotImplementedError: the function is still the handout's stub


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


def training_number(scoring: Scoring) -> str:
    """The training test's Gradescope number: after the graded functions' ("6.1" without the extension)."""
    return f"{len(scoring.graded) + 1}.1"


def training_points(accuracy: float, scoring: Scoring) -> float:
    t = scoring.training
    share = (accuracy - t.zero_accuracy) / (t.full_accuracy - t.zero_accuracy)
    return t.points * min(1.0, max(0.0, share))


def function_results(checks: list[CheckOutcome], scoring: Scoring, reason: str = "") -> list[TestResult]:
    """Two Gradescope tests per graded function (``scoring.graded``: public, hidden); with ``reason``, all zero for
    that reason. Outcomes of functions that are not graded (an extension function with 0 points) are ignored."""
    results = []
    for number, function in enumerate(scoring.graded, start=1):
        for hidden in (False, True):
            kind = "hidden" if hidden else "public"
            share = 1 - scoring.public_share if hidden else scoring.public_share
            max_score = round(scoring.points(function) * share, 2)
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
                output="\n".join(lines), visibility=getattr(scoring.visibility, kind), number=f"{number}.{int(hidden) + 1}",
                tags=["timed out"] if any(c.timed_out for c in group) else []))
    return results


def zero_results(reason: str, scoring: Scoring) -> list[TestResult]:
    """Every test at zero, with one reason (when nothing of the submission could run)."""
    return function_results([], scoring, reason) + [TestResult(
        TRAINING_TEST, 0, scoring.training.points, "failed", reason, scoring.visibility.training,
        training_number(scoring))]
