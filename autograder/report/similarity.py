"""Near-identical code between two students, over normalised source.

Only what students write is compared: the bodies of the graded functions (``scoring.GRADED``; the last
definition of each, as Python would use). Docstrings and comments are dropped, and a function still equal to
the handout's stub is left out, so the given code and untouched stubs never make two students look alike.
Tokens are normalised with ``tokenize``: local names become ``ID``, numbers ``NUM``, strings ``STR``;
keywords, operators and attribute names (``np.exp``, ``.T``) stay. Two students' token sequences are compared
with difflib's ``SequenceMatcher`` ratio (1.0 = the same code up to renaming and reformatting).

Short functions converge naturally (there are few ways to write ``relu_grad``), so pairs need at least
``MIN_TOKENS`` compared tokens each, and a score is a reason for a human to look, never a verdict.
"""
from __future__ import annotations

import ast
import io
import keyword
import tokenize
from difflib import SequenceMatcher
from itertools import combinations

from autograder.grading.scoring import GRADED

from autograder import ROOT
HANDOUT = ROOT / "assignment" / "mlp.py"
DEFAULT_THRESHOLD = 0.9
MIN_TOKENS = 40
MAX_TOKENS = 5000  # per function: keeps difflib's comparison of two huge submissions bounded
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENCODING, tokenize.ENDMARKER}


def tokens(source: str, skip: tuple[tuple[int, int], tuple[int, int]] | None = None) -> list[str]:
    """Normalised tokens of ``source`` (comments and layout dropped, names/numbers/strings abstracted), leaving
    out the tokens inside ``skip`` ((row, col) start and end, as ``tokenize`` counts them)."""
    out: list[str] = []
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in SKIPPED or (skip and skip[0] <= tok.start and tok.end <= skip[1]):
                continue
            if tok.type == tokenize.NAME:
                text = tok.string if keyword.iskeyword(tok.string) or previous == "." else "ID"
            elif tok.type == tokenize.NUMBER:
                text = "NUM"
            elif tok.type == tokenize.STRING or tok.type in _FSTRING_TYPES:
                text = "STR"
            else:
                text = tok.string
            if not (text == "STR" and out and out[-1] == "STR"):  # f-string parts collapse into one
                out.append(text)
            previous = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


_FSTRING_TYPES = {getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                  if hasattr(tokenize, n)}


def graded_functions(source: str) -> dict[str, list[str]]:
    """Function name -> normalised tokens of its definition without the docstring, for each graded function.
    Works on the source text (no ``ast.unparse``, which recurses as deep as an expression is long)."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    lines = source.split("\n")
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in GRADED:
            found[node.name] = node  # the last definition wins, as at import
    return {name: _definition_tokens(lines, node)[:MAX_TOKENS] for name, node in found.items()}


def _definition_tokens(lines: list[str], node: ast.FunctionDef) -> list[str]:
    first = node.lineno
    segment = "\n".join(lines[first - 1:node.end_lineno]) + "\n"
    doc = node.body[0] if node.body else None
    skip = None
    if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str):
        skip = ((doc.lineno - first + 1, doc.col_offset), (doc.end_lineno - first + 1, doc.end_col_offset))
    return tokens(segment, skip)


def _handout() -> dict[str, list[str]]:
    try:
        return graded_functions(HANDOUT.read_text())
    except OSError:
        return {}


def fingerprint(source: str, handout: dict[str, list[str]] | None = None) -> list[str]:
    """The compared token sequence of one submission: its graded functions that differ from the stubs."""
    handout = _handout() if handout is None else handout
    functions = graded_functions(source)
    sequence: list[str] = []
    for name in GRADED:
        body = functions.get(name)
        if body and body != handout.get(name):
            sequence += [f"<{name}>"] + body
    return sequence


def similar_pairs(sources: dict[str, str], threshold: float = DEFAULT_THRESHOLD,
                  problems: dict[str, str] | None = None) -> list[tuple[str, str, float]]:
    """(student, student, score) for every pair at or above ``threshold``, most similar first. A student whose
    code cannot be fingerprinted is left out and noted in ``problems``."""
    handout = _handout()
    prints = {}
    for student, source in sources.items():
        try:
            prints[student] = fingerprint(source, handout)
        except Exception as error:  # noqa: BLE001 - one odd file must not stop the class's check
            if problems is not None:
                problems[student] = f"code not compared for similarity ({type(error).__name__}: {error})"
    prints = {s: p for s, p in prints.items() if sum(not t.startswith("<") for t in p) >= MIN_TOKENS}
    pairs = []
    for a, b in combinations(sorted(prints), 2):
        matcher = SequenceMatcher(None, prints[a], prints[b], autojunk=False)
        if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
            continue
        score = matcher.ratio()
        if score >= threshold:
            pairs.append((a, b, round(score, 3)))
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))
