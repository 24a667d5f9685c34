"""The class summary in a real browser, opened from the batch's folder (file://, no server): the student table
sorts by each column, and each student's link opens that student's report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from cdp import Browser, chromium
from conftest import COURSE, SCENARIOS

from grader.classroom.batch import run_batch
from grader.judge.grade import Plan
from grader.spec.course import load_course
from grader.spec.expected import reference_outputs

BINARY = chromium()
#: Student folders with ids a URL must encode (a space, '#', '%', '?', non-ASCII), and their submissions.
CLASS = {"ann lee": "mistake-log10", "bob#1": "correct-numpy", "zoë?": "mistake-kl-swapped", "cy%20": "memorised"}

ROWS = """[...document.querySelectorAll('table.students tbody tr')].map(tr => [...tr.cells].map(td => td.textContent))"""
SORTED = """[...document.querySelectorAll('table.students thead th')].map(th => th.getAttribute('aria-sort'))"""


def _click(browser: Browser, session: str, column: str) -> None:
    browser.evaluate(session, f"""[...document.querySelectorAll('table.students thead button')]
        .find(b => b.textContent === {json.dumps(column)}).click()""")


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("summary")
    for student, scenario in CLASS.items():
        shutil.copytree(SCENARIOS / scenario / "submission", base / "class" / student)
    course = load_course(COURSE)
    run_batch(Plan.build(course, "course", reference_outputs(course)), base / "class", base / "out", jobs=2,
              progress=False)
    return base / "out"


def test_the_summary_json_holds_the_student_table(batch_out):
    data = json.loads((batch_out / "summary.json").read_text())
    assert [(r["student"], r["score"], r["status"], r["report"]) for r in data["student_rows"]] == [
        ("ann lee", 23.0, "below the pass mark", "reports/ann%20lee.html"),
        ("bob#1", 30.0, "passed", "reports/bob%231.html"),
        ("cy%20", 12.0, "below the pass mark", "reports/cy%2520.html"),
        ("zoë?", 24.0, "below the pass mark", "reports/zo%C3%AB%3F.html"),
    ]
    assert data["students"] == 4 and data["passed"] == 1


@pytest.mark.skipif(BINARY is None, reason="chromium is not installed (.ci/run installs Debian's package)")
def test_the_student_table_sorts_by_each_column_and_its_links_open_the_reports(batch_out):
    page = batch_out / "summary.html"
    with Browser(BINARY) as browser:
        session = browser.open(page.as_uri())
        first = browser.evaluate(session, ROWS)
        _click(browser, session, "score")
        by_score = browser.evaluate(session, ROWS)
        score_sort = browser.evaluate(session, SORTED)
        _click(browser, session, "score")
        by_score_down = browser.evaluate(session, ROWS)
        _click(browser, session, "status")
        by_status = browser.evaluate(session, ROWS)
        _click(browser, session, "id")
        _click(browser, session, "id")
        by_id_down = browser.evaluate(session, ROWS)
        hrefs = browser.evaluate(session, "[...document.querySelectorAll('table.students a')].map(a => a.href)")
        titles = []
        for href in hrefs:  # follow each link as a click would, and read the page it opens
            browser.evaluate(session, f"location.href = {json.dumps(href)}")
            browser.wait_for("Page.loadEventFired")
            titles.append(browser.evaluate(session, "[location.href, document.title]"))
        problems = browser.problems()
    assert problems == []  # the sorting script runs under the page's CSP, without errors
    assert [r[0] for r in first] == ["ann lee", "bob#1", "cy%20", "zoë?"]
    assert [(r[0], r[2]) for r in by_score] == [("cy%20", "12 / 50"), ("ann lee", "23 / 50"), ("zoë?", "24 / 50"),
                                                ("bob#1", "30 / 50")]
    assert score_sort == [None, None, "ascending", None, None]
    assert [r[0] for r in by_score_down] == ["bob#1", "zoë?", "ann lee", "cy%20"]
    # ties keep the order they had (score, descending)
    assert [(r[0], r[3]) for r in by_status] == [("zoë?", "below the pass mark"), ("ann lee", "below the pass mark"),
                                                 ("cy%20", "below the pass mark"), ("bob#1", "passed")]
    assert [r[0] for r in by_id_down] == ["zoë?", "cy%20", "bob#1", "ann lee"]
    opened = [Path(unquote(urlparse(url).path)) for url, _title in titles]
    assert opened == [batch_out / "reports" / f"{s}.html" for s in ("zoë?", "cy%20", "bob#1", "ann lee")]
    assert [title.split(" · ")[0] for _url, title in titles] == ["zoë?", "cy%20", "bob#1", "ann lee"]
