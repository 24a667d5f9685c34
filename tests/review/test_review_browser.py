"""grader review in a real browser: Debian's Chromium, driven over the DevTools protocol (tests/feedback/cdp.py),
against the real ``grader review`` command serving a real batch's OUT folder.

A screenshot of the page is written to GRADER_SCREENSHOTS (default: the test's temporary folder); with
GRADER_DOCS_SCREENSHOT=1 it also replaces docs/img/review-page.png, the one the docs page shows.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.cli import cli
from tests.feedback.cdp import Browser, chromium
from tests.review.helpers import COURSE, ROOT, make_class

BINARY = chromium()
pytestmark = pytest.mark.skipif(BINARY is None, reason="chromium is not installed (.ci/run installs Debian's package)")
DOCS_SHOT = ROOT / "docs" / "img" / "review-page.png"


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A batch of the written-answers class, and ``grader review`` serving it (a subprocess, as a user runs it)."""
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(make_class(tmp_path / "class")), "--course", str(COURSE),
                                      "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    proc = subprocess.Popen([sys.executable, "-m", "grader", "review", str(out), "--course", str(COURSE),
                             "--reviewer", "ta-one"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[1] == ("Open this address in a browser (Ctrl-C stops the server; every decision is already "
                            "saved):\n")
        url = lines[2].strip()
        yield {"url": url, "base": url.split("/?token=")[0], "out": out, "tmp": tmp_path}
    finally:
        proc.terminate()
        proc.wait(10)


def go(browser: Browser, session: str, url: str) -> None:
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired")


def press(browser: Browser, session: str, key: str) -> None:
    for kind in ("keyDown", "keyUp"):
        browser.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "text": key if kind == "keyDown" else "",
                                                "windowsVirtualKeyCode": ord(key.upper())}, session=session)


def run(browser: Browser, session: str, expression: str) -> Any:
    """Evaluate, awaiting a promise (fetch) when the expression gives one."""
    reply = browser.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True},
                         session=session)
    if "exceptionDetails" in reply:
        raise RuntimeError(reply["exceptionDetails"])
    return reply["result"].get("value")


def wait(browser: Browser, session: str, expression: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = run(browser, session, expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.1)


APPLIED = "fetch('/api/progress').then(r => r.json()).then(p => p.applied)"
GROUPS = """[...document.querySelectorAll('section.group')].map(g => ({
  count: g.querySelector('.count').textContent, status: g.querySelector('.status').textContent.trim(),
  done: g.classList.contains('done'), answer: g.querySelector('pre.answer').textContent,
  ticked: [...g.querySelectorAll('ul.rubric input')].map(b => b.checked),
  suggested: [...g.querySelectorAll('.suggested')].map(s => s.textContent),
  badges: [...g.querySelectorAll('.badge')].map(b => b.textContent)}))"""


def gradebook(out: Path) -> list[list[str]]:
    with (out / "gradebook.csv").open(newline="") as fh:
        return list(csv.reader(fh))


def test_a_groups_rubric_is_ticked_saved_shown_in_the_gradebook_and_after_a_reload(server: dict[str, Any]):
    with Browser(BINARY) as browser:
        session = browser.open(server["url"])
        assert run(browser, session, "location.href") == server["base"] + "/"  # the token left the address bar
        go(browser, session, server["base"] + "/q/words/why_rare")
        groups = run(browser, session, GROUPS)
        assert [(g["count"], g["status"], g["ticked"], g["suggested"]) for g in groups] == [
            ("3 students", "not reviewed yet", [True, False, False], ["suggested by “surprise”"]),
            ("1 student", "not reviewed yet", [False, True, False], ["suggested by “-log2”, “log”"]),
            ("1 student", "not reviewed yet", [False, False, True], ["suggested by “less information”"])]
        # keyboard only: first group, tick the second rubric item, save
        press(browser, session, "j")
        press(browser, session, "2")
        press(browser, session, "s")
        wait(browser, session, "document.querySelector('section.group .saved').textContent === 'saved'")
        assert run(browser, session, "document.querySelector('.progress').textContent.replace(/\\s+/g, ' ').trim()") == \
            "reviewed 3 of 5 answers · 1 of 3 groups done · not reviewed yet only"
        assert run(browser, session, GROUPS)[0]["status"] == "reviewed by ta-one · 2 of 2 points"
        wait(browser, session, APPLIED)
        shots = Path(os.environ.get("GRADER_SCREENSHOTS", server["tmp"]))
        shots.mkdir(parents=True, exist_ok=True)
        browser.screenshot(session, shots / "review-page.png", {"x": 0, "y": 0, "width": 1100, "height": 900})
        if os.environ.get("GRADER_DOCS_SCREENSHOT"):
            shutil.copyfile(shots / "review-page.png", DOCS_SHOT)
        assert (shots / "review-page.png").stat().st_size > 20_000
        assert [row[3:] for row in gradebook(server["out"])] == [
            ["surprise", "words", "total", "pending"], ["4", "2", "6", "2"], ["4", "2", "6", "2"], ["4", "2", "6", "2"],
            ["4", "0", "4", "2"], ["4", "0", "4", "4"]]
        go(browser, session, server["base"] + "/q/words/why_rare")
        first = run(browser, session, GROUPS)[0]
        assert (first["done"], first["status"], first["ticked"]) == (
            True, "reviewed by ta-one · 2 of 2 points", [True, True, False])
        assert run(browser, session, "document.getElementById('progress-text').textContent") == \
            "reviewed 3 of 5 answers"
        press(browser, session, "f")  # the 'not reviewed yet' filter, by its key
        browser.wait_for("Page.loadEventFired")
        assert run(browser, session, "location.search") == "?show=todo"
        assert [g["count"] for g in run(browser, session, GROUPS)] == ["1 student", "1 student"]
        assert browser.problems() == []


def test_two_reviewers_deciding_at_once_both_keep_their_decisions(server: dict[str, Any]):
    with Browser(BINARY) as one, Browser(BINARY) as two:
        pages = []
        for browser, name in ((one, "A"), (two, "B")):
            session = browser.open(server["url"])
            go(browser, session, server["base"] + "/q/words/why_bits")
            pages.append((browser, session, name))
        for index, (browser, session, name) in enumerate(pages):  # both in flight before either is answered
            run(browser, session, f"""(() => {{ const f = document.querySelectorAll('form.decide')[{index}];
                f.querySelector('input[name=reviewer]').value = '{name}';
                f.querySelector('input[name=items]').checked = true; f.requestSubmit(); }})()""")
        for index, (browser, session, _) in enumerate(pages):
            wait(browser, session, f"document.querySelectorAll('.saved')[{index}].textContent === 'saved'")
        go(one, pages[0][1], server["base"] + "/q/words/why_bits")
        statuses = [g["status"] for g in run(one, pages[0][1], GROUPS)]
        assert statuses[:2] == ["reviewed by A · 2 of 2 points", "reviewed by B · 2 of 2 points"]
        assert one.problems() == [] and two.problems() == []
    rows = sqlite3.connect(server["out"] / "reviews.sqlite").execute(
        "SELECT reviewer, items FROM decisions ORDER BY reviewer").fetchall()
    assert rows == [("A", '["question"]'), ("B", '["question"]')]


def test_a_script_in_an_answer_is_shown_as_text_and_runs_nothing(server: dict[str, Any]):
    with Browser(BINARY) as browser:
        session = browser.open(server["url"])
        go(browser, session, server["base"] + "/q/words/why_rare")
        eve = run(browser, session, GROUPS)[2]
        assert eve["answer"] == ("<script>document.title='pwned'</script><b>bold</b> rare events are less "
                                 "information")
        assert run(browser, session, "document.title") == "why_rare · review · Written course"
        assert run(browser, session, "document.querySelectorAll('pre.answer script, pre.answer b').length") == 0
        assert run(browser, session, "[...document.scripts].map(s => s.src)") == [server["base"] + "/static/review.js"]
        assert browser.problems() == []  # nothing even tried to run: no CSP violation either


def test_a_request_without_the_token_is_refused(server: dict[str, Any]):
    with Browser(BINARY) as browser:
        session = browser.open(server["base"] + "/q/words/why_rare")  # the address without its token
        assert run(browser, session, "document.body.innerText.trim()") == \
            "403: open the address grader review printed: it carries the token this page needs"
    with Browser(BINARY) as browser:
        session = browser.open(server["url"])
        go(browser, session, server["base"] + "/q/words/why_rare")
        group = run(browser, session, "document.querySelector('section.group').dataset.group")
        # the page's own cookie is sent, but a state change needs the token in the request itself
        status = run(browser, session, f"""fetch('/q/words/why_rare/decide', {{method: 'POST',
            body: new URLSearchParams({{group: '{group}', items: 'surprise'}})}}).then(r => r.status)""")
        assert status == 403
    assert sqlite3.connect(server["out"] / "reviews.sqlite").execute("SELECT count(*) FROM decisions").fetchone() == (0,)
    assert json.loads((server["out"] / "results" / "ann.json").read_text())["pending"] == 4
