"""The one array comparison of the public and hidden suites (tests_public/arrays.py): what matches, what each kind of
mismatch says, and that the hidden form never tells an expected value."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests_hidden.checks import HiddenCheckFailed, check_array
from tests_public.arrays import compare, matches, scaled_atol

WANT = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def test_a_match_within_the_tolerances_is_none():
    assert compare("x", WANT.astype(np.float32), WANT) is None
    assert compare("x", WANT + 1e-7, WANT) is None
    assert compare("x", np.array(2.0), np.array(2.0)) is None  # 0-d
    assert compare("x", np.zeros((0, 3)), np.zeros((0, 3))) is None
    assert matches(WANT * (1 + 1e-6), WANT) and not matches(WANT * 1.01, WANT)


@pytest.mark.parametrize("got, kind, text", [
    ([[1.0, 2.0, 3.0]], "type", "x is a list, expected an array of shape (2, 3)"),
    (np.float32(1.0), "type", "x is a float32, expected an array of shape (2, 3)"),
    (None, "type", "x is None (a missing return?), expected an array of shape (2, 3)"),
    (WANT.T, "shape", "x has shape (3, 2), expected (2, 3)"),
    (np.array([["a", "b", "c"]] * 2), "dtype", "x has dtype <U1, expected numbers"),
    (np.where(WANT > 4, np.nan, WANT), "nonfinite", "x contains nan or inf (2 of 6 values, the first at index (1, 1))"),
])
def test_each_kind_of_mismatch_is_one_sentence(got, kind, text):
    found = compare("x", got, WANT)
    assert (found.kind, found.text, str(found)) == (kind, text, text)


def test_wrong_values_name_the_count_and_the_worst_index_and_only_the_public_form_shows_values():
    got = WANT.copy()
    got[0, 1], got[1, 2] = 2.1, 9.0
    public, hidden = compare("x", got, WANT), compare("x", got, WANT, reveal=False)
    assert public.text == "x has 2 wrong values of 6, the worst at index (1, 2): expected 6, got 9"
    assert hidden.text == "x has 2 wrong values of 6, the worst at index (1, 2)" and public.index == (1, 2)
    assert compare("x", np.array([1.0, 2.5]), np.array([1.0, 2.0])).text.startswith("x has 1 wrong value of 2,")


def test_tolerances_are_relative_plus_absolute():
    want = np.array([1000.0, 0.0])
    assert compare("x", np.array([1000.5, 0.0]), want, rtol=1e-3, atol=0) is None
    assert compare("x", np.array([1000.0, 2e-6]), want, rtol=1e-3, atol=1e-6).index == (1,)
    assert scaled_atol(np.array([-4.0, 3.0]), np.array([10.0])) == pytest.approx(1e-5)


def test_a_rigged_subclass_is_judged_by_its_data_not_its_methods():
    class Rigged(np.ndarray):
        def __eq__(self, other):
            return np.ones(np.shape(self), dtype=bool)

        def __sub__(self, other):
            return np.zeros(np.shape(self))

        def __abs__(self):
            return np.zeros(np.shape(self))

    assert compare("x", np.zeros_like(WANT).view(Rigged), WANT).kind == "values"


def test_the_hidden_check_raises_the_same_sentence_without_the_expected_value():
    with pytest.raises(HiddenCheckFailed) as failed:
        check_array(np.array([1.0, 7.25]), np.array([1.0, 2.125]), "sgd_step's update of b1")
    assert str(failed.value) == "sgd_step's update of b1 has 1 wrong value of 2, the worst at index (1,)"
    assert "2.125" not in str(failed.value) and "7.25" not in str(failed.value)


@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4), elements=st.floats(-1e6, 1e6)))
def test_an_array_matches_itself_and_not_a_shifted_copy(values):
    assert compare("x", values, values, rtol=0, atol=0) is None
    shifted = values + 1.0 + np.abs(values)  # every entry moves by more than rtol * |value| + atol
    found = compare("x", shifted, values, rtol=1e-5, atol=1e-6)
    assert found is not None and found.kind == "values" and f"of {values.size}," in found.text
