"""Every report shows the whole grade: its rows (exercises and quizzes) add up to the total it shows.

The record is made up here, so the test needs no course: two exercises and a quiz with fractional
points, one quiz with no sheet at all, in course mode and in student mode.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest

from grader.record import Check, ExerciseResult, GradeResult, QuestionResult, QuizResult, Status
from grader.reports.formats.github import step_summary
from grader.reports.render import render

NUM = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"


def _checks(prefix: str, statuses: list[Status]) -> list[Check]:
    return [Check(name=f"{prefix}: case {i}", status=s, score=1.0 if s == Status.PASSED else 0.0, max_score=1.0,
                  message="ok" if s == Status.PASSED else "expected 2, got 1", function=prefix,
                  input=f"{prefix}([0.5, 0.5])", expected=2.0, got=2.0 if s == Status.PASSED else 1.0)
            for i, s in enumerate(statuses)]


def made_up(mode: str = "course", reveal: str = "always") -> GradeResult:
    graded = mode == "course"
    exercises = [
        ExerciseResult("alpha", "Exercise 1: alpha", "alpha.py", 2.0, 3.0,
                       _checks("alpha", [Status.PASSED, Status.PASSED, Status.FAILED])),
        ExerciseResult("beta", "Exercise 2: beta", "beta.py", 0.0, 2.0, _checks("beta", [Status.ERROR, Status.FAILED])),
    ]
    questions = [
        QuestionResult("q_right", Status.PASSED, 1.0 if graded else 0.0, 1.0 if graded else 0.0, "right", line=4,
                       answer="ln", intuition="the unit names the base"),
        QuestionResult("q_half", Status.FAILED, 0.533333 if graded else 0.0, 2.0 if graded else 0.0,
                       "two of three picks right" + (". The answer is [a, b]." if reveal == "always" else ""),
                       line=6, answer=["a"], correct_answer=["a", "b"] if reveal == "always" else None,
                       intuition="pick every one that applies"),
        QuestionResult("q_wrong", Status.FAILED, 0.0, 1.5 if graded else 0.0, "too low by 5 to 25%", line=8,
                       answer=2.1, intuition="average the surprise"),
    ]
    missing = [QuestionResult(f"n{i}", Status.ERROR, 0.0, 1.0 if graded else 0.0,
                              "not graded: quiz.yaml has no block 'second:'") for i in range(3)]
    quizzes = [QuizResult("first", "Quiz 1: ideas", round(sum(q.score for q in questions), 6),
                          sum(q.max_score for q in questions), questions, message="graded as student 'ada'"),
               QuizResult("second", "Quiz 2: more ideas", 0.0, sum(q.max_score for q in missing), missing)]
    score = round(sum(e.score for e in exercises) + sum(q.score for q in quizzes), 6)
    max_score = round(sum(e.max_score for e in exercises) + sum(q.max_score for q in quizzes), 6)
    return GradeResult(course="Made-up course", student="ada", mode=mode, score=score, max_score=max_score,
                       pass_threshold=0.6, passed=score >= 0.6 * max_score, exercises=exercises, quizzes=quizzes,
                       reveal=reveal)


def _pair(text: str) -> tuple[float, float]:
    got, of = text.split("/")
    return float(got), float(of)


def shown_text(r: GradeResult) -> tuple[list[tuple[float, float]], tuple[float, float]]:
    text = render(r, "text")
    rows = [m.group(1) for m in re.finditer(rf"^\S.*\((?:\w+\.py|quiz\.yaml)\)  ({NUM}/{NUM})$", text, re.M)]
    if r.mode == "student":  # the quizzes say "not graded here" instead of 0/0
        assert text.count("(quiz.yaml)  not graded here") == len(r.quizzes)
        rows += ["0/0"] * len(r.quizzes)
    total = re.search(rf"^Score: ({NUM}/{NUM})", text, re.M)
    assert total
    return [_pair(x) for x in rows], _pair(total.group(1))


def _md_rows(text: str) -> tuple[list[tuple[float, float]], tuple[float, float]]:
    rows, total = [], None
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 4:
            continue
        score = next((c.strip("*") for c in cells if re.fullmatch(rf"\**{NUM}/{NUM}\**", c)), None)
        if "**Total**" in cells:
            total = _pair(score)
            break  # the score table ends here; later tables list checks and questions
        elif score is not None:
            rows.append(_pair(score))
        elif "not graded here" in cells:
            rows.append((0.0, 0.0))
    assert total is not None, text
    return rows, total


def shown_md(r: GradeResult):
    return _md_rows(render(r, "md"))


def shown_ci_summary(r: GradeResult):
    return _md_rows(step_summary(r))


def shown_html(r: GradeResult):
    text = render(r, "html")
    body = text.split('<table class="overview">')[1].split("</table>")[0]
    tbody, tfoot = body.split("<tfoot>")
    rows = [unescape(x) for x in re.findall(r'<td class="points">([^<]*)</td>', tbody)]
    total = re.search(r'<td class="points total">([^<]*)</td>', tfoot)
    assert total
    return [(0.0, 0.0) if x == "not graded here" else _pair(x) for x in rows], _pair(total.group(1))


def shown_junit(r: GradeResult):
    root = ET.fromstring(render(r, "junit"))
    rows = []
    for suite in root.iter("testsuite"):
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        rows.append((float(props["score"]), float(props["max_score"])))
    return rows, (r.score, r.max_score)  # JUnit has no total of its own: the record's


def shown_gradescope(r: GradeResult):
    data = json.loads(render(r, "gradescope"))
    return [(t["score"], t["max_score"]) for t in data["tests"]], (data["score"], r.max_score)


SHOWN = {"text": shown_text, "md": shown_md, "html": shown_html, "ci-summary": shown_ci_summary,
         "junit": shown_junit, "gradescope": shown_gradescope}


@pytest.mark.parametrize("mode,reveal", [("course", "always"), ("course", "never"), ("student", "always")])
@pytest.mark.parametrize("fmt", SHOWN)
def test_shown_parts_add_up_to_the_shown_total(fmt, mode, reveal):
    r = made_up(mode, reveal)
    rows, total = SHOWN[fmt](r)
    parts = len(r.exercises) + len(r.quizzes)
    if fmt != "gradescope":
        assert len(rows) == parts, rows
    # human views show at most 2 decimals (JSON-like formats keep full precision): each shown number is off by
    # at most half a unit of its last decimal, so the parts may miss the total by that much per number shown
    slack = 0.005 * (len(rows) + 1) + 1e-9
    assert math.isclose(sum(s for s, _ in rows), total[0], abs_tol=slack), (rows, total)
    assert math.isclose(sum(m for _, m in rows), total[1], abs_tol=slack), (rows, total)
    assert math.isclose(total[0], r.score, abs_tol=0.005 + 1e-9) and math.isclose(total[1], r.max_score, abs_tol=0.005 + 1e-9)


@pytest.mark.parametrize("fmt", ["text", "md", "html", "ci-summary"])
def test_human_reports_show_each_question_outcome_and_feedback(fmt):
    r = made_up()
    text = step_summary(r) if fmt == "ci-summary" else render(r, fmt)
    text = unescape(text)
    for words in ("Quiz 1: ideas", "q_half", "two of three picks right", "q_wrong", "too low by 5 to 25%"):
        assert words in text, words
    if fmt != "ci-summary":  # the summary lists failures; the reports also say why
        assert "average the surprise" in text
    # a quiz with no answers at all is one line, not one per question
    assert text.count("not graded: quiz.yaml has no block 'second:'") == 1


@pytest.mark.parametrize("fmt", ["text", "md", "html", "ci-summary", "junit"])
def test_reports_follow_the_reveal_policy(fmt):
    def show(reveal: str) -> str:
        r = made_up(reveal=reveal)
        return unescape(step_summary(r) if fmt == "ci-summary" else render(r, fmt))

    assert "The answer is [a, b]" in show("always")
    hidden = show("never")
    assert "The answer is" not in hidden and "[a, b]" not in hidden
