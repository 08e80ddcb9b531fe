"""backward(params, cache, labels): checked against numerical gradients on a small float64 network.

The tests build the cache with their own forward pass, so backward is checked without your softmax or
cross_entropy, and while backward runs, your relu_grad is replaced by a correct one (tests_public/substitutes.py):
a mistake in relu_grad fails relu_grad's tests, not these too. (Training uses your own relu_grad.)
"""
from __future__ import annotations

import numpy as np
import pytest

from . import call, require_unmodified, show
from .gradcheck import diagnose, numerical_gradient, rel_error, worst_index

pytestmark = pytest.mark.backward

SIZES = (7, 5, 4, 3)  # no square weight matrix, so a transposed gradient always has the wrong shape
BATCH = 6
KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
THRESHOLD = 1e-6
CORRECT = ("relu_grad",)  # replaced by a correct version while backward runs
KINK = 1e-3  # every pre-activation is at least this far from 0, so h = 1e-5 never crosses the ReLU kink

Net = tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]


def layers(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The tests' own forward pass: (cache as forward() builds it, logits)."""
    z1 = X @ params["W1"] + params["b1"]
    a1 = np.maximum(z1, 0)
    z2 = a1 @ params["W2"] + params["b2"]
    a2 = np.maximum(z2, 0)
    logits = a2 @ params["W3"] + params["b3"]
    probs = np.exp(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True))
    return {"X": X, "z1": z1, "a1": a1, "z2": z2, "a2": a2, "probs": probs}, logits


def loss(params: dict[str, np.ndarray], X: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy computed in log space (no softmax, no clipping needed)."""
    logits = layers(params, X)[1]
    return float(np.mean(np.logaddexp.reduce(logits, axis=1) - logits[np.arange(len(labels)), labels]))


def network(batch: int = BATCH, seed: int = 0) -> Net:
    """(params, X, labels) in float64 with one dead ReLU unit per hidden layer and no z near the kink."""
    for attempt in range(1000):
        rng = np.random.default_rng([seed, attempt])
        params = {}
        for k, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
            params[f"W{k}"] = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
            params[f"b{k}"] = rng.uniform(0.1, 0.5, fan_out) * rng.choice([-1, 1], fan_out)
        params["b1"][-1] = params["b2"][-1] = -10.0  # units that are off for every sample: their gradient is 0
        X = rng.standard_normal((batch, SIZES[0]))
        labels = rng.integers(0, SIZES[-1], batch)
        cache = layers(params, X)[0]
        live1, live2 = cache["a1"][:, :-1], cache["a2"][:, :-1]
        if min(np.abs(cache["z1"]).min(), np.abs(cache["z2"]).min()) > KINK and live1.any(0).all() \
                and live2.any(0).all():
            return params, X, labels
    raise AssertionError("no suitable random network found")


def numeric_grads(net: Net) -> dict[str, np.ndarray]:
    params, X, labels = net
    params = {key: value.copy() for key, value in params.items()}
    return {key: numerical_gradient(lambda _: loss(params, X, labels), params[key]) for key in KEYS}


def run_backward(mlp, net: Net, dtype=np.float64) -> dict:
    """Call backward (with a correct relu_grad) on copies of the network's params and cache (cast to dtype)."""
    params, X, labels = net
    cache = layers(params, X)[0]
    return call(mlp, "backward", {k: v.astype(dtype) for k, v in params.items()},
                {k: v.astype(dtype) for k, v in cache.items()}, labels.copy(), correct=CORRECT)


@pytest.fixture(scope="module")
def net() -> Net:
    return network()


@pytest.fixture(scope="module")
def numeric(net: Net) -> dict[str, np.ndarray]:
    return numeric_grads(net)


def check_gradient(grads: object, key: str, numeric: np.ndarray, batch: int, param: np.ndarray | None = None) -> None:
    """Fail naming the parameter, the worst element and a hint unless grads[key] matches numeric."""
    __tracebackhide__ = True
    if not isinstance(grads, dict):
        pytest.fail(f"backward must return a dict of gradients, got {type(grads).__name__}", pytrace=False)
    if key not in grads:
        pytest.fail(f"backward returned no gradient for '{key}' (keys: {sorted(grads)})", pytrace=False)
    analytic = np.asarray(grads[key], dtype=np.float64)
    if analytic.shape != numeric.shape:
        pytest.fail(f"backward: {diagnose(key, analytic, numeric, batch)}", pytrace=False)
    if not np.isfinite(analytic).all():
        pytest.fail(f"backward: grads['{key}'] contains nan or inf: {show(analytic)}", pytrace=False)
    error = rel_error(analytic, numeric)
    if error >= THRESHOLD:
        index = worst_index(analytic, numeric)
        hint = diagnose(key, analytic, numeric, batch, param)
        pytest.fail(f"backward: grads['{key}'] does not match the numerical gradient "
                    f"(relative error {error:.2e}, must be < {THRESHOLD:g})\n"
                    f"  worst at index {index}: analytic {analytic[index]:.6g}, numeric {numeric[index]:.6g}\n"
                    f"  hint: {hint or 'recheck this layer against the formulas in the docstring'}", pytrace=False)


@pytest.mark.parametrize("key", KEYS)
def test_gradient(mlp, net, numeric, key):
    check_gradient(run_backward(mlp, net), key, numeric[key], BATCH, net[0][key])


def test_gradients_for_a_batch_of_one(mlp):
    one = network(batch=1, seed=1)
    grads, numeric = run_backward(mlp, one), numeric_grads(one)
    for key in KEYS:
        check_gradient(grads, key, numeric[key], 1, one[0][key])


def test_keys_and_shapes(mlp, net):
    grads = run_backward(mlp, net)
    if not isinstance(grads, dict):
        pytest.fail(f"backward must return a dict of gradients, got {type(grads).__name__}", pytrace=False)
    if set(grads) != set(KEYS):
        pytest.fail(f"backward must return exactly the keys {list(KEYS)}: missing "
                    f"{sorted(set(KEYS) - set(grads))}, extra {sorted(set(grads) - set(KEYS))}", pytrace=False)
    for key in KEYS:
        want = net[0][key]
        got = np.asarray(grads[key])
        if got.shape != want.shape:
            pytest.fail(f"backward: {diagnose(key, got, want, BATCH)}", pytrace=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_that_of_params(mlp, net, dtype):
    grads = run_backward(mlp, net, dtype)
    for key in KEYS:
        got = grads.get(key) if isinstance(grads, dict) else None
        if got is None:
            pytest.fail(f"backward returned no gradient for '{key}' (see test_keys_and_shapes)", pytrace=False)
        if getattr(got, "dtype", None) != dtype:
            what = f"dtype {got.dtype}" if hasattr(got, "dtype") else f"a {type(got).__name__}"
            pytest.fail(f"backward: grads['{key}'] is {what}, expected {np.dtype(dtype)} (the dtype of "
                        f"params['{key}'] and of the cache, all {np.dtype(dtype)} here)", pytrace=False)


def test_does_not_modify_params_or_cache(mlp, net):
    params, X, labels = net
    params = {k: v.astype(np.float32) for k, v in params.items()}
    cache = {k: v.astype(np.float32) for k, v in layers(params, X.astype(np.float32))[0].items()}
    before = {**{f"params['{k}']": v.copy() for k, v in params.items()},
              **{f"cache['{k}']": v.copy() for k, v in cache.items()}}
    call(mlp, "backward", params, cache, labels, correct=CORRECT)
    after = {**{f"params['{k}']": v for k, v in params.items()}, **{f"cache['{k}']": v for k, v in cache.items()}}
    for name, value in before.items():
        require_unmodified("backward", name, value, after[name])
