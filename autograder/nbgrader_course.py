"""Build an nbgrader course directory (default ``dist/nbgrader/``) from ``solution/mlp.py``, the single source.

    python -m autograder nbgrader [--out DIR]      (or ``make nbgrader``)

Writes ``DIR/nbgrader_config.py`` and ``DIR/source/mlp_mnist/mlp_mnist.ipynb``; nothing else in DIR is touched
(an existing gradebook.db, submitted/ or autograded/ survive a rebuild). The notebook has:

* markdown cells made from the module's and the functions' docstrings;
* a read-only setup cell (thread settings, imports and constants of solution/mlp.py) and one read-only cell per
  given function (relu, init_params, forward), copied verbatim;
* per graded function an answer cell holding its full reference source with nbgrader's solution markers (nbgrader
  turns each region into ``# YOUR CODE HERE`` + ``raise NotImplementedError()`` in the release) and a locked test
  cell worth the function's points from scoring.toml: visible checks a student can read, then a hidden region
  with self-contained checks on fresh random inputs against reference copies of the functions (renamed
  ``_reference_*``), which nbgrader strips from the release. A failed visible check scores 0; if only the hidden
  checks fail, the cell evaluates to the public share of the points (nbgrader's partial credit), as the kit's
  public_share does. Hidden failures are printed (no traceback, so no hidden source in the feedback);
* a read-only cell reading MNIST's IDX files (``$MNIST_DIR``, else ``mnist/`` beside the notebook) and a graded
  training cell (the training points) that trains the student's functions for NOTEBOOK_EPOCHS epochs with the
  kit's default hyper-parameters and asserts the full-credit test accuracy of scoring.toml.

nbgrader_config.py makes ``generate_feedback`` strip hidden tests too (nbgrader 0.9 shows them by default).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import scoring
from autograder.generate import BEGIN, END
from data.fetch import mnist_dir
from solution.train import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "solution" / "mlp.py"
OUT = ROOT / "dist" / "nbgrader"
COURSE_ID = "mnist-mlp-kit"
ASSIGNMENT = "mlp_mnist"
NOTEBOOK_EPOCHS = 2  # 2 epochs with the defaults reach ~96% with the reference (the bar is 95%)
EXECUTE_TIMEOUT = 300  # seconds per cell when nbgrader executes a notebook (the training cell takes ~5 s)
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
REFERENCE = "_reference_"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


# ------------------------------------------------------------------------------------------------ the source
@dataclass(frozen=True)
class Function:
    name: str
    source: str  # the full definition, verbatim (solution markers included)
    doc: str
    node: ast.FunctionDef


@dataclass(frozen=True)
class Module:
    doc: str
    preamble: str  # module-level statements other than the docstring, __future__ imports and functions
    functions: dict[str, Function]


def parse(path: Path = SOURCE) -> Module:
    text = path.read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    preamble, functions = [], {}
    for node in tree.body:
        end = node.end_lineno
        if isinstance(node, ast.FunctionDef):  # ast's end excludes trailing comments, e.g. ### END SOLUTION
            for number in range(end, len(lines)):
                line = lines[number]
                if line.strip() and not (line.lstrip().startswith("#") and
                                         len(line) - len(line.lstrip()) > node.col_offset):
                    break
                if line.strip():
                    end = number + 1
        chunk = "\n".join(lines[node.lineno - 1 : end])  # keeps inline comments
        if isinstance(node, ast.FunctionDef):
            functions[node.name] = Function(node.name, chunk, ast.get_docstring(node) or "", node)
        elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]:
            continue
        else:
            preamble.append(chunk)
    return Module(ast.get_docstring(tree) or "", "\n".join(preamble), functions)


class _Rename(ast.NodeTransformer):
    """Rename module functions to _reference_<name>, so hidden checks never call the student's versions."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        node.name = REFERENCE + node.name
        if ast.get_docstring(node) is not None:
            node.body = node.body[1:] or [ast.Pass()]
        return node

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.names:
            node.id = REFERENCE + node.id
        return node


def called(function: Function, names: set[str]) -> set[str]:
    return {n.id for n in ast.walk(function.node) if isinstance(n, ast.Name) and n.id in names}


def references(module: Module, needed: tuple[str, ...]) -> str:
    """Source of _reference_ copies of ``needed`` and every module function they call (markers and docstrings
    dropped: the solution markers are comments, which ast does not keep)."""
    names = set(module.functions)
    todo, closure = list(needed), set()
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo += called(module.functions[name], names) - closure
    out = []
    for name in module.functions:  # source order
        if name in closure:
            node = ast.parse(module.functions[name].source).body[0]
            out.append(ast.unparse(ast.fix_missing_locations(_Rename(names).visit(node))))
    return "\n\n".join(out)


# ---------------------------------------------------------------------------------------- checks, per function
# Visible checks: plain assertions a student can read (and run). They use only the notebook's own names.
VISIBLE = {
    "relu_grad": '''
z = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]], dtype=np.float32)
z_before = z.copy()
g = relu_grad(z)
assert isinstance(g, np.ndarray) and g.shape == z.shape, f"relu_grad must return an array of shape {z.shape}, got {g!r}"
assert g.dtype == np.float32, f"relu_grad returned dtype {g.dtype}, expected float32 (the dtype of z)"
assert np.array_equal(g, [[0, 0, 0], [1, 1, 1]]), f"relu_grad gave {g.tolist()}: expected 1 where z > 0, else 0 (0 at z == 0 too)"
assert np.array_equal(z, z_before), "relu_grad modified its input z"
assert relu_grad(np.array([-1.0, 2.0])).dtype == np.float64, "relu_grad: float64 in must give float64 out"
assert relu_grad(np.zeros((2, 3, 4))).shape == (2, 3, 4), "relu_grad must work elementwise on any shape"
print("relu_grad: visible checks passed")
''',
    "softmax": '''
logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dtype=np.float32)
logits_before = logits.copy()
probs = softmax(logits)
assert isinstance(probs, np.ndarray) and probs.shape == (2, 3), f"softmax must return an array of shape (2, 3), got {probs!r}"
assert probs.dtype == np.float32, f"softmax returned dtype {probs.dtype}, expected float32 (the dtype of logits)"
expected = np.array([[0.09003057, 0.24472847, 0.66524096], [1 / 3, 1 / 3, 1 / 3]])
assert np.allclose(probs, expected, atol=1e-6), f"softmax gave {probs.tolist()}, expected {expected.tolist()}"
assert np.array_equal(logits, logits_before), "softmax modified its input logits"
assert np.allclose(softmax(logits + 50), expected, atol=1e-6), "softmax must not change when a constant is added to a row"
with np.errstate(over="raise", invalid="raise"):  # overflow is an error here: subtract each row's maximum before exp
    big = softmax(np.array([[1000.0, 0.0, 0.0], [-1000.0, -1000.0, -1000.0]]))
assert np.allclose(big, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]]), f"softmax is not numerically stable: {big.tolist()}"
rows = softmax(np.random.default_rng(0).standard_normal((5, 10)) * 10)
assert np.allclose(rows.sum(axis=1), 1) and (rows >= 0).all(), "every row of softmax must be >= 0 and sum to 1"
print("softmax: visible checks passed")
''',
    "cross_entropy": '''
probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
labels = np.array([0, 1])
probs_before, labels_before = probs.copy(), labels.copy()
loss = cross_entropy(probs, labels)
assert np.ndim(loss) == 0, f"cross_entropy must return a scalar (the mean over the batch), got shape {np.shape(loss)}"
expected = -(np.log(0.7) + np.log(0.8)) / 2
assert np.isclose(float(loss), expected), f"cross_entropy gave {float(loss)}, expected {expected}"
assert np.isclose(float(cross_entropy(np.tile(probs, (3, 1)), np.tile(labels, 3))), expected), \\
    "cross_entropy must be the MEAN over the batch, not the sum"
assert np.array_equal(probs, probs_before) and np.array_equal(labels, labels_before), "cross_entropy modified its inputs"
zero = float(cross_entropy(np.array([[0.0, 1.0]]), np.array([0])))
assert np.isclose(zero, -np.log(PROB_FLOOR)), \\
    f"a true-class probability of 0 must cost -log(PROB_FLOOR) = {-np.log(PROB_FLOOR):.4f}, got {zero}: clip before the log"
print("cross_entropy: visible checks passed")
''',
    "backward": '''
# A tiny float64 network (7 -> 5 -> 4 -> 3) with its own forward pass, checked against numerical gradients.
def tiny_cache(params, X):
    z1 = X @ params["W1"] + params["b1"]
    a1 = np.maximum(z1, 0)
    z2 = a1 @ params["W2"] + params["b2"]
    a2 = np.maximum(z2, 0)
    logits = a2 @ params["W3"] + params["b3"]
    probs = np.exp(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True))
    return {"X": X, "z1": z1, "a1": a1, "z2": z2, "a2": a2, "probs": probs}


def tiny_loss(params, X, labels):
    log_probs = np.log(tiny_cache(params, X)["probs"])
    return -log_probs[np.arange(len(labels)), labels].mean()


def tiny_network(n=6, sizes=(7, 5, 4, 3)):
    for attempt in range(100):  # no pre-activation near the ReLU kink, where numerical gradients are wrong
        rng = np.random.default_rng(attempt)
        params = {}
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            params[f"W{k}"] = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
            params[f"b{k}"] = rng.uniform(-0.5, 0.5, fan_out)
        X, labels = rng.standard_normal((n, sizes[0])), rng.integers(0, sizes[-1], n)
        cache = tiny_cache(params, X)
        if min(np.abs(cache["z1"]).min(), np.abs(cache["z2"]).min()) > 1e-3:
            return params, X, labels


params, X, labels = tiny_network()
cache = tiny_cache(params, X)
before = {key: value.copy() for key, value in {**params, **cache}.items()}
grads = backward(params, cache, labels)
assert isinstance(grads, dict) and set(grads) == set(params), f"backward must return a dict with keys {sorted(params)}"
for key, value in params.items():
    numeric = np.zeros_like(value)
    for index in np.ndindex(value.shape):  # centered differences
        old = value[index]
        value[index] = old + 1e-5
        plus = tiny_loss(params, X, labels)
        value[index] = old - 1e-5
        minus = tiny_loss(params, X, labels)
        value[index] = old
        numeric[index] = (plus - minus) / 2e-5
    analytic = np.asarray(grads[key])
    assert analytic.shape == value.shape, f"grads[{key!r}] has shape {analytic.shape}, expected {value.shape}"
    error = np.max(np.abs(analytic - numeric) / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric)))
    assert error < 1e-6, f"grads[{key!r}] does not match the numerical gradient (relative error {error:.2e})"
assert all(np.array_equal(value, before[key]) for key, value in {**params, **cache}.items()), \\
    "backward modified params or cache"
grads32 = backward({k: v.astype(np.float32) for k, v in params.items()},
                   {k: v.astype(np.float32) for k, v in cache.items()}, labels)
assert all(grads32[key].dtype == np.float32 for key in params), "backward: float32 params must give float32 gradients"
print("backward: visible checks passed")
''',
    "sgd_step": '''
params = {"W": np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32), "b": np.array([0.5, -0.5], dtype=np.float32)}
grads = {"W": np.array([[10.0, 0.0], [-10.0, 1.0]], dtype=np.float32), "b": np.array([1.0, 1.0], dtype=np.float32)}
W, b = params["W"], params["b"]
grads_before = {key: value.copy() for key, value in grads.items()}
result = sgd_step(params, grads, 0.1)
assert result is None, f"sgd_step must return None (it updates params in place), got {result!r}"
assert params["W"] is W and params["b"] is b, \\
    "sgd_step must update the existing arrays in place (params[k] -= ...), not put new arrays into params"
assert np.allclose(W, [[0.0, 2.0], [4.0, 3.9]]) and np.allclose(b, [0.4, -0.6]), f"sgd_step gave W={W.tolist()}, b={b.tolist()}"
assert W.dtype == np.float32, "sgd_step must keep the dtype of params"
assert all(np.array_equal(grads[key], grads_before[key]) for key in grads), "sgd_step modified grads"
print("sgd_step: visible checks passed")
''',
}

# Hidden checks: one function each, taking a fresh random generator. They may call _reference_<f> for every f in
# HIDDEN_NEEDS[function] (and whatever those call), and the helper _hidden_same.
HIDDEN_NEEDS = {
    "relu_grad": ("relu_grad",),
    "softmax": ("softmax",),
    "cross_entropy": ("cross_entropy", "softmax"),
    "backward": ("backward", "init_params", "forward", "cross_entropy"),
    "sgd_step": ("sgd_step",),
}
HIDDEN = {
    "relu_grad": '''
def _hidden_checks(rng):
    for dtype in (np.float32, np.float64):
        shape = tuple(int(s) for s in rng.integers(1, 40, size=int(rng.integers(1, 4))))
        z = (rng.standard_normal(shape) * 3).astype(dtype)
        z.flat[rng.integers(0, z.size, size=max(1, z.size // 5))] = 0
        before = z.copy()
        got = relu_grad(z)
        _hidden_same(f"relu_grad of a {np.dtype(dtype).name} array of shape {shape}", got,
                     _reference_relu_grad(before.copy()), rtol=0, atol=0)
        assert np.array_equal(z, before), "relu_grad modified its input"
''',
    "softmax": '''
def _hidden_checks(rng):
    for dtype, spread, rtol in ((np.float64, 1e4, 1e-7), (np.float32, 50.0, 1e-4), (np.float64, 0.0, 1e-7)):
        n, c = (int(v) for v in rng.integers(1, 30, size=2))
        logits = (rng.standard_normal((n, c)) * 5 + rng.uniform(-spread, spread, (n, 1))).astype(dtype)
        before = logits.copy()
        got = softmax(logits)
        want = _reference_softmax(before.astype(np.float64)).astype(dtype)
        _hidden_same(f"softmax of a {n}x{c} {np.dtype(dtype).name} batch", got, want, rtol=rtol, atol=1e-6)
        assert np.array_equal(logits, before), "softmax modified its input logits"
''',
    "cross_entropy": '''
def _hidden_checks(rng):
    for dtype in (np.float64, np.float32):
        n, c = int(rng.integers(1, 50)), int(rng.integers(2, 12))
        probs = _reference_softmax(rng.standard_normal((n, c)) * 4).astype(dtype)
        labels = rng.integers(0, c, size=n)
        zeroed = rng.random(n) < 0.2
        probs[zeroed, labels[zeroed]] = 0  # some true-class probabilities are exactly 0
        probs_before, labels_before = probs.copy(), labels.copy()
        got = cross_entropy(probs, labels)
        want = _reference_cross_entropy(probs_before.astype(np.float64), labels_before)
        assert np.ndim(got) == 0, f"cross_entropy returned shape {np.shape(got)}, expected a scalar"
        got = float(got)
        assert np.isfinite(got), f"cross_entropy of a {np.dtype(dtype).name} batch of {n} is not finite"
        assert abs(got - want) <= 1e-5 * abs(want) + 1e-6, f"cross_entropy of a {np.dtype(dtype).name} batch of {n} is wrong"
        assert np.array_equal(probs, probs_before) and np.array_equal(labels, labels_before), \\
            "cross_entropy modified its inputs"
''',
    "backward": '''
def _hidden_checks(rng):
    keys = ("W1", "b1", "W2", "b2", "W3", "b3")

    def batch(n, dtype):
        params = {k: v.astype(dtype) for k, v in _reference_init_params(LAYER_SIZES, rng).items()}
        for k in ("b1", "b2", "b3"):
            params[k] += (rng.standard_normal(params[k].shape) * 0.1).astype(dtype)
        X = rng.random((n, LAYER_SIZES[0])).astype(dtype)
        labels = rng.integers(0, LAYER_SIZES[-1], size=n)
        return params, _reference_forward(params, X)[1], labels

    for n in (1, int(rng.integers(2, 40))):
        params, cache, labels = batch(n, np.float32)
        before = {k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in cache.items()}
        want = _reference_backward(params, cache, labels)
        got = backward(params, cache, labels)
        assert isinstance(got, dict) and set(got) == set(keys), f"backward must return a dict with keys {list(keys)}"
        for key in keys:
            _hidden_same(f"backward's gradient for {key} (batch of {n})", got[key], want[key], rtol=1e-3, atol=1e-6)
        for old, new in zip(before, (params, cache)):
            assert all(np.array_equal(old[k], new[k]) for k in old), "backward modified params or cache"

    params, cache, labels = batch(4, np.float64)  # centered differences at random entries of every parameter
    grads = backward(params, cache, labels)
    assert isinstance(grads, dict) and set(grads) == set(keys), f"backward must return a dict with keys {list(keys)}"
    for key in keys:
        analytic = np.array(grads[key], dtype=np.float64, copy=True, subok=False)
        assert analytic.shape == params[key].shape, f"backward's {key}: shape {analytic.shape}, expected {params[key].shape}"
        for flat in rng.choice(params[key].size, size=min(8, params[key].size), replace=False):
            index = np.unravel_index(flat, params[key].shape)
            old = params[key][index]
            params[key][index] = old + 1e-5
            plus = _reference_cross_entropy(_reference_forward(params, cache["X"])[0], labels)
            params[key][index] = old - 1e-5
            minus = _reference_cross_entropy(_reference_forward(params, cache["X"])[0], labels)
            params[key][index] = old
            numeric = (plus - minus) / 2e-5
            error = abs(analytic[index] - numeric) / max(1e-8, abs(analytic[index]) + abs(numeric))
            assert error < 1e-4, f"backward's {key} fails a numerical gradient check on the full network"
''',
    "sgd_step": '''
def _hidden_checks(rng):
    for dtype in (np.float32, np.float64):
        keys = [f"p{i}" for i in range(int(rng.integers(1, 6)))]
        params = {k: rng.standard_normal(tuple(int(s) for s in rng.integers(1, 20, size=int(rng.integers(1, 3)))))
                  .astype(dtype) for k in keys}
        grads = {k: rng.standard_normal(v.shape).astype(dtype) for k, v in params.items()}
        lr = float(rng.uniform(1e-3, 1.0))
        want = {k: v.copy() for k, v in params.items()}
        _reference_sgd_step(want, {k: g.copy() for k, g in grads.items()}, lr)
        arrays, grads_before = dict(params), {k: g.copy() for k, g in grads.items()}
        result = sgd_step(params, grads, lr)
        assert result is None, "sgd_step must return None"
        for k in keys:
            assert params[k] is arrays[k], "sgd_step replaced an array of params instead of updating it in place"
            _hidden_same(f"sgd_step's update of a {np.dtype(dtype).name} parameter", arrays[k], want[k], rtol=1e-5, atol=1e-6)
            assert np.array_equal(grads[k], grads_before[k]), "sgd_step modified grads"
''',
}

HIDDEN_HELPERS = '''
def _hidden_same(what, got, want, rtol, atol):
    """Type, shape, dtype, finiteness and values of got; the message never shows the expected values."""
    assert isinstance(got, np.ndarray), f"{what}: returned {type(got).__name__}, expected an ndarray"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, expected {want.dtype}"
    values = np.array(got, dtype=np.float64, copy=True, subok=False)
    assert np.isfinite(values).all(), f"{what}: contains nan or inf"
    wrong = ~np.isclose(values, want.astype(np.float64), rtol=rtol, atol=atol)
    assert not wrong.any(), f"{what}: {int(wrong.sum())} of {wrong.size} values are wrong"


def _hidden_score(function, checks, points_if_failed):
    """None (full credit) if the hidden checks pass; else print why, without a traceback, and return the points
    still earned (nbgrader reads a number as the cell's partial credit)."""
    import random
    import warnings

    seed = random.SystemRandom().randrange(2**31)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):  # stderr output would zero the cell
            warnings.simplefilter("ignore")
            checks(np.random.default_rng(seed))
    except Exception as error:
        print(f"hidden checks of {function} failed (seed {seed}): {type(error).__name__}: {error}")
        return points_if_failed
    return None
'''


# ----------------------------------------------------------------------------------------------- the notebook
def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
          points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def markdown(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip())


def code(source: str, metadata: dict) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source.strip("\n"), metadata=metadata)


def fenced(text: str) -> str:
    return f"```text\n{text.strip()}\n```"


def intro(module: Module, scores: scoring.Scoring, config: TrainConfig) -> str:
    title, _, rest = module.doc.partition("\n")
    rest = "\n".join(line for line in rest.splitlines() if "pytest" not in line and "train.py" not in line)
    points = ", ".join(f"`{name}` {value:g}" for name, value in scores.functions.items())
    return f"""
# {title.strip().rstrip('.')}

{fenced(rest)}

**How this notebook works.** Run the cells from top to bottom. The read-only cells (setup, `relu`,
`init_params`, `forward`, the MNIST loader) are given. For each of the five functions, replace
`# YOUR CODE HERE` and the `raise NotImplementedError()` below it by your code, then run the test cell under
it: its checks are plain assertions you can read. The autograder runs more checks of each function on fresh
random inputs (hidden from you), so passing the visible checks does not guarantee full marks; if only the hidden
checks fail, you keep {scores.public_share:.0%} of that function's points.

Points: {points}; training {scores.training['points']:g} (total {scores.total:g}). The last cell trains your
network for {NOTEBOOK_EPOCHS} epochs (learning rate {config.lr}, momentum {config.momentum}, batch size
{config.batch_size}) and needs a test accuracy of at least {scores.training['full_accuracy']:.0%}.
The MNIST IDX files are read from `$MNIST_DIR` if it is set, else from a folder `mnist/` beside this notebook.
"""


SETUP = '''
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest at batch 64 (set before numpy loads)
os.environ.setdefault("MKL_NUM_THREADS", "1")

{preamble}
'''

DATA = '''
from pathlib import Path

MNIST_DIR = Path(os.environ.get("MNIST_DIR") or "mnist")  # the four IDX files of MNIST


def read_idx(path, magic):
    """The uint8 payload and dimensions of one IDX file (magic 2051: images, 2049: labels), validated."""
    raw = np.fromfile(path, dtype=np.uint8)
    header = 4 + 4 * (magic & 0xFF)
    assert raw.size >= header and int.from_bytes(raw[:4].tobytes(), "big") == magic, f"{path} is not the expected IDX file"
    dims = tuple(int(d) for d in raw[4:header].view(">u4"))
    assert raw.size == header + int(np.prod(dims)), f"{path} is truncated"
    return raw[header:], dims


def load_split(prefix):
    """(images float32 (N, 784) in [0, 1], labels int64 (N,)) of the split 'train' or 't10k'."""
    pixels, (n, rows, cols) = read_idx(MNIST_DIR / f"{prefix}-images-idx3-ubyte", 2051)
    labels, _ = read_idx(MNIST_DIR / f"{prefix}-labels-idx1-ubyte", 2049)
    images = pixels.reshape(n, rows * cols).astype(np.float32)
    images *= np.float32(1 / 255)
    return images, labels.astype(np.int64)


train_images, train_labels = load_split("train")
test_images, test_labels = load_split("t10k")
print(f"MNIST from {MNIST_DIR}: {len(train_labels)} training and {len(test_labels)} test images")
'''

TRAIN = '''
# Trains YOUR functions (forward calls your softmax; backward, cross_entropy and sgd_step are yours).
EPOCHS, LR, BATCH_SIZE, MOMENTUM, SEED = {epochs}, {lr}, {batch_size}, {momentum}, {seed}
REQUIRED_ACCURACY = {required}
TINY = np.float32(1e-30)  # momentum entries below this are flushed to 0 (subnormals are slow)


def evaluate(params, images, labels, batch=10_000):
    """(mean loss, accuracy) of params on a split."""
    loss = correct = 0.0
    for start in range(0, len(labels), batch):
        probs, _ = forward(params, images[start : start + batch])
        loss += cross_entropy(probs, labels[start : start + batch]) * len(probs)
        correct += (probs.argmax(axis=1) == labels[start : start + batch]).sum()
    return float(loss / len(labels)), float(correct / len(labels))


params = init_params(LAYER_SIZES, np.random.default_rng(SEED))
velocity = {{key: np.zeros_like(value) for key, value in params.items()}}
for epoch in range(1, EPOCHS + 1):
    order = np.random.default_rng([SEED, epoch]).permutation(len(train_labels))
    loss_sum = 0.0
    for start in range(0, len(order), BATCH_SIZE):
        idx = order[start : start + BATCH_SIZE]
        probs, cache = forward(params, train_images[idx])
        loss_sum += float(cross_entropy(probs, train_labels[idx])) * len(idx)
        grads = backward(params, cache, train_labels[idx])
        if MOMENTUM:  # heavy ball: velocity = momentum * velocity + grads, then step along velocity
            for key, grad in grads.items():
                v = velocity[key]
                v *= MOMENTUM
                v += grad
                v[np.abs(v) < TINY] = 0
            grads = velocity
        sgd_step(params, grads, LR)
    test_loss, test_accuracy = evaluate(params, test_images, test_labels)
    print(f"epoch {{epoch}}/{{EPOCHS}}  train loss {{loss_sum / len(order):.4f}}  test loss {{test_loss:.4f}}  "
          f"test accuracy {{100 * test_accuracy:.2f}}%")
assert test_accuracy >= REQUIRED_ACCURACY, \\
    f"test accuracy {{100 * test_accuracy:.2f}}% is below the required {{100 * REQUIRED_ACCURACY:.0f}}%"
'''

SEPARATOR = '''
# ---------------------------------------------------------------------------------------------------------
# Passing the checks above does not guarantee full marks: when grading, the autograder also runs hidden
# checks of {function} here, on fresh random inputs. If only those fail, the cell is worth
# {public:g} of its {points:g} points.
#
# ---------------------------------------------------------------------------------------------------------
'''


def test_source(module: Module, function: str, points: float, public_share: float) -> str:
    public = round(points * public_share, 2)
    hidden = "\n\n".join([HIDDEN_HELPERS.strip(), references(module, HIDDEN_NEEDS[function]),
                          HIDDEN[function].strip(), f"_hidden_score({function!r}, _hidden_checks, {public!r})"])
    return "\n".join([VISIBLE[function].strip(), SEPARATOR.format(function=function, public=public, points=points),
                      HIDDEN_BEGIN, hidden, HIDDEN_END])


def notebook(module: Module | None = None, scores: scoring.Scoring | None = None) -> nbformat.NotebookNode:
    module = module or parse()
    scores = scores or scoring.load()
    config = TrainConfig()
    assert set(VISIBLE) == set(HIDDEN) == set(scoring.GRADED) <= set(module.functions)
    cells = [markdown(intro(module, scores, config)),
             code(SETUP.format(preamble=module.preamble), _meta("setup", locked=True))]
    for name, function in module.functions.items():
        doc = fenced(function.doc)
        if name not in scoring.GRADED:
            cells += [markdown(f"## Given: `{name}`\n\n{doc}"), code(function.source, _meta(f"given_{name}", locked=True))]
            continue
        assert BEGIN in function.source and END in function.source, f"{name} has no solution region"
        points = scores.functions[name]
        cells += [
            markdown(f"## Your turn: `{name}` ({points:g} points)\n\n{doc}"),
            code(function.source, _meta(name, solution=True)),
            code(test_source(module, name, points, scores.public_share),
                 _meta(f"test_{name}", grade=True, locked=True, points=points)),
        ]
    training = scores.training
    cells += [
        markdown("## Given: loading MNIST\n\nReads the IDX files into float32 images in [0, 1] and int64 labels."),
        code(DATA, _meta("load_mnist", locked=True)),
        markdown(f"## Training ({training['points']:g} points)\n\nTrains the network with your functions for "
                 f"{NOTEBOOK_EPOCHS} epochs and checks that the test accuracy is at least "
                 f"{training['full_accuracy']:.0%}."),
        code(TRAIN.format(epochs=NOTEBOOK_EPOCHS, lr=config.lr, batch_size=config.batch_size,
                          momentum=config.momentum, seed=config.seed, required=training["full_accuracy"]),
             _meta("train_mnist", grade=True, locked=True, points=training["points"])),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    total = sum(c.metadata["nbgrader"].get("points", 0) for c in cells if c.metadata.get("nbgrader", {}).get("grade"))
    assert abs(total - scores.total) < 1e-9, f"the notebook's points add up to {total}, not {scores.total}"
    nbformat.validate(nb)
    return nb


def config_text(data: Path | None = None) -> str:
    return f'''"""nbgrader configuration of the course built by `python -m autograder nbgrader` (do not edit: rebuilt)."""
import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
c.CourseDirectory.course_id = {COURSE_ID!r}
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))  # this folder, wherever it is copied
c.ExecutePreprocessor.timeout = {EXECUTE_TIMEOUT}  # seconds per cell: the training cell trains on MNIST
# Feedback shows the autograded notebook; strip the hidden tests from it as from the release (nbgrader 0.9
# shows them by default). Their failures are reported as printed messages, not tracebacks.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
# The notebook reads MNIST from $MNIST_DIR: default to the kit's copy when grading on this machine.
os.environ.setdefault("MNIST_DIR", {str(data or mnist_dir())!r})
'''


def build(out: Path = OUT) -> Path:
    """Write nbgrader_config.py and source/<assignment>/<assignment>.ipynb into ``out``; return ``out``."""
    target = out / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(), target)
    (out / "nbgrader_config.py").write_text(config_text())
    return out


def hidden_regions(source: str) -> list[str]:
    """The text of every hidden-test region (used to prove releases and feedback leak none of it)."""
    return re.findall(rf"{re.escape(HIDDEN_BEGIN)}\n(.*?)^{re.escape(HIDDEN_END)}", source, flags=re.S | re.M)
