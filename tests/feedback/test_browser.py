"""The HTML report in a real browser: headless Chromium opens it offline, logs no error, and shows the plot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cdp import Browser, chromium

from grader.reports.render import render

BINARY = chromium()
# A screenshot of the plot, for a person to look at: in the test's temporary folder, or where GRADER_SCREENSHOTS
# says (CI can upload that folder as an artifact); never in the repository.
SHOTS = os.environ.get("GRADER_SCREENSHOTS")

PLOT_STATE = """(() => {
  const fig = document.querySelector('figure.plot');
  fig.scrollIntoView({block: 'center'});
  const svg = fig.querySelector('svg');
  const box = svg.getBoundingClientRect();
  const style = getComputedStyle(svg);
  const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  const lines = cls => [...svg.querySelectorAll('polyline.' + cls)].map(p => p.getBBox()).filter(b => b.width > 0);
  return {x: box.x + scrollX, y: box.y + scrollY, width: box.width, height: box.height,
          visible: style.visibility === 'visible' && style.display !== 'none' && Number(style.opacity) > 0,
          onTop: svg.contains(hit), inView: box.top >= 0 && box.bottom <= innerHeight,
          reference: lines('ref').length, yours: lines('got').length,
          title: document.title, external: performance.getEntriesByType('resource').length};
})()"""


@pytest.mark.skipif(BINARY is None, reason="chromium is not installed (.ci/run installs Debian's package)")
def test_report_opens_cleanly_and_the_plot_is_visible(grade, tmp_path):
    page = tmp_path / "mistake-kl-swapped.html"
    page.write_text(render(grade("mistake-kl-swapped"), "html"), encoding="utf-8")
    with Browser(BINARY) as browser:
        session = browser.open(page.as_uri())
        state = browser.evaluate(session, PLOT_STATE)
        shots = Path(SHOTS) if SHOTS else tmp_path / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        shot = shots / "kl_sweep_plot.png"
        browser.screenshot(session, shot, {k: state[k] for k in ("x", "y", "width", "height")})
        problems = browser.problems()
    assert problems == []
    assert state["external"] == 0, "the page must load nothing"
    assert state["title"].startswith("mistake-kl-swapped · Fundamentals of Information Theory")
    assert state["width"] >= 300 and state["height"] >= 150
    assert state["visible"] and state["onTop"] and state["inView"]
    assert state["reference"] >= 1 and state["yours"] >= 1
    assert shot.stat().st_size > 5000  # a drawn plot, not a blank rectangle
