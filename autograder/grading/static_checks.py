"""Checks on a student's ``mlp.py`` made before any of its code runs (it is only read and parsed, never executed).

Findings are ``(kind, line, message)``; ``line`` is None when a finding is about the whole file. Kinds:

* blocking (``StaticReport.blocking``; the graded functions get zero): ``size`` (file too large),
  ``encoding`` (not UTF-8), ``syntax`` (does not parse), ``banned`` (imports an ML framework, also through
  ``__import__("x")`` or ``importlib.import_module("x")`` with a literal name);
* not blocking, the affected tests fail on their own: ``missing`` (a required function is not defined with
  ``def`` at the top level), ``signature`` (it cannot be called with the arguments the tests pass);
* ``suspicious``, for a human to review: an import outside ``ALLOWED_IMPORTS`` (``os``, ``sys``, ...), a
  relative import, a dynamic import with a computed name, ``exec``/``eval``/``compile``/``open``, access to
  ``__builtins__``, a string literal naming a banned module.

Names built at run time (``"to" + "rch"``) cannot be seen here: ``import_guard`` blocks those in the worker.
"""
from __future__ import annotations

import ast
import tokenize
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

from autograder.grading.import_guard import BANNED, banned_message, is_banned, top_level

MAX_SOURCE_BYTES = 1_000_000
BLOCKING_KINDS = frozenset({"size", "encoding", "syntax", "banned"})

#: Top-level modules mlp.py may import without a finding. Anything else is "suspicious", BANNED is "banned".
ALLOWED_IMPORTS = frozenset({
    "numpy", "__future__", "typing", "typing_extensions", "collections", "dataclasses", "functools",
    "itertools", "operator", "math", "cmath", "numbers", "statistics", "random", "enum", "abc", "copy",
    "warnings", "time",
})

#: name -> (parameter names of the reference solution, how many of them are required).
#: A student's function must accept every positional call from `required` to all of them (extra optional
#: parameters are fine). Kept in step with solution/mlp.py by tests/test_static_checks.py.
REQUIRED_FUNCTIONS: dict[str, tuple[tuple[str, ...], int]] = {
    "relu": (("z",), 1),
    "relu_grad": (("z",), 1),
    "init_params": (("layer_sizes", "rng"), 0),
    "softmax": (("logits",), 1),
    "cross_entropy": (("probs", "labels"), 2),
    "forward": (("params", "X"), 2),
    "backward": (("params", "cache", "labels"), 3),
    "sgd_step": (("params", "grads", "lr"), 3),
}
DYNAMIC_IMPORTERS = frozenset({"__import__", "import_module"})
RISKY_CALLS = frozenset({"exec", "eval", "compile", "open", "breakpoint", "globals"})
RISKY_NAMES = frozenset({"__builtins__", "builtins", "__import__"})


class Finding(NamedTuple):
    kind: str
    line: int | None
    message: str


@dataclass
class StaticReport:
    """What ``check_source`` found in one file."""

    path: Path
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        """True when the submission must not be graded (its graded functions get zero)."""
        return any(f.kind in BLOCKING_KINDS for f in self.findings)

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def summary(self) -> str:
        """A few human lines: a verdict, then one line per finding."""
        if not self.findings:
            return f"{self.path.name}: no problems found"
        blocking = sum(f.kind in BLOCKING_KINDS for f in self.findings)
        verdict = f"{blocking} blocking" if blocking else "nothing blocking"
        lines = [f"{self.path.name}: {verdict}, {len(self.findings) - blocking} other finding(s)"]
        for f in self.findings:
            where = f"line {f.line}" if f.line is not None else "file"
            lines.append(f"  {where}: [{f.kind}] {f.message}")
        return "\n".join(lines)


def check_source(path: Path, max_bytes: int = MAX_SOURCE_BYTES) -> StaticReport:
    """Read and parse ``path`` (never run it) and report size, encoding, syntax, API and import problems."""
    path = Path(path)
    report = StaticReport(path)
    data, problem = _read_bounded(path, max_bytes)
    if problem is None:
        problem = _encoding_problem(data)
    if problem is not None:
        report.findings.append(problem)
        return report
    tree = _parse(data, report)
    if tree is not None:
        found = _check_functions(tree) + _check_imports(tree) + _check_dynamic(tree)
        report.findings.extend(_dedupe(found))
    return report


# ------------------------------------------------------------------------- reading and parsing
def _read_bounded(path: Path, max_bytes: int) -> tuple[bytes, Finding | None]:
    with path.open("rb") as stream:
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        return b"", Finding("size", None, f"{path.name} is larger than the {max_bytes:,}-byte limit")
    return data, None


def _encoding_problem(data: bytes) -> Finding | None:
    """Source must be UTF-8 (a BOM is fine) and must not declare another encoding."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return Finding("encoding", line, f"the file is not valid UTF-8: byte 0x{data[error.start]:02x} at "
                                         f"offset {error.start} (line {line}); save it as UTF-8")
    try:
        declared, _ = tokenize.detect_encoding(BytesIO(data).readline)
    except SyntaxError as error:
        return Finding("encoding", error.lineno, f"bad encoding declaration: {error.msg}")
    if declared not in ("utf-8", "utf-8-sig"):
        return Finding("encoding", None, f"the file declares the encoding {declared}: only UTF-8 source is "
                                         "accepted; remove the coding line and save it as UTF-8")
    return None


def _parse(data: bytes, report: StaticReport) -> ast.Module | None:
    try:
        return ast.parse(data.decode("utf-8-sig"), filename=report.path.name)
    except SyntaxError as error:
        report.findings.append(Finding("syntax", error.lineno, f"syntax error: {error.msg}"))
    except (ValueError, RecursionError, MemoryError) as error:  # null bytes, absurd nesting
        report.findings.append(Finding("syntax", None, f"the file cannot be parsed: {error}"))
    return None


# ------------------------------------------------------------------------- required functions
def _check_functions(tree: ast.Module) -> list[Finding]:
    defined = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    findings = []
    for name, (expected, required) in REQUIRED_FUNCTIONS.items():
        node = defined.get(name)
        if node is None:
            findings.append(Finding("missing", None, f"{name} is not defined (with def, at the top level of "
                                                     f"the module): expected def {_expected(name)}"))
        elif not _accepts(node.args, range(required, len(expected) + 1)):
            findings.append(Finding("signature", node.lineno, f"{name}({ast.unparse(node.args)}) cannot be "
                                                              f"called like the expected {_expected(name)}"))
    return findings


def _expected(name: str) -> str:
    params, required = REQUIRED_FUNCTIONS[name]
    return f"{name}({', '.join(p if i < required else p + '=...' for i, p in enumerate(params))})"


def _accepts(args: ast.arguments, counts: range) -> bool:
    """Whether a function with ``args`` can be called with each number of positional arguments in ``counts``."""
    positional = len(args.posonlyargs) + len(args.args)
    required = positional - len(args.defaults)
    if any(default is None for default in args.kw_defaults):
        return False  # a keyword-only parameter without a default: no positional call works
    return all(required <= n and (n <= positional or args.vararg is not None) for n in counts)


# ------------------------------------------------------------------------- imports
def _check_imports(tree: ast.Module) -> list[Finding]:
    findings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            findings += [_classify(alias.name, node.lineno, f"import {alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                findings.append(Finding("suspicious", node.lineno, "relative import: only mlp.py is graded, "
                                                                   "other modules of the submission are not there"))
            elif node.module:
                names = ", ".join(alias.name for alias in node.names)
                findings.append(_classify(node.module, node.lineno, f"from {node.module} import {names}"))
    return [f for f in findings if f is not None]


def _classify(module: str, line: int, what: str) -> Finding | None:
    if is_banned(module):
        return Finding("banned", line, f"{what}: {banned_message(module)}")
    if top_level(module) not in ALLOWED_IMPORTS:
        return Finding("suspicious", line, f"{what}: {top_level(module)} is not needed for this assignment "
                                           "(flagged for review)")
    return None


# ------------------------------------------------------------------------- dynamic code
def _check_dynamic(tree: ast.Module) -> list[Finding]:
    aliases = _importer_aliases(tree)
    findings: list[Finding] = []
    handled: set[int] = set()  # ids of Name nodes already reported as the callee of a call
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            findings += _check_call(node, aliases, handled)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in RISKY_NAMES and id(node) not in handled:
            findings.append(Finding("suspicious", node.lineno, f"use of {node.id} (flagged for review)"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _names_banned(node.value):
            findings.append(Finding("suspicious", node.lineno, f"the string {node.value!r} names a banned module"))
    return findings


def _importer_aliases(tree: ast.Module) -> set[str]:
    """Local names bound to an import function: ``from importlib import import_module as im`` gives ``im``."""
    names = {"__import__"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("importlib", "builtins"):
            names |= {a.asname or a.name for a in node.names if a.name in DYNAMIC_IMPORTERS}
    return names


def _check_call(node: ast.Call, aliases: set[str], handled: set[int]) -> list[Finding]:
    func = node.func
    if isinstance(func, ast.Name) and func.id in aliases:
        handled.add(id(func))
        return [_dynamic_import(node)]
    if isinstance(func, ast.Attribute) and func.attr in DYNAMIC_IMPORTERS:  # importlib/il/builtins.<...>(...)
        return [_dynamic_import(node)]
    if isinstance(func, ast.Name) and func.id in RISKY_CALLS:
        return [Finding("suspicious", node.lineno, f"call to {func.id}() (flagged for review)")]
    return []


def _dynamic_import(node: ast.Call) -> Finding:
    arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "name"), None)
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return _classify(arg.value, node.lineno, f"dynamic import of {arg.value!r}") or \
            Finding("suspicious", node.lineno, f"dynamic import of {arg.value!r} (flagged for review)")
    return Finding("suspicious", node.lineno, "dynamic import with a computed module name (flagged for review; "
                                              "banned modules are also blocked at run time)")


def _names_banned(text: str) -> bool:
    return text.isascii() and text.replace(".", "").replace("_", "").isalnum() and is_banned(text)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop repeats and string-literal findings on lines that already have a banned finding; sort by line."""
    banned_lines = {f.line for f in findings if f.kind == "banned"}
    kept = [f for f in findings if not (f.message.startswith("the string") and f.line in banned_lines)]
    return sorted(dict.fromkeys(kept), key=lambda f: f.line or 0)  # stable: file-wide findings in API order


__all__ = ["ALLOWED_IMPORTS", "BANNED", "BLOCKING_KINDS", "Finding", "MAX_SOURCE_BYTES", "REQUIRED_FUNCTIONS",
           "StaticReport", "check_source"]
