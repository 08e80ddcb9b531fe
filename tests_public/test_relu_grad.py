"""relu_grad(z): 1 where z > 0, else 0 (also at exactly 0), same shape and dtype as z.

The values and the dtype are separate checks: a result with the right values in the wrong dtype fails only
the dtype tests.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from . import PUBLIC, call, require_unmodified, show
from .arrays import compare

pytestmark = pytest.mark.relu_grad


def check(z: np.ndarray, got: object) -> None:
    """Fail with an actionable message unless got has z's shape and the ReLU derivative's values (any dtype)."""
    __tracebackhide__ = True
    found = compare("relu_grad(z)", got, (z > 0).astype(np.float64), rtol=0, atol=0)  # values: any dtype
    if found:
        at = found.index if found.kind == "values" else None
        hint = {"shape": " (the shape of z)", "type": ""}.get(found.kind, " (1 where z > 0, else 0)")
        zero = (f" There z = {z[at]:g}: relu_grad(0) must be 0 (this course's convention), so use z > 0, not z >= 0."
                if at is not None and z[at] == 0 else f" There z = {z[at]:g}." if at is not None else "")
        pytest.fail(f"{found}{hint}.{zero}\n  z:   {show(z)}\n  got: {show(got)}", pytrace=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hand_computed_values(mlp, dtype):
    z = np.array([[-2.0, -0.5, 0.25], [0.5, 3.0, -1e-6]], dtype=dtype)
    check(z, call(mlp, "relu_grad", z.copy()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_that_of_z(mlp, dtype):
    z = np.array([[-2.0, 0.0, 0.25]], dtype=dtype)
    got = call(mlp, "relu_grad", z.copy())
    dtype_of = getattr(got, "dtype", None)
    if dtype_of != z.dtype:
        hint = " (a comparison like z > 0 gives bool: convert with .astype(z.dtype))" if dtype_of == bool else ""
        what = f"dtype {dtype_of}" if dtype_of is not None else f"a {type(got).__name__}"
        pytest.fail(f"relu_grad(z) returned {what}, expected {z.dtype} (the dtype of z){hint}\n  z: {show(z)}",
                    pytrace=False)


def test_derivative_at_exactly_zero_is_zero(mlp):
    z = np.array([-0.0, 0.0, 1.0], dtype=np.float32)
    check(z, call(mlp, "relu_grad", z.copy()))


@pytest.mark.parametrize("shape", [(5,), (1, 1), (2, 3, 4)], ids=["1d", "batch_of_1", "3d"])
def test_any_shape(mlp, shape):
    z = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    check(z, call(mlp, "relu_grad", z.copy()))


@pytest.mark.parametrize("shape", [(2, 3), (1000, 128)], ids=["small", "large"])
def test_does_not_modify_z(mlp, shape):
    z = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    z[0, :2] = 0.0
    before = z.copy()
    call(mlp, "relu_grad", z)
    require_unmodified("relu_grad", "z", before, z)


def test_only_zeros_and_ones(mlp):
    call(mlp, "relu_grad", np.zeros(1))  # an unimplemented stub fails here, before hypothesis starts

    @PUBLIC
    @given(z=hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(max_dims=3, max_side=6),
                        elements=st.sampled_from([0.0, -0.0, 1.0, -1.0]) | st.floats(-1e6, 1e6, width=32)))
    def examples(z):
        check(z, call(mlp, "relu_grad", z.copy()))

    examples()
