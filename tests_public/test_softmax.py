"""softmax(logits): row-wise, numerically stable, same shape and dtype, does not modify logits.

The values and the dtype are separate checks: right values in the wrong dtype fail only the dtype tests.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from . import PUBLIC, call, require_unmodified, show
from .arrays import compare

pytestmark = pytest.mark.softmax

E20 = np.exp(-20.0)  # softmax([20, 0, 0]) = [1, e^-20, e^-20] / (1 + 2 e^-20)


def problem(logits: np.ndarray, got: object) -> str | None:
    """What is wrong with got = softmax(logits), judged by properties only, or None."""
    if not isinstance(got, np.ndarray):
        return f"softmax must return a NumPy array, got {type(got).__name__}"
    if got.shape != logits.shape:
        return f"softmax returned shape {got.shape}, expected {logits.shape} (the shape of logits)"
    got = got.astype(np.float64)  # values only: the dtype has its own test
    bad_rows = ~np.isfinite(got).all(axis=1) | ~np.isclose(got.sum(axis=1), 1, atol=1e-4)
    if bad_rows.any() and not np.isfinite(got).all():
        top_row = int(np.unravel_index(np.argmax(logits), logits.shape)[0])
        if not bad_rows[top_row]:
            return ("rows whose values are far below the overall maximum came out nan/0: it looks like you "
                    "subtracted ONE global max (logits.max()) from every row; subtract each row's own max, "
                    "logits.max(axis=1, keepdims=True)")
        return ("got nan/inf: exp overflowed (or every exp underflowed to 0); subtract each row's own max "
                "before exp, logits - logits.max(axis=1, keepdims=True)")
    if (got < 0).any() or (got > 1 + 1e-6).any():
        return "every probability must be in [0, 1]"
    if bad_rows.any():
        exps = np.exp(logits - logits.max(axis=1, keepdims=True).astype(np.float64))
        if got.shape[0] == got.shape[1] and np.allclose(got, exps / exps.sum(axis=1)[None, :], atol=1e-4):
            return ("each COLUMN j was divided by row j's sum: divide by exps.sum(axis=1, keepdims=True), shape "
                    "(N, 1), so each row is divided by its own sum")
        if np.allclose(got.sum(axis=0), 1, atol=1e-4):
            return "the COLUMNS sum to 1 instead of the rows: normalise along axis=1 (with keepdims=True)"
        return f"rows must sum to 1, got row sums {show(got.sum(axis=1))}"
    # softmax keeps ratios: probs[i, j] / probs[i, m] = exp(logits[i, j] - logits[i, m]) for m the row's argmax
    top = logits.argmax(axis=1)
    rows = np.arange(len(logits))
    want = got[rows, top][:, None] * np.exp(logits.astype(np.float64) - logits[rows, top][:, None])
    tol = 1e-5 if logits.dtype == np.float32 else 1e-9
    if not np.allclose(got, want, rtol=1e-3, atol=tol):
        return ("rows sum to 1 but the values are wrong: within a row, probs[i, j] / probs[i, k] must equal "
                "exp(logits[i, j] - logits[i, k]); subtract the same number from a whole row (its max, "
                "logits.max(axis=1, keepdims=True))")
    return None


def check(logits: np.ndarray, got: object, expected: np.ndarray | None = None) -> None:
    """Fail with the problem found (and the input) unless got is softmax(logits) (and close to expected)."""
    __tracebackhide__ = True
    message = problem(logits, got)
    if message is None and expected is not None:
        message = compare("the result", got, expected, rtol=1e-4, atol=1e-7)
    if message:
        pytest.fail(f"softmax: {message}\n  logits: {show(logits)}\n  got:    {show(got)}", pytrace=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hand_computed_values(mlp, dtype):
    logits = np.array([[0.0, 0.0], [0.0, np.log(3.0)], [1.0, 1.0]], dtype=dtype)
    expected = np.array([[0.5, 0.5], [0.25, 0.75], [0.5, 0.5]])
    check(logits, call(mlp, "softmax", logits.copy()), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_that_of_logits(mlp, dtype):
    logits = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, -1.0]], dtype=dtype)
    got = call(mlp, "softmax", logits.copy())
    dtype_of = getattr(got, "dtype", None)
    if dtype_of != logits.dtype:
        what = f"dtype {dtype_of}" if dtype_of is not None else f"a {type(got).__name__}"
        pytest.fail(f"softmax returned {what}, expected {logits.dtype} (the dtype of logits: keep it, e.g. no "
                    f".astype(np.float64) on the result)\n  logits: {show(logits)}", pytrace=False)


def test_square_batch(mlp):
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 5.0], [-3.0, 1.0, 1.0]], dtype=np.float32)
    check(logits, call(mlp, "softmax", logits.copy()))


def test_rows_not_columns(mlp):
    logits = np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 0.0, -1.0, 0.5], [0.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    check(logits, call(mlp, "softmax", logits.copy()))


def test_batch_of_one(mlp):
    logits = np.array([[0.0, np.log(2.0), np.log(5.0)]])
    check(logits, call(mlp, "softmax", logits.copy()), np.array([[0.125, 0.25, 0.625]]))


@pytest.mark.parametrize("logits, expected", [
    ([[1000.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]]),
    ([[-1000.0, 0.0]], [[0.0, 1.0]]),
    ([[-1000.0, -1000.0]], [[0.5, 0.5]]),
], ids=["plus_1000", "minus_1000", "all_minus_1000"])
def test_stable_for_extreme_logits(mlp, logits, expected):
    logits = np.array(logits, dtype=np.float32)
    check(logits, call(mlp, "softmax", logits.copy()), np.array(expected))


@pytest.mark.parametrize("logits, expected", [
    ([[20.0, 0.0, 0.0], [1000.0, 0.0, 0.0]], [[1 / (1 + 2 * E20), E20 / (1 + 2 * E20), E20 / (1 + 2 * E20)],
                                              [1.0, 0.0, 0.0]]),
    ([[1000.0, 0.0], [0.0, -1000.0]], [[1.0, 0.0], [1.0, 0.0]]),
], ids=["20_and_1000", "plus_and_minus_1000"])
def test_each_row_uses_its_own_max(mlp, logits, expected):
    logits = np.array(logits, dtype=np.float64)
    check(logits, call(mlp, "softmax", logits.copy()), np.array(expected))


@pytest.mark.parametrize("shape", [(2, 3), (1000, 10)], ids=["small", "large"])
def test_does_not_modify_logits(mlp, shape):
    logits = (np.random.default_rng(2).standard_normal(shape) * 5).astype(np.float32)
    before = logits.copy()
    call(mlp, "softmax", logits)
    require_unmodified("softmax", "logits", before, logits)


LOGITS = hnp.arrays(st.sampled_from([np.float32, np.float64]),
                    st.tuples(st.integers(1, 6), st.integers(2, 6)),
                    elements=st.floats(-30, 30, width=32))


def test_rows_are_probabilities(mlp):
    call(mlp, "softmax", np.zeros((1, 2)))  # an unimplemented stub fails here, before hypothesis starts

    @PUBLIC
    @given(logits=LOGITS)
    def examples(logits):
        check(logits, call(mlp, "softmax", logits.copy()))

    examples()


def test_adding_a_constant_to_a_row_changes_nothing(mlp):
    call(mlp, "softmax", np.zeros((1, 2)))

    @PUBLIC
    @given(logits=LOGITS, data=st.data())
    def examples(logits, data):
        shifts = data.draw(hnp.arrays(np.float64, (len(logits), 1), elements=st.floats(-500, 500)), label="shifts")
        shifted = (logits + shifts).astype(logits.dtype)
        got, got_shifted = call(mlp, "softmax", logits.copy()), call(mlp, "softmax", shifted.copy())
        check(logits, got)
        check(shifted, got_shifted)
        if not np.allclose(got, got_shifted, atol=1e-4):
            pytest.fail(f"softmax(logits + c) must equal softmax(logits) when c adds one number per row\n"
                        f"  logits: {show(logits)}\n  shifts: {show(shifts.ravel())}\n"
                        f"  softmax(logits):     {show(got)}\n  softmax(logits + c): {show(got_shifted)}",
                        pytrace=False)

    examples()
