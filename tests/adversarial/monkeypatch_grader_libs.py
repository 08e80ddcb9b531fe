"""Disarms numpy.testing, np.allclose/isclose/array_equal, pytest.fail and hypothesis inside the worker, then
returns garbage from softmax. The checks run in the grader's process, so none of it matters."""
import numpy.testing as _npt

EXPECT = {"failed": {"softmax (public tests)": "softmax", "softmax (hidden tests)": ""},
          "passed": ["relu_grad", "sgd_step"]}


def _yes(*args, **kwargs):
    return True


def _nothing(*args, **kwargs):
    return None


_npt.assert_allclose = _npt.assert_array_equal = _npt.assert_equal = _npt.assert_almost_equal = _nothing
np.allclose = np.isclose = np.array_equiv = _yes  # (np.array_equal: see hide_in_place_mutation.py)
try:
    import pytest as _pytest

    _pytest.fail = _pytest.skip = _pytest.xfail = _nothing
    _pytest.approx = lambda *a, **k: type("Any", (), {"__eq__": _yes})()
except ImportError:
    pass
try:
    import hypothesis as _hypothesis

    _hypothesis.given = lambda *a, **k: (lambda f: _nothing)
except ImportError:
    pass
import builtins as _builtins

_builtins.AssertionError = type("AssertionError", (Exception,), {})


def softmax(logits):
    return np.zeros_like(logits)
