"""What both pages share: the page shell with its Content-Security-Policy, escaping, data: URIs, and the one
way student-supplied Markdown/HTML becomes HTML (Python-Markdown, then nh3's allow-list sanitizer).

Everything a submission supplies (REPORT.md, mlp.py, messages that quote its exceptions, its images) is
untrusted. Defences, each enough on its own against script:

* text is escaped with ``html.escape``; Markdown is rendered and then sanitized by nh3 with an allow-list of
  tags and attributes (no ``script``/``style``/``iframe``/``form``, no ``on*`` attributes, links only
  ``http``/``https``/``mailto``, every image source dropped except the submission's own PNGs, which are
  embedded as ``data:`` URIs by the kit);
* every page carries ``<meta http-equiv="Content-Security-Policy">``: ``default-src 'none'`` (no script, no
  fetch, no frame, no font), ``img-src data:`` (nothing remote or local loads), ``style-src 'unsafe-inline'``;
  the dashboard's one sorting script is allowed by its SHA-256 hash, so an injected script never is.
"""
from __future__ import annotations

import base64
import hashlib
import html
import re
import subprocess
import sys
from pathlib import Path

import nh3

from autograder.untrusted import markdown_text

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
MAX_IMAGE_BYTES = 2_000_000
MAX_MARKDOWN_CHARS = 100_000
#: Python-Markdown is quadratic on some inputs (20,000 "[" take over a minute): it runs in a child process
#: with this budget, and the text is shown escaped when it runs out.
MARKDOWN_SECONDS = 10.0
MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
_MARKDOWN_CHILD = ("import sys, markdown; sys.stdout.buffer.write(markdown.markdown("
                   "sys.stdin.buffer.read().decode('utf-8', 'replace'), extensions=%r, output_format='html')"
                   ".encode('utf-8', 'replace'))" % MARKDOWN_EXTENSIONS)

ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) - {"area", "map"}
ALLOWED_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items() if tag not in ("area",)}
ALLOWED_ATTRIBUTES.setdefault("th", set()).add("style")
ALLOWED_ATTRIBUTES.setdefault("td", set()).add("style")
ALLOWED_ATTRIBUTES["code"] = {"class"}
URL_SCHEMES = {"http", "https", "mailto"}

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;
 color:#1d232b;background:#fff}
h1{font-size:1.6rem;margin:.4rem 0}h2{font-size:1.25rem;border-bottom:1px solid #d8dde3;padding-bottom:.2rem;
 margin-top:1.8rem}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d8dde3;padding:.25rem .55rem;
 vertical-align:top}th{background:#f2f4f7;text-align:left}td.num,th.num{text-align:right}
.pass{color:#116329}.fail{color:#a40e26}.warn{color:#8a5a00}.muted{color:#5b6570}
.badge{display:inline-block;border-radius:.7rem;padding:0 .55rem;font-size:.85rem;background:#eef1f4}
.badge.fail{background:#ffebe9}.badge.pass{background:#dafbe1}.badge.warn{background:#fff1c2}
pre{background:#f6f8fa;border:1px solid #d8dde3;padding:.5rem .7rem;overflow:auto;font-size:13px;line-height:1.35}
pre.output{white-space:pre-wrap;word-break:break-word}
.code .ln{display:inline-block;width:3.2em;color:#8a949e;user-select:none;text-align:right;margin-right:1em}
.code .hit{background:#fff1c2;display:inline-block;min-width:100%}
.figures{display:flex;flex-wrap:wrap;gap:1rem}.figures figure{margin:0;max-width:520px}
.figures img,.writeup img{max-width:100%;height:auto;border:1px solid #d8dde3}
figcaption{font-size:.85rem;color:#5b6570}
.writeup{border:1px solid #d8dde3;border-radius:6px;padding:.2rem 1rem;background:#fcfcfd}
.bar{height:.6rem;background:#eef1f4;border-radius:.3rem;min-width:8rem}
.bar span{display:block;height:100%;border-radius:.3rem;background:#2f81f7}
th.sortable{cursor:pointer;user-select:none}th.sortable:after{content:" \\2195";color:#8a949e}
th[aria-sort=ascending]:after{content:" \\25B2";color:#1d232b}th[aria-sort=descending]:after{content:" \\25BC";
 color:#1d232b}
"""


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, body: str, script: str | None = None) -> str:
    """A complete, self-contained HTML document; ``script`` (kit-written, inline) is allowed by its hash."""
    csp = CSP
    script_tag = ""
    if script is not None:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        csp = csp.replace("default-src 'none';", f"default-src 'none'; script-src 'sha256-{digest}';")
        script_tag = f"<script>{script}</script>"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n'
            f'<meta name="referrer" content="no-referrer">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n{script_tag}\n"
            f"</body>\n</html>\n")


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def png_uri(path: Path) -> str | None:
    """A data: URI for a real PNG file of reasonable size, else None."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_IMAGE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return data_uri(data) if data.startswith(b"\x89PNG\r\n\x1a\n") else None


def _image_key(src: str) -> str:
    """What a Markdown image reference is matched on: its file name, lower-cased, without query or fragment."""
    name = re.split(r"[?#]", src, maxsplit=1)[0].replace("\\", "/").rsplit("/", 1)[-1]
    return name.strip().lower()


def render_markdown(text: str, images: dict[str, str] | None = None) -> str:
    """Untrusted Markdown (with any inline HTML) -> safe HTML.

    ``images`` maps a file name (lower-case) to a data: URI: an image whose source names one of them shows
    that image; every other image source is removed (its alt text stays), so nothing is fetched.
    """
    images = images or {}
    text = text[:MAX_MARKDOWN_CHARS]
    rendered = markdown_to_html(text)
    if rendered is None:
        return (f'<p class="warn">This text could not be rendered as Markdown within {MARKDOWN_SECONDS:g} s; '
                f'it is shown as plain text.</p><pre class="output">{esc(text)}</pre>')

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            return images.get(_image_key(value))
        if tag == "td" or tag == "th":
            return value if attribute != "style" or re.fullmatch(r"text-align: ?(left|right|center);?", value) \
                else None
        if tag == "code" and attribute == "class":
            return value if re.fullmatch(r"language-[A-Za-z0-9_+-]{1,30}", value) else None
        return value

    return nh3.clean(rendered, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     attribute_filter=keep, link_rel="noopener noreferrer nofollow",
                     strip_comments=True, clean_content_tags={"script", "style"})


def markdown_to_html(text: str, seconds: float | None = None) -> str | None:
    """Python-Markdown's HTML for ``text`` (not yet sanitized), computed in a child process killed after
    ``seconds`` (default ``MARKDOWN_SECONDS``); None when it failed or ran out of time."""
    seconds = MARKDOWN_SECONDS if seconds is None else seconds
    try:
        proc = subprocess.run([sys.executable, "-I", "-c", _MARKDOWN_CHILD], input=text.encode("utf-8", "replace"),
                              capture_output=True, timeout=seconds)
    except (subprocess.TimeoutExpired, OSError):
        return None
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else None


def md_fence(text: str) -> str:
    """``text`` as a fenced Markdown code block that nothing inside it can close."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def md_cell(text) -> str:
    """A value shown literally inside Markdown (a table cell, a heading): one line, no HTML, no Markdown."""
    return markdown_text(text)
