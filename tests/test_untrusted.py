"""Student-derived text made safe for terminals, spreadsheets, Markdown and folder names (autograder/untrusted.py)."""
from __future__ import annotations

import csv
import io
import os

import markdown
import pytest

from autograder.untrusted import csv_cell, csv_text, csv_value, markdown_text, safe_name, terminal


@pytest.mark.parametrize("text, shown", [
    ("alice", "alice"),
    ("\x1b[31mred\x1b[0m", "red"),                      # SGR colour
    ("a\x1b]0;pwned title\x07b", "ab"),                # OSC: set the terminal's title
    ("x\rOVERWRITE", "x?OVERWRITE"),                   # carriage return rewrites the line
    ("c\x9b31m", "c?31m"),                             # C1 CSI
    ("bidi\u202eevil", "bidi?evil"),                   # right-to-left override
    ("caf\udce9", "caf\ufffd"),                        # an undecodable file-name byte
    ("two\nlines\tkept", "two\nlines\tkept"),
])
def test_terminal_text_has_no_control_characters(text, shown):
    assert terminal(text) == shown


def test_safe_names_are_printable_unique_and_keep_plain_names():
    assert safe_name("alice") == "alice" and safe_name("index.html") == "index.html"
    assert safe_name("=cmd") == "=cmd"  # a formula is neutralised in CSV, not in the name
    names = [safe_name(n) for n in ("caf\udce9", "caf\udce8", "\x1b[31mx", "a\nb", "a\rb", "..", "\udcff")]
    assert len(set(names)) == len(names)
    assert all(n.isprintable() and "/" not in n and not n.startswith(".") for n in names)
    assert names[0].startswith("caf\ufffd~") and names[2].startswith("x~")
    assert safe_name("caf\udce9") == names[0]  # deterministic (seeds and resumes depend on it)
    assert os.fsencode(names[0])  # encodable: usable as a folder name


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+A1", "@SUM(A1)", "\tx", "\rx", "'=x", "'", "=", "plain", "",
                                   "-1", "2.5", "-0.5", "1e-3", "a,b\"c"])
def test_csv_cells_never_start_a_formula_and_round_trip(value):
    cell = csv_cell(value)
    number = value.lstrip("-").replace(".", "", 1).replace("e-", "", 1).isdigit()
    assert number or not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert csv_value(cell) == value.replace("\r", "\n")  # a line break inside a cell is a line break
    row = next(csv.reader(io.StringIO(csv_text([[value]]), newline="")))
    assert row == [cell]


def test_numbers_stay_numbers():
    assert csv_text([["alice", 75.0, -1, 0.5, "=1"]]) == "alice,75.0,-1,0.5,'=1\n"


@pytest.mark.parametrize("text", ["[x](javascript:alert(1))", "**bold** _it_ `code`", "<img src=x onerror=y>",
                                  "# heading", "a | b", "![i](http://e/x.png)", "<script>1</script>", "1. item",
                                  "line\nbreak\x1b[1m"])
def test_markdown_text_renders_literally(text):
    rendered = markdown.markdown(markdown_text(text))
    assert rendered.count("<") == 2 and rendered.startswith("<p>") and rendered.endswith("</p>"), rendered
    assert "href" not in rendered and "src=" not in rendered.replace("src=x", "")
