"""The per-submission report: ``report.html`` (self-contained, for TAs) and ``report.md`` (for an LMS comment),
written next to ``results.json`` from what the grader left in that folder:

* ``results.json``: scores, each test's output (hidden tests' outputs never hold expected values), run time,
  isolation level, static findings, the grader's training history;
* ``curves.png``: the training curve, drawn here from the grader's measurements in results.json;
* ``submission/``: the staged student files (``mlp.py``, ``REPORT.md``, ``*.png``), all untrusted.
"""
from __future__ import annotations

import time
from pathlib import Path

from autograder.atomic import write_text_atomic
from autograder.classops.rubric import load_rubric
from autograder.grading import results, scoring
from autograder.grading.results import MAX_OUTPUT_CHARS, accuracy, max_score
from autograder.report.common import esc, md_cell, md_fence, page, png_uri, render_markdown
from solution import train as kit_train

MAX_CODE_CHARS = 300_000


def _lms_text(facts: dict) -> str:
    """What the LMS said about the upload, in one line."""
    parts = [f"{facts.get('lms', '')} id {facts.get('id', '')}", str(facts.get("name", ""))]
    parts += ["late" if facts.get("late") else "on time"]
    parts += [f"submitted {facts['submitted_at']}"] if facts.get("submitted_at") else []
    parts += [f"{facts['previous_submissions']} earlier submission(s)"] if facts.get("previous_submissions") else []
    return ", ".join(p for p in parts if p)


def _bar() -> float:
    try:
        return 100 * scoring.load().training.full_accuracy
    except Exception:  # noqa: BLE001 - a broken scoring file must not stop a report
        return 95.0


def _read_text(path: Path, limit: int) -> tuple[str, bool]:
    try:
        raw = path.read_bytes()
    except OSError:
        return "", False
    text = raw.decode("utf-8", errors="replace")
    return text[:limit], len(text) > limit


def _images(staged: Path) -> dict[str, str]:
    """The submission's own PNGs (intake checked them), name (lower-case) -> data: URI."""
    found = {}
    for path in sorted(staged.glob("*.png")) if staged.is_dir() else []:
        uri = png_uri(path)
        if uri:
            found[path.name.lower()] = uri
    return found


def _finding_lines(data: dict) -> set[int]:
    lines = set()
    for finding in data.get("extra_data", {}).get("static_findings", []):
        if len(finding) >= 2 and isinstance(finding[1], int):
            lines.add(finding[1])
    return lines


def _code_html(code: str, marked: set[int]) -> str:
    rows = []
    for number, line in enumerate(code.splitlines() or [""], start=1):
        text = f'<span class="ln">{number}</span>{esc(line)}'
        rows.append(f'<span class="hit" id="L{number}">{text}</span>' if number in marked
                    else f'<span id="L{number}">{text}</span>')
    return '<pre class="code">' + "\n".join(rows) + "</pre>"


def _tests_table(data: dict) -> str:
    rows = []
    for test in data.get("tests", []):
        ok = test.get("status") == "passed"
        tags = "".join(f' <span class="badge warn">{esc(t)}</span>' for t in test.get("tags", []))
        rows.append(f'<tr><td>{esc(test["name"])}{tags}</td><td class="num">{test["score"]:g} / '
                    f'{test["max_score"]:g}</td><td class="{"pass" if ok else "fail"}">{"passed" if ok else "failed"}'
                    f'</td><td class="muted">{esc(test.get("visibility", ""))}</td></tr>')
    return ('<table id="tests"><thead><tr><th>test</th><th class="num">score</th><th>status</th>'
            '<th>Gradescope visibility</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


def _history_table(history: dict) -> str:
    epochs = history.get("epochs", [])
    if not epochs:
        return ""
    rows = "".join(f'<tr><td class="num">{e.get("epoch")}</td><td class="num">{e.get("train_loss", 0):.4f}</td>'
                   f'<td class="num">{e.get("test_loss", 0):.4f}</td>'
                   f'<td class="num">{100 * e.get("train_accuracy", 0):.2f}%</td>'
                   f'<td class="num">{100 * e.get("test_accuracy", 0):.2f}%</td></tr>' for e in epochs)
    return ('<table><thead><tr><th>epoch</th><th class="num">train loss</th><th class="num">test loss</th>'
            '<th class="num">train accuracy</th><th class="num">test accuracy</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def _rubric_html(rubric) -> str:
    if not rubric:
        return ""
    items = "".join(f"<li><b>{esc(c.title)}</b> ({c.points:g} points): {esc(c.description)}</li>" for c in rubric)
    return (f"<details open><summary>Write-up rubric (graded by hand; enter scores in rubric_scores.csv)"
            f"</summary><ul>{items}</ul></details>")


def render_html(out: Path, data: dict, rubric=None) -> str:
    student = out.name
    extra = data.get("extra_data", {})
    staged = out / "submission"
    total, top = data.get("score", 0), max_score(data)
    acc, bar = accuracy(data), _bar()
    failed = [t for t in data.get("tests", []) if t.get("status") != "passed"]
    status, banner = results.classify(data), results.banner(data)
    parts = [f'<h1>Report: <span id="student">{esc(student)}</span></h1>']
    if banner:
        parts.append(f'<div class="writeup" id="banner"><p class="fail"><b>{esc(status.name)}</b>: nothing of mlp.py '
                     f"could be graded, so every test scored 0 for this one reason:</p>"
                     f'<pre class="output">{esc(banner[:MAX_OUTPUT_CHARS])}</pre></div>')

    acc_text = ("training run skipped (graded with --no-training)" if acc is None else
                f'<span class="{"pass" if acc >= bar else "fail"}" id="accuracy">{acc:.2f}%</span> '
                f'(the bar is {bar:.0f}%: {"reached" if acc >= bar else "not reached"})')
    parts.append(
        '<table id="summary"><tbody>'
        f'<tr><th>total</th><td><b id="total">{total:g}</b> / {top:g}</td></tr>'
        f'<tr><th>status</th><td id="status">{esc(status.name)}'
        + (f' <span class="muted">({esc(status.reason)})</span>' if status.reason else "") + "</td></tr>"
        f"<tr><th>final test accuracy</th><td>{acc_text}</td></tr>"
        f'<tr><th>run time</th><td>{data.get("execution_time", 0):.1f} s'
        + (f' (training {extra["training"].get("seconds", 0):.1f} s, {extra["training"].get("audits", 0)} audited '
           f"chunks)" if isinstance(extra.get("training"), dict) else "") + "</td></tr>"
        f'<tr><th>isolation</th><td>{esc(extra.get("isolation", "unknown"))}</td></tr>'
        + (f'<tr><th>LMS</th><td id="lms">{esc(_lms_text(extra["lms"]))}</td></tr>'
           if isinstance(extra.get("lms"), dict) else "") +
        f'<tr><th>seed</th><td>{esc(extra.get("seed", ""))}</td></tr>'
        "</tbody></table>")

    parts.append("<h2>Scores</h2>" + _tests_table(data))

    parts.append("<h2>Failing checks</h2>")
    if banner:
        parts.append('<p class="muted">See the reason above: no check ran.</p>')
    elif failed:
        for test in failed:
            parts.append(f'<h3 class="fail">{esc(test["name"])}: {test["score"]:g} / {test["max_score"]:g}</h3>'
                         f'<pre class="output">{esc(test.get("output", "")[:MAX_OUTPUT_CHARS])}</pre>')
    else:
        parts.append('<p class="pass">Every test passed.</p>')

    parts.append("<h2>Training curve</h2>")
    figures = []
    grader_curve = png_uri(out / "curves.png")
    if grader_curve:
        figures.append(f'<figure><img id="grader-curve" alt="training curve measured by the grader" '
                       f'src="{grader_curve}"><figcaption>Measured by the grader (curves.png)</figcaption></figure>')
    for name, uri in _images(staged).items():
        figures.append(f'<figure><img class="student-image" alt="{esc(name)}" src="{uri}">'
                       f"<figcaption>Submitted by the student: {esc(name)}</figcaption></figure>")
    parts.append('<div class="figures">' + "".join(figures) + "</div>" if figures
                 else '<p class="muted">No curve: the training run did not happen or did not finish an epoch, '
                      "and the submission holds no PNG.</p>")
    if isinstance(extra.get("training"), dict):
        parts.append(_history_table(extra["training"].get("history", {})))

    notes = []
    if data.get("output"):
        notes.append(f'<pre class="output">{esc(data["output"][:MAX_OUTPUT_CHARS])}</pre>')
    findings = extra.get("static_findings", [])
    if findings:
        items = "".join(f'<li><span class="badge {"fail" if f[0] == "banned" else "warn"}">{esc(f[0])}</span> '
                        + (f'<a href="#L{f[1]}">line {f[1]}</a>: ' if isinstance(f[1], int) else "")
                        + f"{esc(f[2] if len(f) > 2 else '')}</li>" for f in findings)
        notes.append(f"<h3>Static findings</h3><ul>{items}</ul>")
    if extra.get("intake_notes"):
        notes.append("<h3>Intake notes</h3><ul>" + "".join(f"<li>{esc(n)}</li>" for n in extra["intake_notes"])
                     + "</ul>")
    if extra.get("worker_output"):
        notes.append("<h3>What the submission printed</h3>"
                     f'<pre class="output">{esc(str(extra["worker_output"])[:MAX_OUTPUT_CHARS])}</pre>')
    if extra.get("grader_error"):
        notes.append('<h3 class="fail">Grader error</h3>'
                     f'<pre class="output">{esc(str(extra["grader_error"])[:MAX_OUTPUT_CHARS])}</pre>')
    parts.append("<h2>Notes</h2>" + ("".join(notes) or '<p class="muted">None.</p>'))

    parts.append("<h2>Write-up (REPORT.md)</h2>" + _rubric_html(rubric))
    report_text, cut = _read_text(staged / "REPORT.md", 200_000)
    if report_text.strip():
        parts.append(f'<div class="writeup" id="writeup">{render_markdown(report_text, _images(staged))}</div>'
                     + ('<p class="warn">(cut: REPORT.md is longer than shown)</p>' if cut else ""))
    else:
        parts.append('<p class="warn" id="writeup">No REPORT.md was submitted.</p>')

    code, cut = _read_text(staged / "mlp.py", MAX_CODE_CHARS)
    parts.append("<h2>Code (mlp.py)</h2>" + (_code_html(code, _finding_lines(data)) if code
                                             else '<p class="warn">No mlp.py was staged.</p>')
                 + ('<p class="warn">(cut: mlp.py is longer than shown)</p>' if cut else ""))
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime())
    parts.append(f'<p class="muted">Generated by the mnist-mlp-kit autograder, {stamp}.</p>')
    return page(f"{student}: {total:g}/{top:g}", "\n".join(parts))


def render_markdown_report(out: Path, data: dict) -> str:
    """The same scores and messages as Markdown, for an LMS comment (no student-written text but messages)."""
    extra = data.get("extra_data", {})
    acc, bar = accuracy(data), _bar()
    lines = [f"## Autograder report: {md_cell(out.name)}", "",
             f"**Total: {data.get('score', 0):g} / {max_score(data):g}**", ""]
    lines.append("Final test accuracy: " + ("training run skipped" if acc is None else
                                            f"{acc:.2f}% (the bar is {bar:.0f}%: "
                                            f"{'reached' if acc >= bar else 'not reached'})"))
    lines += [f"Run time: {data.get('execution_time', 0):.1f} s; isolation: {md_cell(extra.get('isolation', '?'))}",
              "", "| test | score | status |", "|---|---:|---|"]
    lines += [f"| {md_cell(t['name'])} | {t['score']:g} / {t['max_score']:g} | {md_cell(t.get('status', ''))} |"
              for t in data.get("tests", [])]
    failed = [t for t in data.get("tests", []) if t.get("status") != "passed"]
    banner = results.banner(data)
    if banner:
        lines += ["", f"### {md_cell(results.classify(data).name)}: every test scored 0 for this one reason", "",
                  md_fence(banner[:MAX_OUTPUT_CHARS])]
    elif failed:
        lines += ["", "### Failing checks"]
        for test in failed:
            lines += ["", f"**{md_cell(test['name'])}** ({test['score']:g} / {test['max_score']:g})", "",
                      md_fence(test.get("output", "")[:MAX_OUTPUT_CHARS])]
    if data.get("output"):
        lines += ["", "### Notes", "", md_fence(data["output"][:MAX_OUTPUT_CHARS])]
    return "\n".join(lines) + "\n"


def draw_curve(out: Path, data: dict) -> None:
    """Draw ``out/curves.png`` from the training history the grader measured (unless it is newer than
    results.json); remove a curve of an earlier grading when this one finished no epoch."""
    curve = out / "curves.png"
    training = data.get("extra_data", {}).get("training")
    history = training.get("history") if isinstance(training, dict) else None
    if not (isinstance(history, dict) and history.get("epochs")):
        curve.unlink(missing_ok=True)
        return
    if results.up_to_date(curve):
        return
    kit_train.plot_curves(kit_train.History.from_json(history), curve, "Grader's measurements of your training run",
                          scoring.load().training.full_accuracy)


def render(out: Path, rubric=None) -> Path:
    """Write ``out/report.html`` and ``out/report.md`` from ``out/results.json``; return the HTML's path."""
    out = Path(out)
    data = results.load(out)
    if data is None:
        raise ValueError(f"{out}: no readable {results.NAME}")
    if rubric is None:
        try:
            rubric = load_rubric()
        except Exception:  # noqa: BLE001 - the report is still useful without the rubric
            rubric = []
    draw_curve(out, data)
    html_path = out / "report.html"
    write_text_atomic(html_path, render_html(out, data, rubric))
    write_text_atomic(out / "report.md", render_markdown_report(out, data))
    return html_path
