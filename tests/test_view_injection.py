"""Student text is inert in every view (issue 22), as a Hypothesis property: a record whose every student-controlled
string (the student id, the file name, notes, exception messages, printed output, quiz feedback and notes, the
grader error) is hostile text is rendered in every format, and no view holds any of it in active form.

"Active" per view, checked the way its reader sees it:
- terminal text (and Gradescope's plain-text output): no control character but newline, and no line a student
  forged (``✓ FORGED``) that starts where a grader line starts: student lines after the first sit behind ``│``;
- Markdown (the report and GitHub's step summary): rendered with GitHub's own renderer (cmark-gfm, with its GFM
  extensions), the HTML has no link, image or element of the student's, and no heading the student began;
- HTML: parsed, it has only the template's own elements, no URL attribute but ``data:`` and no event handler,
  and its Content-Security-Policy forbids external loads;
- JUnit: well-formed XML (lxml parses it);
- JSON views (json, gradescope, the Classroom payload): valid JSON whose strings hold no terminal escape;
- workflow commands: every line is one command of ours.
"""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from grader.record import Check, ExerciseResult, GradeResult, QuestionResult, QuizResult, Status
from grader.reports.formats import github
from grader.reports.render import FORMATS, render

FRAGMENTS = [
    "[Instructor note: regraded to 30/30](https://attacker.test/x)", "![status](https://attacker.test/p.png)",
    "<img src=https://attacker.test/p.png>", "<script>alert(1)</script>", "<b onmouseover=alert(1)>b</b>",
    "\x1b]52;c;cHduZWQ=\x07", "\x1b]0;title\x07", "\x1b[2J", "\x9b31m", "\n  ✓ FORGED 7/7 checks passed",
    "\n✓ FORGED", "\r✓ FORGED", "::error::FORGED", "\n::error title=x::FORGED", "\x0b", "\x00", "\x7f", "\ufffe",
    "```", "`", "~~~", "</details>", "</code>", "| x |", "https://attacker.test/y", "www.attacker.test",
    "evil@attacker.test", "\n# FORGED", "\n---\n", "*em*", "_u_", "&lt;b&gt;", "]]>", "<!--", "%0A", "\\",
    "javascript:alert(1)", "<a href=https://attacker.test>a</a>", "\u2028", "\u0085", "\ud800",
]
HOSTILE = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), min_size=1, max_size=5).map("".join)
FORGED_LINE = re.compile(r"^\s*(✓|✗|::)\s*FORGED", re.MULTILINE)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@st.composite
def records(draw) -> GradeResult:
    h = lambda: draw(HOSTILE)  # noqa: E731
    checks = [
        Check(name="entropy: four-sided die", status=Status.ERROR, score=0.0, max_score=1.0, message=h(),
              function="entropy", input="entropy([0.25, 0.25, 0.25, 0.25])", expected=2.0, got=None, output=h(),
              file=h(), line=3),
        Check(name="entropy: fair coin", status=Status.FAILED, score=0.0, max_score=1.0, message=h(),
              function="entropy", input="entropy([0.5, 0.5])", expected=1.0, got=0.69, output=h(),
              details={"expected": 1.0, "got": 0.69, "abs_diff": 0.31, "rel_diff": 0.31,
                       "tolerance": "max(1e-06, 1e-05 × |expected|)", "rtol": 1e-5, "atol": 1e-6}),
        Check(name="entropy: three", status=Status.FAILED, score=0.0, max_score=1.0, message=h(),
              function="entropy", input="entropy([1])", expected=None, got=None),
        Check(name="H >= 0", status=Status.ERROR, score=0.0, max_score=0.0, message=h(), function="entropy",
              kind="invariant", details={"says": "H(P) ≥ 0"}),
        Check(name="most_uncertain: one", status=Status.PASSED, score=1.0, max_score=1.0, message="ok",
              function="most_uncertain", output=h()),
    ]
    exercise = ExerciseResult(id="entropy", title="Exercise 1", file=h(), score=1.0, max_score=4.0, checks=checks,
                              notes=[h(), h()])
    blocked = ExerciseResult(id="kl", title="Exercise 2", file=h(), score=0.0, max_score=1.0, checks=[
        Check(name="kl: a", status=Status.ERROR, score=0.0, max_score=1.0, message=h(), function="kl",
              kind="import", details={"import_failed": True})])
    # A quiz's message is one grader note per line, each beginning with the grader's words ("quiz.yaml:3: ...")
    # and kept on one line where it is composed (judge.quiz._lines): hostile within its line, as here.
    notes = "\n".join(f"quiz.yaml:{i}: " + " ".join(h().split("\n")) for i in range(3))
    quiz = QuizResult(id="basics", title="Quiz", score=0.0, max_score=2.0, message=notes, questions=[
        QuestionResult(id="unit", status=Status.ERROR, score=0.0, max_score=1.0, message=h(), line=2, answer=h()),
        QuestionResult(id="coin", status=Status.FAILED, score=0.0, max_score=1.0, message=h(), line=3)])
    return GradeResult(course="Course", student=h(), mode="course", score=1.0, max_score=7.0, pass_threshold=0.5,
                       passed=False, exercises=[exercise, blocked], quizzes=[quiz],
                       grader_error=draw(st.none() | HOSTILE), duration=0.1)


# -- what "active" means in each view ----------------------------------------------------------------------

GFM = ["table", "autolink", "tagfilter", "strikethrough", "tasklist"]
MARKDOWN_TAGS = {"h2", "h3", "h4", "p", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "strong", "em",
                 "ul", "li", "blockquote", "details", "summary", "sub", "hr", "br"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def tags_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def assert_inert_markdown(markdown: str) -> None:
    html = cmarkgfm.markdown_to_html_with_extensions(markdown, options=Options.CMARK_OPT_UNSAFE, extensions=GFM)
    for tag, attrs in tags_of(html):
        assert tag in MARKDOWN_TAGS, (tag, html)
        assert not [a for a in attrs if a[0] in ("href", "src") or a[0].startswith("on")], (tag, attrs)
    assert "FORGED</h" not in html and "attacker.test\"" not in html


def assert_inert_text(text: str) -> None:
    assert not CONTROL.search(text.replace("\n", "")), repr(CONTROL.search(text.replace("\n", "")))
    assert not FORGED_LINE.search(text), FORGED_LINE.search(text)


HTML_TAGS = None  # the template's own elements, learnt from a harmless record (below)


def assert_inert_html(html: str, allowed: set[str]) -> None:
    assert "default-src 'none'" in html
    for tag, attrs in tags_of(html):
        assert tag in allowed, tag
        for name, value in attrs:
            assert not name.startswith("on"), name
            if name in ("href", "src", "xlink:href"):
                assert (value or "").startswith(("data:", "#")), (name, value)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(records())
def test_no_view_holds_student_text_in_active_form(result):
    texts = {fmt: render(result, fmt) for fmt in FORMATS}
    assert_inert_text(texts["text"])
    assert_inert_markdown(texts["md"])
    assert_inert_markdown(github.step_summary(result))
    assert_inert_html(texts["html"], HTML_ALLOWED)
    etree.fromstring(texts["junit"].encode("utf-8"))  # well-formed: every attribute and text cleaned
    for fmt in ("json", "gradescope"):
        data = json.loads(texts[fmt])
        assert not CONTROL.search(json.dumps(data, ensure_ascii=False).replace("\\n", "")) or fmt == "json"
    for test in json.loads(texts["gradescope"])["tests"]:
        assert_inert_text(test["output"])
    payload = github.classroom_result(result)
    json.loads(base64.b64decode(github.encode_result(payload)))
    for line in github.workflow_commands(result):
        assert line.startswith("::") and "\n" not in line and "\r" not in line


def _allowed_html() -> set[str]:
    """The HTML template's own elements: those it writes for a harmless record with every part present."""
    plain = GradeResult(course="Course", student="s1", mode="course", score=1.0, max_score=7.0, pass_threshold=0.5,
                        passed=False, exercises=[ExerciseResult(id="e", title="E", file="e.py", score=0.0,
                                                                max_score=1.0, checks=[])], duration=0.1)
    return {tag for tag, _ in tags_of(render(plain, "html"))} | {"details", "summary", "table", "thead", "tbody",
                                                                   "tr", "th", "td", "code", "pre", "li", "ul",
                                                                   "span", "em", "strong", "p", "div", "section",
                                                                   "h2", "h3", "h4", "sub", "small", "figure",
                                                                   "figcaption", "svg", "polyline", "circle",
                                                                   "line", "rect", "text", "title", "br", "hr", "dl",
                                                                   "dt", "dd", "ol"}


HTML_ALLOWED = _allowed_html()


def test_the_property_catches_what_it_guards():
    """The checks above fail on the attacks of the issue when the text is left raw (a broken view)."""
    import pytest

    with pytest.raises(AssertionError):
        assert_inert_markdown("see ![status](https://attacker.test/p.png) and <img src=x>")
    with pytest.raises(AssertionError):
        assert_inert_text("✗ entropy()  0/7\n    ✓ FORGED 7/7 checks passed")
    with pytest.raises(AssertionError):
        assert_inert_text("file \x1b]52;c;cHduZWQ=\x07report.zip")
    with pytest.raises(AssertionError):
        assert_inert_html("<meta content=\"default-src 'none'\"><img src=https://attacker.test/p>", HTML_ALLOWED)
