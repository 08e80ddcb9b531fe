"""Student-derived text (folder and file names, zip member names, exception messages) made safe for each
place staff see it: a terminal, a spreadsheet (CSV), Markdown, and a folder name on disk.

HTML escaping is ``report.common.esc``; everything else lives here, so each rule exists once.
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import os
import re
import unicodedata

#: OWASP's CSV-injection rule: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
MAX_NAME_CHARS = 100


def _unsafe_char(ch: str, keep: str) -> bool:
    """Control, format (bidi overrides...), surrogate, private or unassigned characters, line separators."""
    return ch not in keep and (unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp"))


def printable(text: str, keep: str = "\n\t", replacement: str = "?") -> str:
    """``text`` with ANSI/OSC escape sequences removed and every other control character replaced; characters
    in ``keep`` stay. Lone surrogates (undecodable file-name bytes) become U+FFFD."""
    text = _ANSI.sub("", str(text))
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else replacement if _unsafe_char(ch, keep) else ch
                   for ch in text)


def terminal(text: str) -> str:
    """What may be printed to a TA's terminal: no escape sequence, no carriage return, no undecodable byte."""
    return printable(text)


def is_plain_name(name: str) -> bool:
    """True when a file name can be shown and used as a folder name as it is."""
    return bool(name) and not name.startswith(".") and name == printable(name, keep="") and "/" not in name


def safe_name(name: str) -> str:
    """A unique, printable, UTF-8 folder and display name for an upload's file name (which may hold any byte:
    undecodable bytes arrive as lone surrogates). Plain names are kept; any other name gets its unsafe
    characters replaced and a digest of its raw bytes appended, so two different names never collide."""
    if is_plain_name(name):
        return name
    raw = os.fsencode(name)
    shown = printable(raw.decode("utf-8", "replace"), keep="", replacement="_").replace("/", "_").lstrip(".")
    return f"{shown[:MAX_NAME_CHARS] or 'unnamed'}~{hashlib.sha256(raw).hexdigest()[:8]}"


def csv_cell(value) -> str:
    """A CSV cell no spreadsheet runs as a formula: OWASP's rule (prefix a single quote), also applied to a
    leading quote so ``csv_value`` can undo it. Plain numbers (e.g. ``-1.5``) stay numbers. Line breaks
    inside a cell become ``\\n`` (the csv module leaves a lone CR unquoted with ``\\n`` line ends)."""
    text = "" if value is None else str(value)
    if _NUMBER.fullmatch(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + text if text.startswith(FORMULA_START + ("'",)) else text


def csv_value(cell: str) -> str:
    """The value ``csv_cell`` wrote (a cell read back from a CSV this kit wrote, perhaps edited by a TA)."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in FORMULA_START + ("'",) else cell


def csv_text(rows: list[list]) -> str:
    """Rows as CSV text (``\\n`` line ends), every cell neutralised with ``csv_cell``."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[csv_cell(v) for v in row] for row in rows])
    return buffer.getvalue()


def markdown_text(text) -> str:
    """``text`` as literal Markdown inline text: one line, no HTML, every Markdown punctuation escaped."""
    flat = html.escape(printable(str(text), keep="", replacement=" "), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)
