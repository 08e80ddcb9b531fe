"""The class dashboard, ``GRADED_DIR/index.html``: a sortable table of students linking to their reports,
histograms of totals and test accuracies, the checks failed most often, and submissions flagged for a closer
look (banned imports, timeouts, grader errors, a failed training audit, suspicious static findings, startup
files in the upload, near-identical code between two students).
"""
from __future__ import annotations

import io
import os
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

from autograder.atomic import write_text_atomic
from autograder.classops.outputs import STUDENTS, graded_folders
from autograder.grading import results
from autograder.grading.results import NOTHING_RAN, STATUSES, accuracy, classify, max_score
from autograder.report import similarity
from autograder.report.common import data_uri, esc, page

TOP_FAILED = 15
STATUS_CLASS = {"graded": "pass", "not attempted": "muted", "timed out": "warn", "grader error": "warn"}

SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.querySelectorAll("th.sortable");
  heads.forEach(function (th, col) {
    th.tabIndex = 0;
    function sort() {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var numeric = th.dataset.type === "number";
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.value, y = b.cells[col].dataset.value;
        if (numeric) {
          x = x === "" ? -Infinity : parseFloat(x); y = y === "" ? -Infinity : parseFloat(y);
          return asc ? x - y : y - x;
        }
        return asc ? x.localeCompare(y) : y.localeCompare(x);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
});
document.querySelectorAll("button.filter").forEach(function (button) {
  button.addEventListener("click", function () {
    var wanted = button.dataset.status;
    document.querySelectorAll("button.filter").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
    document.querySelectorAll("#students tbody tr").forEach(function (row) {
      row.hidden = wanted !== "" && row.dataset.status !== wanted;
    });
  });
});
"""


def _histogram(values: list[float], bins: list[float], title: str, xlabel: str) -> str | None:
    if not values:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 2.8), dpi=90)
    ax.hist(values, bins=bins, color="#2f81f7", edgecolor="white")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return data_uri(buffer.getvalue())


def _stamp() -> str:
    """When the page was generated: ``SOURCE_DATE_EPOCH`` (UTC) when set, so that two renderings of the same
    grades (a sharded class merged, an unsharded run) can be the same bytes; else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(epoch)))
    return time.strftime("%Y-%m-%d %H:%M", time.localtime())


def _short(flag: str) -> str:
    """A flag as the students table shows it: its label, before any detail."""
    return flag.split(":", 1)[0].split(" (", 1)[0]


def _link(folder: Path, student: str) -> str:
    """The student's name, linking to their report (``students/<name>/report.html``) when it exists."""
    if (folder / "report.html").is_file():
        return f'<a href="{STUDENTS}/{quote(student)}/report.html">{esc(student)}</a>'
    return esc(student)


def _class_similarity(folders: dict[str, Path], threshold: float,
                      problems: dict[str, str]) -> list[tuple[str, str, float]]:
    """Similar pairs of the class; a student whose code cannot be compared is noted in ``problems``."""
    sources = {}
    for student, folder in folders.items():
        try:
            sources[student] = (folder / "submission" / "mlp.py").read_text(errors="replace")
        except OSError:
            pass
    try:
        return similarity.similar_pairs(sources, threshold, problems)
    except Exception as error:  # noqa: BLE001 - the dashboard is written without the similarity check
        problems["(similarity)"] = f"similarity check failed ({type(error).__name__}: {error})"
        return []


def render(graded: Path, threshold: float = similarity.DEFAULT_THRESHOLD,
           problems: dict[str, str] | None = None) -> Path:
    """Write ``graded/index.html`` from every ``graded/students/<name>/results.json``; return its path.
    ``problems`` (student -> what went wrong while rendering) are shown; a student whose results cannot be
    shown is added there, never stops the page."""
    graded = Path(graded)
    problems = dict(problems or {})
    folders = graded_folders(graded)
    loaded = {}
    for student, folder in folders.items():
        data = results.load(folder)
        why = "unreadable" if data is None else results.malformed(data)
        if why:
            problems[student] = "unreadable results.json" if data is None else f"results.json not understood ({why})"
        else:
            loaded[student] = data
    flags: dict[str, list[str]] = {}
    for student, data in list(loaded.items()):
        try:
            flags[student] = results.flags(data)
        except Exception as error:  # noqa: BLE001
            problems[student] = f"results.json not understood ({type(error).__name__}: {error})"
            del loaded[student]
    pairs = _class_similarity({s: folders[s] for s in loaded}, threshold, problems)
    for a, b, score in pairs:
        flags[a].append(f"code {100 * score:.0f}% similar to {b}")
        flags[b].append(f"code {100 * score:.0f}% similar to {a}")

    rows, totals, accuracies = [], [], []
    check_counts: Counter = Counter()
    check_example: dict[str, str] = {}
    check_students: dict[str, list[str]] = defaultdict(list)
    statuses: Counter = Counter()
    for student, data in loaded.items():
        try:
            total, top, acc, status = float(data.get("score", 0)), max_score(data), accuracy(data), classify(data)
            failed = [] if status.name in NOTHING_RAN + ("not attempted",) else results.failed_checks(data)
            row = (f'<tr data-status="{esc(status.name)}"><td data-value="{esc(student)}">'
                   f"{_link(folders[student], student)}</td>"
                   f'<td class="num" data-value="{total:g}">{total:g} / {top:g}</td>'
                   f'<td class="num" data-value="{"" if acc is None else f"{acc:.2f}"}">'
                   f'{"–" if acc is None else f"{acc:.2f}%"}</td>'
                   f'<td data-value="{esc(status.name)}"><span class="{STATUS_CLASS.get(status.name, "fail")}">'
                   f"{esc(status.name)}</span>"
                   + (f'<br><span class="muted reason">{esc(status.reason)}</span>' if status.reason else "")
                   + f'</td><td data-value="{len(flags[student])}">{esc("; ".join(_short(f) for f in flags[student]))}'
                   "</td></tr>")
        except Exception as error:  # noqa: BLE001 - one odd results.json must not hide the class
            problems[student] = f"results.json not understood ({type(error).__name__}: {error})"
            continue
        rows.append(row)
        statuses[status.name] += 1
        totals.append(total)
        if acc is not None:
            accuracies.append(acc)
        for check in dict.fromkeys(c for c, _ in failed):
            check_counts[check] += 1
            check_students[check].append(student)
        for check, message in failed:
            check_example.setdefault(check, message)

    filters = "".join(f'<button type="button" class="filter" data-status="{esc(name)}" aria-pressed="false">'
                      f"{esc(name)} ({statuses[name]})</button> " for name in STATUSES if statuses[name])
    parts = [f"<h1>Class dashboard: {esc(graded.name)}</h1>",
             f'<p class="muted">{len(loaded)} graded submissions. Click a column header to sort; click a name for '
             f"the student's report. Mean total {sum(totals) / max(1, len(totals)):.1f}"
             + (f", median test accuracy {sorted(accuracies)[len(accuracies) // 2]:.2f}%" if accuracies else "")
             + ".</p>",
             f'<p id="filters">Show: <button type="button" class="filter" data-status="" aria-pressed="true">'
             f"all ({len(rows)})</button> {filters}</p>",
             '<table class="sortable" id="students"><thead><tr>'
             '<th class="sortable" data-type="text">student</th>'
             '<th class="sortable num" data-type="number">total</th>'
             '<th class="sortable num" data-type="number">test accuracy</th>'
             '<th class="sortable" data-type="text">status</th>'
             '<th class="sortable" data-type="number">flags</th>'
             "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"]

    figures = []
    hist = _histogram(totals, list(range(0, 101, 5)), "Total scores", "points (of 100)")
    if hist:
        figures.append(f'<figure><img id="hist-total" alt="histogram of total scores" src="{hist}"></figure>')
    hist = _histogram(accuracies, list(range(0, 101, 5)), "Test accuracy (training run)", "% on MNIST test set")
    if hist:
        figures.append(f'<figure><img id="hist-accuracy" alt="histogram of test accuracies" src="{hist}"></figure>')
    parts.append("<h2>Distributions</h2>" + ('<div class="figures">' + "".join(figures) + "</div>" if figures
                                             else '<p class="muted">Nothing graded yet.</p>'))
    if not accuracies:
        parts.append('<p class="muted">No training runs (graded with --no-training): no accuracy histogram.</p>')

    parts.append("<h2>Checks failed most often</h2>"
                 '<p class="muted">Submissions where nothing ran (import errors, banned imports, grader errors), '
                 "untouched stubs and unimplemented functions are left out.</p>")
    if check_counts:
        items = "".join(
            f'<tr><td>{esc(check)}</td><td class="num">{count}</td><td>{esc(check_example.get(check, "")[:200])}'
            f'</td><td>{", ".join(esc(s) for s in sorted(check_students[check])[:8])}'
            f'{" ..." if count > 8 else ""}</td></tr>'
            for check, count in sorted(check_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FAILED])
        parts.append('<table id="failed-checks"><thead><tr><th>check</th><th class="num">students</th>'
                     f"<th>first message</th><th>who</th></tr></thead><tbody>{items}</tbody></table>")
    else:
        parts.append('<p class="pass">No check failed.</p>')

    parts.append("<h2>Flagged for a closer look</h2>")
    flagged = {s: f for s, f in flags.items() if f}
    if flagged:
        items = "".join(f"<tr><td>{_link(folders[s], s)}</td><td><ul>" + "".join(f"<li>{esc(x)}</li>" for x in f)
                        + "</ul></td></tr>" for s, f in flagged.items())
        parts.append(f'<table id="flags"><thead><tr><th>student</th><th>why</th></tr></thead><tbody>{items}'
                     "</tbody></table>")
    else:
        parts.append('<p class="pass">Nothing flagged.</p>')
    if problems:
        items = "".join(f"<tr><td>{esc(s)}</td><td>{esc(p)}</td></tr>" for s, p in sorted(problems.items()))
        parts.append('<h3 class="warn">Could not be checked or shown</h3><table id="problems"><thead><tr>'
                     f"<th>student</th><th>what went wrong</th></tr></thead><tbody>{items}</tbody></table>")
    parts.append(f"<h3>Similar code (score &ge; {threshold:.2f})</h3>")
    if pairs:
        items = "".join(f'<tr><td>{esc(a)}</td><td>{esc(b)}</td><td class="num">{score:.3f}</td></tr>'
                        for a, b, score in pairs)
        parts.append(f'<table id="similar"><thead><tr><th>student</th><th>student</th><th class="num">similarity'
                     f"</th></tr></thead><tbody>{items}</tbody></table>")
    else:
        parts.append('<p class="muted">No pair above the threshold.</p>')
    parts.append('<p class="muted">Similarity compares the graded functions only (docstrings, comments and '
                 "untouched stubs left out; names, numbers and strings normalised), with difflib's "
                 "SequenceMatcher. These functions are short, so independent correct solutions can look alike: "
                 "a score is a reason to read both, not a verdict.</p>")
    parts.append(f'<p class="muted">Generated by the mnist-mlp-kit autograder, {_stamp()}.</p>')
    path = graded / "index.html"
    write_text_atomic(path, page(f"Class dashboard: {graded.name}", "\n".join(parts), script=SORT_SCRIPT))
    return path
