"""cross_entropy(probs, labels): the MEAN of -log(probs[i, labels[i]]), clipped so it is always finite."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from . import PUBLIC, call, require_unmodified, show

pytestmark = pytest.mark.cross_entropy

FLOOR_COST = -math.log(1e-12)  # 27.631..., the most one sample can cost once probabilities are clipped


def wrong_formula(probs: np.ndarray, labels: np.ndarray, got: float, expected: float) -> str | None:
    """Name the usual mistakes whose result equals got (all of them when this input cannot tell them apart)."""
    n = len(labels)
    picked = np.zeros(probs.shape, dtype=bool)
    picked[np.arange(n), labels] = True
    with np.errstate(divide="ignore"):
        logs = -np.log(probs.astype(np.float64))
        others = -np.log1p(-probs.astype(np.float64))  # -log(1 - p), the other classes' binary cross-entropy
    candidates = {
        "you summed over the batch instead of taking the mean: divide by N (use .mean())": expected * n,
        "you divided by N twice": expected / n,
        "you took the mean over every entry of the N x C one-hot product: average over the N samples only":
            expected / probs.shape[1],
        "you took the log of EVERY probability: use only the true class's, probs[np.arange(N), labels]":
            logs.mean(),
        "you took the log of EVERY probability (summed per row): use only the true class's, "
        "probs[np.arange(N), labels]": logs.sum(axis=1).mean(),
        "you added the other classes' -log(1 - p) (a binary cross-entropy per class): the loss is only "
        "-log of the true class's probability": (logs * picked + others * ~picked).sum(axis=1).mean(),
        "probs[:, labels] picks an N x N block: use probs[np.arange(N), labels] (one entry per row)":
            logs[:, labels].mean(),
    }
    found = [hint for hint, value in candidates.items()
             if np.isfinite(value) and math.isclose(got, value, rel_tol=1e-4) and not math.isclose(got, expected)]
    if len(found) > 1:
        return "this input cannot tell which of these it is: " + "; or ".join(found)
    return found[0] if found else None


def check(probs: np.ndarray, labels: np.ndarray, got: object, expected: float, tol: float = 1e-5) -> None:
    """Fail with an actionable message unless got is a finite number close to expected."""
    __tracebackhide__ = True
    where = f"\n  probs:  {show(probs)}\n  labels: {show(labels)}"
    if np.ndim(got) != 0:
        hint = " (one loss per sample? take the mean)" if np.shape(got) == labels.shape else ""
        pytest.fail(f"cross_entropy must return one number, got shape {np.shape(got)}{hint}{where}", pytrace=False)
    value = float(got)  # type: ignore[arg-type]
    if math.isnan(value):
        pytest.fail(f"cross_entropy returned nan: a probability of 0 reached a log (0 * log(0) is nan when every "
                    f"entry is used): take only the true class's probabilities, probs[np.arange(N), labels], and clip "
                    f"them to [PROB_FLOOR, 1] = [1e-12, 1] before the log{where}", pytrace=False)
    if not math.isfinite(value):
        pytest.fail(f"cross_entropy returned {value}: a probability of 0 makes log(0) = -inf; clip the picked "
                    f"probabilities to [PROB_FLOOR, 1] = [1e-12, 1] before the log{where}", pytrace=False)
    if not math.isclose(value, expected, rel_tol=tol, abs_tol=tol):
        hint = wrong_formula(probs, labels, value, expected) or other_floor(probs, labels, value)
        pytest.fail(f"cross_entropy returned {value:.6g}, expected {expected:.6g}"
                    f"{f': {hint}' if hint else ''}{where}", pytrace=False)


def other_floor(probs: np.ndarray, labels: np.ndarray, got: float) -> str | None:
    """When some picked probabilities are 0 and got is the right mean except for what those cost: the clipping
    floor is not PROB_FLOOR (e.g. log(p + 1e-8)). None when got is not explained that way."""
    picked = probs[np.arange(len(labels)), labels].astype(np.float64)
    zero = picked == 0
    if not zero.any():
        return None
    cost = (got * len(labels) - float(-np.log(picked[~zero]).sum())) / int(zero.sum())  # what one 0 cost
    if not cost > 5 or math.isclose(cost, FLOOR_COST, rel_tol=1e-3):  # small: not a log's cost (e.g. no log)
        return None
    floor = f" (a floor of about {math.exp(-cost):.1g})" if cost < 700 else ""
    shown = f"{cost:.4g}" if math.isfinite(cost) else "more than the largest float64"
    return (f"a probability of 0 cost {shown}{floor}; clip the picked probabilities to [1e-12, 1] (PROB_FLOOR), "
            f"so a probability of 0 costs {FLOOR_COST:.4f}")


PROBS = np.array([[0.5, 0.25, 0.25], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
LABELS = np.array([0, 2, 2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hand_computed_mean(mlp, dtype):
    expected = -(math.log(0.5) + math.log(0.7) + math.log(0.1)) / 3
    check(PROBS.astype(dtype), LABELS, call(mlp, "cross_entropy", PROBS.astype(dtype), LABELS.copy()), expected)


def test_batch_of_one(mlp):
    probs, labels = np.array([[0.25, 0.75]]), np.array([1])
    check(probs, labels, call(mlp, "cross_entropy", probs.copy(), labels.copy()), -math.log(0.75))


def test_mean_not_sum(mlp):
    probs = np.tile([[0.2, 0.8]], (4, 1))
    labels = np.ones(4, dtype=np.int64)
    check(probs, labels, call(mlp, "cross_entropy", probs.copy(), labels.copy()), -math.log(0.8))


def test_certain_and_right_costs_nothing(mlp):
    probs, labels = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), np.array([0, 2])
    check(probs, labels, call(mlp, "cross_entropy", probs.copy(), labels.copy()), 0.0, tol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probability_zero_is_clipped(mlp, dtype):
    probs, labels = np.array([[0.0, 1.0], [0.5, 0.5]], dtype=dtype), np.array([0, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        got = call(mlp, "cross_entropy", probs.copy(), labels.copy())
    check(probs, labels, got, (FLOOR_COST + math.log(2)) / 2, tol=1e-3)


@pytest.mark.parametrize("n", [2, 1000], ids=["small", "large"])
def test_does_not_modify_inputs(mlp, n):
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(10), n).astype(np.float32)
    labels = rng.integers(0, 10, n)
    probs[0, labels[0]] = 0.0  # clipping must not write into probs either
    before_probs, before_labels = probs.copy(), labels.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        call(mlp, "cross_entropy", probs, labels)
    require_unmodified("cross_entropy", "probs", before_probs, probs)
    require_unmodified("cross_entropy", "labels", before_labels, labels)


@st.composite
def batches(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Random (probs, labels): rows of positive weights normalised to sum to 1."""
    n, c = draw(st.integers(1, 6)), draw(st.integers(2, 6))
    weights = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(1e-3, 1.0)))
    labels = draw(hnp.arrays(np.int64, n, elements=st.integers(0, c - 1)))
    return weights / weights.sum(axis=1, keepdims=True), labels


def test_non_negative_and_mean_of_rows(mlp):
    call(mlp, "cross_entropy", np.ones((1, 1)), np.zeros(1, dtype=np.int64))  # stubs fail here, not in hypothesis

    @PUBLIC
    @given(batch=batches())
    def examples(batch):
        probs, labels = batch
        got = call(mlp, "cross_entropy", probs.copy(), labels.copy())
        rows = [float(call(mlp, "cross_entropy", probs[i : i + 1].copy(), labels[i : i + 1].copy()))
                for i in range(len(labels))]
        check(probs, labels, got, sum(rows) / len(rows))
        if not float(got) >= 0:
            pytest.fail(f"cross_entropy must be >= 0, got {float(got)}\n  probs: {show(probs)}", pytrace=False)

    examples()


def test_uniform_probabilities_cost_log_c(mlp):
    call(mlp, "cross_entropy", np.ones((1, 1)), np.zeros(1, dtype=np.int64))

    @PUBLIC
    @given(n=st.integers(1, 6), c=st.integers(2, 12), data=st.data())
    def examples(n, c, data):
        probs = np.full((n, c), 1.0 / c)
        labels = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, c - 1)), label="labels")
        check(probs, labels, call(mlp, "cross_entropy", probs.copy(), labels.copy()), math.log(c))

    examples()
