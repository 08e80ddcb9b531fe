"""Static checks on mlp.py (nothing is run) and the runtime import guard (run in a subprocess)."""
from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.grading import import_guard, static_checks
from autograder.grading.static_checks import REQUIRED_FUNCTIONS, check_source
from solution import mlp as reference

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solution" / "mlp.py"
FAST = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
# Every required function with the reference parameters: append a snippet to get a file that only has it.
def definition(name: str) -> str:
    """``def name(<reference parameters>):`` with ``=None`` for the optional ones, and a body."""
    params, required = REQUIRED_FUNCTIONS[name]
    return f"def {name}({', '.join(p if i < required else p + '=None' for i, p in enumerate(params))}):\n    pass\n"


API = "".join(definition(name) for name in REQUIRED_FUNCTIONS)


def check(tmp_path: Path, source: str | bytes, with_api: bool = True) -> static_checks.StaticReport:
    data = source.encode() if isinstance(source, str) else source
    path = tmp_path / "mlp.py"
    path.write_bytes(data + (b"\n" + API.encode() if with_api else b""))
    return check_source(path)


def kinds(report: static_checks.StaticReport) -> list[str]:
    return [f.kind for f in report.findings]


# ----------------------------------------------------------------------------- clean files
def test_reference_solution_and_student_stub_are_clean():
    for path in (SOLUTION, ROOT / "assignment" / "mlp.py"):
        report = check_source(path)
        assert report.findings == [] and not report.blocking, report.summary()
        assert report.summary() == "mlp.py: no problems found"


def test_required_functions_table_matches_the_reference():
    for name, (params, required) in REQUIRED_FUNCTIONS.items():
        signature = inspect.signature(getattr(reference, name))
        assert tuple(signature.parameters) == params, name
        assert sum(p.default is inspect.Parameter.empty for p in signature.parameters.values()) == required, name


def test_allowed_imports_make_no_finding(tmp_path):
    source = ("from __future__ import annotations\nimport numpy as np\nfrom numpy.typing import NDArray\n"
              "import math, functools, itertools\nfrom typing import Any\nfrom dataclasses import dataclass\n")
    assert check(tmp_path, source).findings == []


def test_a_utf8_bom_is_fine(tmp_path):
    assert check(tmp_path, b"\xef\xbb\xbfimport numpy as np\n").findings == []


# ----------------------------------------------------------------------------- blocking problems
def test_non_utf8_source_gives_offset_and_line(tmp_path):
    report = check(tmp_path, b"import numpy as np\n# caf\xe9\n")
    assert report.blocking and kinds(report) == ["encoding"]
    assert report.findings[0].line == 2
    assert "offset 24" in report.findings[0].message and "0xe9" in report.findings[0].message


def test_a_declared_non_utf8_encoding_is_refused(tmp_path):
    report = check(tmp_path, b"# -*- coding: latin-1 -*-\nimport numpy\n")
    assert report.blocking and kinds(report) == ["encoding"] and "iso-8859-1" in report.findings[0].message


def test_syntax_error_reports_the_line(tmp_path):
    report = check(tmp_path, "import numpy as np\n\ndef softmax(x):\n    return (x\n", with_api=False)
    assert report.blocking and kinds(report) == ["syntax"] and report.findings[0].line == 4


def test_null_bytes_are_a_syntax_finding_not_a_crash(tmp_path):
    report = check(tmp_path, b"x = 1\x00\n")
    assert report.blocking and kinds(report) == ["syntax"]


def test_oversized_file(tmp_path):
    (tmp_path / "mlp.py").write_bytes(b"#" * (static_checks.MAX_SOURCE_BYTES + 1))
    report = check_source(tmp_path / "mlp.py")
    assert report.blocking and kinds(report) == ["size"]


BANNED_SNIPPETS = [  # (source, line of the banned import)
    ("import torch", 1),
    ("import torch.nn as nn", 1),
    ("from sklearn import linear_model", 1),
    ("from sklearn.neural_network import MLPClassifier", 1),
    ("import jax.numpy as jnp", 1),
    ("import scipy.special", 1),
    ("import numpy, keras", 1),
    ("__import__('tensorflow')", 1),
    ("import importlib\nimportlib.import_module('jax')", 2),
    ("import importlib as il\nil.import_module('flax')", 2),
    ("from importlib import import_module as im\nim('scipy.special')", 2),
    ("import importlib\nimportlib.import_module(name='torch')", 2),
    ("def helper():\n    import torch\n    return torch", 2),
    ("try:\n    import tensorflow as tf\nexcept ImportError:\n    tf = None", 2),
]


@pytest.mark.parametrize("snippet, line", BANNED_SNIPPETS)
def test_banned_imports_block(tmp_path, snippet, line):
    report = check(tmp_path, snippet)
    assert report.blocking, report.summary()
    banned = report.of_kind("banned")
    assert len(banned) == 1 and banned[0].line == line, report.summary()
    assert banned[0].message.endswith("is banned in this assignment: implement it with NumPy only")


@pytest.mark.parametrize("name", sorted(import_guard.BANNED))
def test_every_banned_name_is_caught_statically(tmp_path, name):
    assert check(tmp_path, f"import {name}.sub").of_kind("banned")


def test_banned_list_lives_in_one_place():
    assert static_checks.BANNED is import_guard.BANNED
    assert {"torch", "tensorflow", "keras", "jax", "flax", "sklearn", "scipy"} <= import_guard.BANNED
    assert "numpy" not in import_guard.BANNED


# ----------------------------------------------------------------------------- not blocking
@pytest.mark.parametrize("module", ["os", "subprocess", "socket", "ctypes", "importlib", "sys", "inspect",
                                    "pickle", "builtins"])
def test_non_allowlisted_imports_are_suspicious_not_blocking(tmp_path, module):
    report = check(tmp_path, f"import {module}")
    assert not report.blocking and kinds(report) == ["suspicious"]
    assert report.findings[0].line == 1 and module in report.findings[0].message


@pytest.mark.parametrize("snippet, word", [
    ("exec('x = 1')", "exec"), ("eval('1')", "eval"), ("compile('1', 'f', 'eval')", "compile"),
    ("open('/etc/passwd')", "open"), ("name = 'o' + 's'\n__import__(name)", "computed module name"),
    ("__builtins__['__import__']", "__builtins__"), ("f = __import__", "__import__"),
    ("from . import helpers", "relative import"), ("NAME = 'torch'", "names a banned module"),
    ("__import__('os')", "dynamic import of 'os'"), ("__import__('numpy')", "dynamic import of 'numpy'"),
])
def test_dynamic_code_is_flagged_for_review(tmp_path, snippet, word):
    report = check(tmp_path, snippet)
    assert not report.blocking and "suspicious" in kinds(report), report.summary()
    assert any(word in f.message for f in report.findings), report.summary()


def test_missing_functions_are_reported_by_name(tmp_path):
    source = "".join(definition(name) for name in REQUIRED_FUNCTIONS if name not in ("softmax", "forward"))
    report = check(tmp_path, source, with_api=False)
    assert not report.blocking and kinds(report) == ["missing", "missing"]
    assert {f.message.split()[0] for f in report.findings} == {"softmax", "forward"}


def test_a_function_made_by_assignment_counts_as_missing(tmp_path):
    source = API.replace("def relu(z):\n    pass\n", "relu = lambda z: z\n")
    assert kinds(check(tmp_path, source, with_api=False)) == ["missing"]


@pytest.mark.parametrize("header, ok", [
    ("def softmax(logits, axis):", False),
    ("def softmax():", False),
    ("def softmax(logits, axis=1):", True),
    ("def softmax(*args):", True),
    ("def softmax(logits, /):", True),
    ("def softmax(logits, *, axis):", False),
    ("def init_params(layer_sizes):", False),
    ("def init_params(layer_sizes=(1,), rng=None, dtype=None):", True),
    ("def sgd_step(params, grads):", False),
])
def test_signatures_must_accept_the_calls_the_tests_make(tmp_path, header, ok):
    name = header.split()[1].split("(")[0]
    report = check(tmp_path, API.replace(definition(name), f"{header}\n    pass\n"), with_api=False)
    assert (report.findings == []) == ok, report.summary()
    if not ok:
        assert kinds(report) == ["signature"] and not report.blocking


def test_summary_lists_every_finding(tmp_path):
    report = check(tmp_path, "import os\nimport torch\n")
    text = report.summary()
    assert text.splitlines()[0] == "mlp.py: 1 blocking, 1 other finding(s)"
    assert "line 1: [suspicious]" in text and "line 2: [banned] import torch: torch is banned" in text


@FAST
@given(source=st.text(max_size=300))
def test_arbitrary_text_never_crashes(tmp_path, source):
    report = check(tmp_path, source, with_api=False)
    assert isinstance(report.summary(), str)


@FAST
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(tmp_path, data):
    report = check(tmp_path, data, with_api=False)
    assert isinstance(report.blocking, bool)


# ----------------------------------------------------------------------------- runtime guard
GUARD_SCRIPT = textwrap.dedent("""
    import importlib, sys
    import keras                                   # the fake package really is importable...
    assert keras.FAKE and "keras" in sys.modules
    from autograder.grading import import_guard
    import_guard.install()
    import_guard.install()                         # idempotent
    assert sum(isinstance(f, import_guard.BannedImportFinder) for f in sys.meta_path) == 1
    assert isinstance(sys.meta_path[0], import_guard.BannedImportFinder)
    assert "keras" not in sys.modules              # ...and the already-imported copy is gone
    attempts = {
        "import": lambda: __import__("keras"),
        "submodule": lambda: importlib.import_module("keras.layers"),
        "import_module": lambda: importlib.import_module("keras"),
        "from": lambda: exec("from keras import layers"),
        "other banned": lambda: exec("import torch"),
    }
    for label, attempt in attempts.items():
        try:
            attempt()
        except ImportError as error:
            print(label, "->", error)
        else:
            print(label, "-> NOT BLOCKED")
    import kerasx                                  # a different name that merely starts the same
    import numpy as np
    print("numpy ok", float(np.exp(np.zeros(3)).sum()))
""")


def test_import_guard_blocks_banned_packages_but_not_numpy(tmp_path):
    for package in ("keras", "kerasx"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("FAKE = True\n")
    (tmp_path / "keras" / "layers.py").write_text("")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    result = subprocess.run([sys.executable, "-c", GUARD_SCRIPT], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    message = "keras is banned in this assignment: implement it with NumPy only"
    lines = result.stdout.splitlines()
    assert lines[:4] == [f"{label} -> {message}" for label in ("import", "submodule", "import_module", "from")]
    assert lines[4] == "other banned -> torch is banned in this assignment: implement it with NumPy only"
    assert lines[5] == "numpy ok 3.0"
