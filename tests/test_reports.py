"""Per-submission reports, the class dashboard, the write-up rubric and the merged gradebook.

Fast tests work on results folders fabricated with ``results.build``. The ``slow`` tests grade a small class for
real (one student with the training run, the others with ``--no-training``), render it with the CLI, and open
the pages in headless Chromium through Selenium and Debian's /usr/bin/chromedriver, as a TA would: sort the
table, follow a student link, check the curve images load, and check that a hostile REPORT.md, hostile code
and a hostile exception message execute nothing. Screenshots go to runs/screenshots/ (git-ignored); with
UPDATE_DOCS_SCREENSHOTS=1 (or when missing) also to docs/report.png and docs/dashboard.png.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.classops.rubric import load_rubric
from autograder.grading import results
from autograder.__main__ import main as cli
from autograder.report import Renderer, render_submission, similarity, try_render_submission
from autograder.report.common import render_markdown
from autograder.grading.scoring import CheckOutcome
from autograder.grading.scoring import TestResult as Result
from submissions import make_submission

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "runs" / "screenshots"
DOCS = ROOT / "docs"
SOLUTION_SOURCE = (ROOT / "solution" / "mlp.py").read_text()
HANDOUT_SOURCE = (ROOT / "assignment" / "mlp.py").read_text()

HOSTILE_REPORT = """# Report of mallory

<script>document.title = "pwned"; window.pwned = "script";</script>
<img src="x.png" onerror="window.pwned = 'onerror'; document.title = 'pwned'">
<svg onload="window.pwned = 'svg'"><circle r="5"/></svg>
<iframe src="data:text/html,<script>parent.pwned='iframe'</script>"></iframe>
<a id="jslink" href="javascript:window.pwned='javascript';document.title='pwned'">a javascript: link</a>
[markdown javascript link](javascript:window.pwned='mdlink')
<img id="remote" src="https://example.invalid/track.png">
<style>body { display: none }</style>
<form action="https://example.invalid/steal"><input name="x"><button>go</button></form>
<meta http-equiv="refresh" content="0; url=https://example.invalid">

## Training curve
![my curve](../runs/assignment/my_curve.png)

| epochs | lr |
|---:|---:|
| 5 | 0.05 |
"""
HOSTILE_CODE = '''
# </pre><script>window.pwned = "code"; document.title = "pwned"</script><pre>


def relu_grad(z):
    raise ValueError("<img src=x onerror=\\"window.pwned='exception';document.title='pwned'\\">")
'''
RENAMES = {"dlogits": "g_out", "dz2": "delta_two", "dz1": "delta_one", "shifted": "centred", "exps": "e",
           "picked": "chosen", "n": "count"}


def renamed_copy(source: str) -> str:
    """The reference with local names changed and comments removed: what a copied submission looks like."""
    for old, new in RENAMES.items():
        source = re.sub(rf"\b{old}\b", new, source)
    return re.sub(r"  # .*$", "", source, flags=re.MULTILINE)


def fake_results(folder: Path, score_tests: list[Result], accuracy: float | None = None,
                 checks: list[CheckOutcome] = (), **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    extra.setdefault("isolation", "bubblewrap")
    extra.setdefault("seed", 7)
    if accuracy is not None:
        extra["training"] = {"seconds": 20.0, "audits": 9, "history": {"epochs": []}}
    data = results.build(score_tests, "Passing the public tests does not guarantee full marks.", 12.3,
                         accuracy or 0.0, extra, checks)
    results.write(folder, data)
    return folder


def simple_tests(score: float, failing: str = "") -> list[Result]:
    tests = [Result("softmax (public tests)", score, 6, "passed" if score == 6 else "failed",
                        failing or "12/12 public checks passed.", "visible", "2.1")]
    return tests


def test_the_report_draws_the_curve_from_the_graders_history_once(tmp_path):
    from solution import train as kit_train

    history = kit_train.History(kit_train.TrainConfig(epochs=2))
    history.epochs = [kit_train.EpochRecord(e, 0.5 / e, 0.9 + e / 100, 0.55 / e, 0.89 + e / 100, 1.0) for e in (1, 2)]
    assert kit_train.History.from_json(history.to_json()) == history
    folder = fake_results(tmp_path / "s", simple_tests(6), 0.91)
    data = results.load(folder)
    data["extra_data"]["training"]["history"] = history.to_json()
    results.write(folder, data)
    render_submission(folder)
    curve = folder / "curves.png"
    assert curve.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert 'id="grader-curve"' in (folder / "report.html").read_text()
    drawn = curve.stat().st_mtime_ns
    render_submission(folder)  # up to date: not drawn again
    assert curve.stat().st_mtime_ns == drawn
    fake_results(folder, simple_tests(6), 0.0)  # a regrade that finished no epoch: no curve of the old run
    render_submission(folder)
    assert not curve.exists() and 'id="grader-curve"' not in (folder / "report.html").read_text()


def test_grades_renderer_child_renders_when_told_and_the_grader_renders_if_the_child_is_gone(tmp_path):
    told, untold, killed = (fake_results(tmp_path / name, simple_tests(6)) for name in ("told", "untold", "killed"))
    Renderer(told).finish()
    assert (told / "report.html").is_file() and (told / "report.md").is_file()
    Renderer(untold).finish(render=False)  # the grading failed: nothing is rendered
    assert not (untold / "report.html").exists()
    renderer = Renderer(killed)
    renderer.proc.kill()
    renderer.proc.wait()
    renderer.finish()  # the child is gone: rendered in this process instead
    assert (killed / "report.html").is_file()


# ----------------------------------------------------------------------------------------- sanitizing
def test_markdown_sanitizer_removes_script_handlers_and_remote_content():
    html = render_markdown(HOSTILE_REPORT, {"my_curve.png": "data:image/png;base64,AAAA"})
    lowered = html.lower()
    for bad in ("<script", "onerror", "onload", "href=\"javascript:", "<iframe", "<style", "<form", "<meta",
                "example.invalid", "<svg"):
        assert bad not in lowered, bad
    assert '<img alt="my curve" src="data:image/png;base64,AAAA">' in html  # the student's own PNG, embedded
    assert "<table>" in html and 'style="text-align: right;"' in html  # Markdown tables survive


def test_report_escapes_code_and_messages_and_carries_a_strict_csp(tmp_path):
    out = fake_results(tmp_path / "mallory", simple_tests(
        0, "0/12 public checks passed.\n- FAILED test_x: ValueError: <img src=x onerror=alert(1)>"))
    (out / "submission").mkdir()
    (out / "submission" / "mlp.py").write_text(HOSTILE_CODE)
    (out / "submission" / "REPORT.md").write_text(HOSTILE_REPORT)
    page = render_submission(out).read_text()
    assert ('<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;; img-src data:; '
            "style-src &#x27;unsafe-inline&#x27;") in page
    assert "<script" not in page.lower() and not re.search(r"<[^>]*\son[a-z]+\s*=", page)  # no live handler
    assert "&lt;/pre&gt;&lt;script&gt;" in page  # the code, escaped and numbered
    assert re.search(r'<span class="ln">2</span># &lt;/pre&gt;', page)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the check message, escaped
    md = (out / "report.md").read_text()
    assert "**Total: 0 / 6**" in md and "```text\n0/12 public checks passed." in md


def test_markdown_fence_cannot_be_closed_from_inside(tmp_path):
    out = fake_results(tmp_path / "eve", simple_tests(0, "x\n```\n# Injected heading\n````"))
    render_submission(out)
    md = (out / "report.md").read_text()
    assert "`````text\nx\n```\n# Injected heading\n````\n`````" in md


def test_a_broken_results_file_costs_no_grade(tmp_path, capsys):
    (tmp_path / "results.json").write_text("{not json")
    assert try_render_submission(tmp_path) is None
    assert "could not write the report" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------- similarity
def test_similarity_finds_a_renamed_copy_but_not_the_handout_or_a_different_solution():
    different = SOLUTION_SOURCE + '''

def softmax(logits):
    out = np.empty_like(logits)
    for i in range(logits.shape[0]):
        row = np.exp(logits[i] - np.max(logits[i]))
        out[i] = row / np.sum(row)
    return out


def backward(params, cache, labels):
    N = labels.shape[0]
    onehot = np.zeros_like(cache["probs"])
    onehot[np.arange(N), labels] = 1.0
    delta = (cache["probs"] - onehot) / N
    grads = {}
    activations = [cache["X"], cache["a1"], cache["a2"]]
    pre = [cache["z1"], cache["z2"]]
    for layer in (3, 2, 1):
        grads["W%d" % layer] = activations[layer - 1].T @ delta
        grads["b%d" % layer] = delta.sum(axis=0)
        if layer > 1:
            delta = (delta @ params["W%d" % layer].T) * relu_grad(pre[layer - 2])
    return grads


def sgd_step(params, grads, lr):
    for name in list(params):
        np.subtract(params[name], lr * grads[name], out=params[name], casting="unsafe")
'''
    sources = {"alice": SOLUTION_SOURCE, "carol": renamed_copy(SOLUTION_SOURCE), "dave": HANDOUT_SOURCE,
               "erin": HANDOUT_SOURCE, "frank": different}
    pairs = similarity.similar_pairs(sources, 0.9)
    assert [(a, b) for a, b, _ in pairs] == [("alice", "carol")] and pairs[0][2] > 0.97
    assert similarity.fingerprint(HANDOUT_SOURCE) == []  # untouched stubs are never compared


def test_similarity_ignores_comments_docstrings_and_layout():
    a = "def softmax(logits):\n    '''Doc.'''\n    e = np.exp(logits - logits.max(axis=1, keepdims=True))\n" \
        "    return e / e.sum(axis=1, keepdims=True)\n"
    b = "def softmax(x):\n    # my own work!\n    ex = np.exp(x - x.max(axis=1,\n        keepdims=True))\n" \
        "    return ex / ex.sum(axis=1, keepdims=True)  # done\n"
    assert similarity.graded_functions(a)["softmax"] == similarity.graded_functions(b)["softmax"]


# ----------------------------------------------------------------------------------------- gradebook
def _class(tmp_path: Path) -> Path:
    graded = tmp_path / "graded"
    fake_results(graded / "students" / "alice", simple_tests(6))
    fake_results(graded / "students" / "bob", simple_tests(3, "6/12 public checks passed.\n- FAILED test_rows: wrong"))
    return graded


def _csv(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def test_gradebook_creates_a_prefilled_scores_file_then_merges(tmp_path, capsys):
    graded = _class(tmp_path)
    rubric = load_rubric()
    ids = [c.id for c in rubric]
    assert ids == ["architecture", "hyperparameters", "loss_curve", "final_accuracy", "surprise",
                   "pytorch_baseline"]
    assert cli(["gradebook", str(graded)]) == 0
    scores = graded / "rubric_scores.csv"
    assert _csv(scores) == [["student", *ids, "comment"], ["alice"] + [""] * 7, ["bob"] + [""] * 7]
    assert "created" in capsys.readouterr().out
    # a TA fills in alice (one criterion left blank) and types a comment with a comma
    scores.write_text(f"student,{','.join(ids)},comment\nalice,4,3,4,2,3.5,,\"good, short\"\nbob,,,,,,,\n")
    before = scores.read_bytes()
    assert cli(["gradebook", str(graded)]) == 0
    assert scores.read_bytes() == before  # never rewritten
    grades = _csv(graded / "grades.csv")
    assert grades[0] == ["student", "autograder", "writeup", "total", *ids, "comment"]
    assert grades[1] == ["alice", "6", "16.5", "22.5", "4", "3", "4", "2", "3.5", "", "good, short"]
    assert grades[2] == ["bob", "3", "0", "3", "", "", "", "", "", "", ""]
    assert "still have write-up criteria to grade" in capsys.readouterr().out
    # a student graded later gets a row appended; the TA's rows stay byte for byte
    fake_results(graded / "students" / "carol", simple_tests(6))
    assert cli(["gradebook", str(graded)]) == 0
    assert scores.read_bytes() == before + b"carol,,,,,,,\n"
    assert [r[0] for r in _csv(graded / "grades.csv")[1:]] == ["alice", "bob", "carol"]


@pytest.mark.parametrize("row, message", [
    ("zoe,1,1,1,1,1,1,", "unknown student 'zoe'"),
    ("alice,5,1,1,1,1,1,", "architecture: 5 is above the maximum of 4"),
    ("alice,-1,1,1,1,1,1,", "architecture: -1 is negative"),
    ("alice,four,1,1,1,1,1,", "architecture: 'four' is not a number"),
    ("alice,nan,1,1,1,1,1,", "'nan' is not a number"),
    ("alice,1,1,1,1,1,1,,,extra", "cells for 8 columns"),
])
def test_gradebook_refuses_bad_entries_with_exit_2_and_writes_nothing(tmp_path, capsys, row, message):
    graded = _class(tmp_path)
    ids = ",".join(c.id for c in load_rubric())
    scores = graded / "rubric_scores.csv"
    text = f"student,{ids},comment\n{row}\nbob,,,,,,,\n"
    scores.write_text(text)
    assert cli(["gradebook", str(graded)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert scores.read_text() == text and not (graded / "grades.csv").exists()


@pytest.mark.parametrize("text, message", [
    ("", "no header row"),
    ("name,architecture\n", "the first column must be 'student'"),
    ("student,architecture,comment\nalice,1,\n", "missing column(s) hyperparameters"),
    ("student,architecture,hyperparameters,loss_curve,final_accuracy,surprise,pytorch_baseline,bonus\n",
     "unknown column(s) 'bonus'"),
    ("student,architecture,hyperparameters,loss_curve,final_accuracy,surprise,pytorch_baseline\n"
     "alice,1,1,1,1,1,1\nalice,2,2,2,2,2,2\n", "listed twice"),
])
def test_gradebook_refuses_a_malformed_file(tmp_path, capsys, text, message):
    graded = _class(tmp_path)
    (graded / "rubric_scores.csv").write_text(text)
    assert cli(["gradebook", str(graded)]) == 2
    assert message in capsys.readouterr().err
    assert (graded / "rubric_scores.csv").read_text() == text


def test_gradebook_refuses_binary_garbage_and_a_missing_folder(tmp_path, capsys):
    graded = _class(tmp_path)
    (graded / "rubric_scores.csv").write_bytes(b"\xff\xfe\x00garbage")
    assert cli(["gradebook", str(graded)]) == 2
    assert cli(["gradebook", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "cannot read it" in err and "is not a folder" in err and "Traceback" not in err


# ----------------------------------------------------------------------------------------- the real thing
def _run(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory) -> Path:
    """A class graded for real: alice with the training run (and her REPORT.md + curve), the rest without."""
    base = tmp_path_factory.mktemp("class")
    uploads, out = base / "uploads", base / "graded"
    alice = make_submission(base / "alice")
    (alice / "REPORT.md").write_text((ROOT / "solution" / "REPORT.md").read_text().replace(
        "../runs/assignment/curves.png", "my_curve.png"))
    curve = ROOT / "runs" / "solution" / "curves.png"
    if not curve.is_file():
        from solution import train as kit_train

        history = kit_train.History(kit_train.TrainConfig(2, 0.05, 64, 0.9, 0))
        history.epochs = [kit_train.EpochRecord(e, 0.5 / e, 0.9 + e / 100, 0.55 / e, 0.89 + e / 100, 1.0)
                          for e in (1, 2)]
        curve = base / "curve.png"
        kit_train.plot_curves(history, curve, "curve")
    shutil.copy(curve, alice / "my_curve.png")
    make_submission(uploads / "bob", (ROOT / "autograder" / "builders" / "samples" / "typical_bugs.py").read_text())
    (uploads / "carol").mkdir(parents=True)
    (uploads / "carol" / "mlp.py").write_text(renamed_copy(SOLUTION_SOURCE))
    mallory = make_submission(uploads / "mallory", HOSTILE_CODE)
    (mallory / "REPORT.md").write_text(HOSTILE_REPORT)
    shutil.copy(curve, mallory / "my_curve.png")
    (uploads / "dave").mkdir()
    (uploads / "dave" / "mlp.py").write_text(HANDOUT_SOURCE)

    trained = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(alice), "--out",
                                str(out / "students" / "alice"), "--seed", "3", "--quiet"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    batch = _run("grade-all", str(uploads), "--out", str(out), "-j", "1", "--no-training")
    assert "index.html" in batch.stdout  # grade-all renders the dashboard by itself
    assert trained.wait(timeout=300) == 0, trained.stdout.read()
    _run("report", str(out))
    return out


@pytest.mark.slow
def test_grading_writes_reports_and_the_dashboard(graded_class):
    for student in ("alice", "bob", "carol", "mallory", "dave"):
        assert (graded_class / "students" / student / "report.html").is_file()
        assert (graded_class / "students" / student / "report.md").is_file()
    data = json.loads((graded_class / "students" / "alice" / "results.json").read_text())
    assert data["score"] == 100, "the reference with training earns full marks"
    md = (graded_class / "students" / "alice" / "report.md").read_text()
    assert "Final test accuracy:" in md and "(the bar is 95%: reached)" in md
    index = (graded_class / "index.html").read_text()
    assert "script-src &#x27;sha256-" in index
    flags = index.split('id="flags"', 1)[1]
    assert "code 100% similar to carol" in flags or re.search(r"code 9\d% similar to carol", flags)
    assert "dave" not in index.split('id="similar"', 1)[1]  # untouched stubs are not 'similar'
    assert 'href="students/bob/report.html"' in index and "softmax (hidden): test_extreme_logits" in index


# ----------------------------------------------------------------------------------------- in Chromium
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (make browser)")
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium / chromedriver are not installed and could not be (make browser: "
                    "apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1100,1300",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def _shot(driver, name: str, docs_name: str | None = None) -> None:
    driver.save_screenshot(str(SCREENSHOTS / name))
    if docs_name and (os.environ.get("UPDATE_DOCS_SCREENSHOTS") or not (DOCS / docs_name).exists()):
        DOCS.mkdir(exist_ok=True)
        driver.save_screenshot(str(DOCS / docs_name))


def _no_alert(driver) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def _column(driver, index: int) -> list[str]:
    return driver.execute_script(
        "var col = arguments[0]; return Array.from(document.querySelectorAll('#students tbody tr'))"
        ".map(function (r) { return r.cells[col].dataset.value; });", index)


@pytest.mark.slow
def test_dashboard_sorts_and_links_to_a_report_with_its_curves(graded_class, browser):
    from selenium.webdriver.common.by import By

    browser.get((graded_class / "index.html").as_uri())
    assert browser.title.startswith("Class dashboard")
    assert browser.execute_script("return document.getElementById('hist-total').naturalWidth") > 0
    header = browser.find_element(By.XPATH, "//table[@id='students']//th[normalize-space()='total']")
    header.click()
    totals = [float(v) for v in _column(browser, 1)]
    assert totals == sorted(totals) and len(totals) == 5 and header.get_attribute("aria-sort") == "ascending"
    header.click()
    totals = [float(v) for v in _column(browser, 1)]
    assert totals == sorted(totals, reverse=True) and totals[0] == 100
    browser.find_element(By.XPATH, "//table[@id='students']//th[normalize-space()='student']").click()
    assert _column(browser, 0) == sorted(_column(browser, 0)) == ["alice", "bob", "carol", "dave", "mallory"]
    assert _column(browser, 3) == ["graded", "graded", "graded", "not attempted", "graded"]
    visible = ("return Array.from(document.querySelectorAll('#students tbody tr')).filter(r => !r.hidden)"
               ".map(r => r.cells[0].dataset.value)")
    browser.find_element(By.XPATH, "//button[@data-status='not attempted']").click()  # the status filter
    assert browser.execute_script(visible) == ["dave"]
    browser.find_element(By.XPATH, "//button[@data-status='']").click()
    assert len(browser.execute_script(visible)) == 5
    browser.find_element(By.XPATH, "//table[@id='students']//th[normalize-space()='total']").click()
    _shot(browser, "dashboard.png", "dashboard.png")

    browser.find_element(By.LINK_TEXT, "alice").click()
    assert browser.title.startswith("alice: 100/100")
    assert browser.find_element(By.ID, "total").text == "100"
    for image in ("grader-curve",):
        assert browser.execute_script(f"return document.getElementById('{image}').naturalWidth") > 0
    widths = browser.execute_script(
        "return Array.from(document.querySelectorAll('img.student-image, #writeup img')).map(i => i.naturalWidth)")
    assert len(widths) == 2 and all(w > 0 for w in widths)  # next to the grader's curve, and in REPORT.md
    assert "reached" in browser.find_element(By.ID, "summary").text
    _shot(browser, "report_alice.png", "report.png")


@pytest.mark.slow
def test_a_hostile_submission_runs_nothing_in_the_tas_browser(graded_class, browser):
    from selenium.webdriver.common.by import By

    browser.get((graded_class / "students" / "mallory" / "report.html").as_uri())
    _shot(browser, "report_mallory.png")
    assert browser.title.startswith("mallory:")
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    assert browser.execute_script("return document.scripts.length") == 0
    assert browser.execute_script("return document.querySelectorAll('iframe, svg, form, [onerror], "
                                  "[onload]').length") == 0
    assert browser.find_element(By.TAG_NAME, "body").is_displayed()  # the injected <style> did not apply
    assert _no_alert(browser)
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "a javascript: link")
    assert link.get_attribute("href") in (None, "")
    link.click()
    assert browser.execute_script("return typeof window.pwned") == "undefined" and _no_alert(browser)
    assert browser.title.startswith("mallory:")
    # the hostile exception message and code are shown as text
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "onerror=" in page and "<script>window.pwned" in page
    # the student's own PNG, referenced from REPORT.md, is embedded; the remote image is not fetched
    assert browser.execute_script("return document.querySelector('#writeup img[alt=\"my curve\"]').naturalWidth") > 0
    assert browser.execute_script("return document.querySelectorAll('img[src^=\"http\"]').length") == 0

    browser.get((graded_class / "index.html").as_uri())
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    assert browser.execute_script("return document.scripts.length") == 1  # the kit's own, allowed by hash


# ----------------------------------------------------------------------------------------- one student never breaks the class
def test_student_text_is_escaped_in_report_md_and_the_failed_checks_table(tmp_path):
    graded = tmp_path / "graded"
    payload = '<img src=x onerror="window.pwned=1">'
    name = "[click](javascript:alert(1))**x**"
    message = f"ValueError: {payload} [y](javascript:z)"
    out = fake_results(graded / "students" / name, simple_tests(0, f"0/12 public checks passed.\n- FAILED test_x: {message}"),
                       checks=[CheckOutcome("test_x", "softmax", False, False, message)])
    render_submission(out)
    md = (out / "report.md").read_text()
    assert "## Autograder report: \\[click\\]\\(javascript:alert\\(1\\)\\)\\*\\*x\\*\\*" in md
    rendered = __import__("markdown").markdown(md, extensions=["tables", "fenced_code"])
    assert "<a " not in rendered and "<img" not in rendered and "<strong>x" not in rendered
    from autograder.report import dashboard

    index = dashboard.render(graded).read_text()
    table = index.split('id="failed-checks"', 1)[1].split("</table>", 1)[0]
    assert "&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;" in table and "<img" not in table
    assert "<script" not in index.split("<body>", 1)[1].rsplit("<script>", 1)[0]


def test_results_json_output_is_plain_text_for_gradescope():
    data = results.build(simple_tests(6), "**not bold**", 1.0, 0.0, {})
    assert data["output_format"] == "text" and data["test_output_format"] == "text"


def test_the_dashboard_is_written_when_similarity_or_one_results_file_fails(tmp_path, monkeypatch):
    from autograder.report import dashboard

    graded = tmp_path / "graded"
    for name in ("alice", "bob"):
        (fake_results(graded / "students" / name, simple_tests(6)) / "submission").mkdir()
        (graded / "students" / name / "submission" / "mlp.py").write_text(SOLUTION_SOURCE)
    odd = fake_results(graded / "students" / "odd", simple_tests(6))
    data = json.loads((odd / "results.json").read_text())
    data["tests"] = [{"name": 3}]  # not what the grader writes; the page must still come out
    (odd / "results.json").write_text(json.dumps(data))
    (graded / "students" / "broken").mkdir()
    (graded / "students" / "broken" / "results.json").write_text("{not json")

    def explode(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(similarity, "fingerprint", explode)
    index = dashboard.render(graded).read_text()
    problems = index.split('id="problems"', 1)[1].split("</table>", 1)[0]
    assert "alice" in problems and "code not compared for similarity (RecursionError" in problems
    assert "odd" in problems and "broken" in problems and "unreadable results.json" in problems
    assert 'href="students/alice/report.html"' not in index and ">alice<" in index  # listed, no report yet

    monkeypatch.setattr(similarity, "similar_pairs", explode)
    index = dashboard.render(graded).read_text()
    assert "similarity check failed (RecursionError" in index


def test_similarity_compares_code_too_deep_for_ast_unparse():
    deep = "def relu_grad(z):\n    return (z > " + "+".join(["0"] * 600) + ").astype(z.dtype)\n"
    source = SOLUTION_SOURCE + "\n\n" + deep
    assert len(similarity.graded_functions(source)["relu_grad"]) > 600
    pairs = similarity.similar_pairs({"a": source, "b": renamed_copy(source), "c": HANDOUT_SOURCE})
    assert [(a, b) for a, b, _ in pairs] == [("a", "b")]


def test_quadratic_markdown_falls_back_to_plain_text_in_bounded_time(monkeypatch):
    import time

    from autograder.report import common

    monkeypatch.setattr(common, "MARKDOWN_SECONDS", 2.0)
    start = time.monotonic()
    html = render_markdown("[" * 20_000 + "<script>x</script>")
    assert time.monotonic() - start < 6
    assert "shown as plain text" in html and "&lt;script&gt;" in html and "<script" not in html
    assert "<h1>ok</h1>" in render_markdown("# ok")  # ordinary text still renders


def test_csv_files_for_staff_neutralise_formulas_and_read_them_back(tmp_path, capsys):
    graded = tmp_path / "graded"
    names = ["=HYPERLINK(\"x\")", "+1", "@SUM(A1)", "-x", "alice"]
    for name in names:
        fake_results(graded / "students" / name, simple_tests(6))
    assert cli(["gradebook", str(graded)]) == 0
    scores = graded / "rubric_scores.csv"
    rows = _csv(scores)
    column = [r[0] for r in rows[1:]]
    assert column == sorted(f"'{n}" if n != "alice" else n for n in names)
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    # a TA scores the '=HYPERLINK row and comments with a formula: both read back as the student's
    ids = [c.id for c in load_rubric()]
    row = "\"'=HYPERLINK(\"\"x\"\")\""
    text = scores.read_text().replace(row + "," * (len(ids) + 1), row + ",4,3,4,2,3,2,")
    scores.write_text(text.replace("alice,,,,,,,", "alice,,,,,,,=cmd|' /C calc'!A0"))
    assert cli(["gradebook", str(graded)]) == 0, capsys.readouterr().err
    grades = {r[0]: r for r in _csv(graded / "grades.csv")[1:]}
    assert grades["'=HYPERLINK(\"x\")"][1:4] == ["6", "18", "24"]
    assert all(not cell.startswith(("=", "+", "@")) for r in grades.values() for cell in r)
