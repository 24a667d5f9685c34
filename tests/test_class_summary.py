"""The class summary reads like a summary: a missing quiz sheet is one line, misconception ids per exercise."""

from __future__ import annotations

from grader.classroom.batch import make_row
from grader.classroom.summary import Summary, render_summary
from grader.record import Check, ExerciseResult, GradeResult, QuestionResult, QuizResult, Status

META = {"course": "Made-up", "spec_hash": "x", "mode": "course", "pass_threshold": 0.5, "max_score": 4.0,
        "items": [{"id": "a", "title": "A", "kind": "exercise", "max_score": 1.0},
                  {"id": "b", "title": "B", "kind": "exercise", "max_score": 1.0},
                  {"id": "q", "title": "Q", "kind": "quiz", "max_score": 2.0}],
        "checks": [["a", "a: one", 1.0], ["b", "b: one", 1.0], ["q", "q1", 1.0], ["q", "q2", 1.0]]}
RUN = [{"shard": None, "started": "now", "jobs": 1, "students": 3, "graded": 3, "skipped": 0, "wall_seconds": 1.0}]


def _result(student: str, sheet: bool) -> GradeResult:
    def check(ex: str) -> Check:
        return Check(f"{ex}: one", Status.FAILED, 0.0, 1.0, "expected 2, got 1.38", misconception="natural-log",
                     function=ex)

    if sheet:
        questions = [QuestionResult("q1", Status.PASSED, 1.0, 1.0, "right"),
                     QuestionResult("q2", Status.FAILED, 0.0, 1.0, "wrong")]
    else:
        why = "not graded: quiz.yaml is missing from the submission; ask for your sheet"
        questions = [QuestionResult(q, Status.ERROR, 0.0, 1.0, why) for q in ("q1", "q2")]
    return GradeResult("Made-up", student, "course", 1.0 if sheet else 0.0, 4.0, 0.5, False,
                       [ExerciseResult("a", "A", "a.py", 0.0, 1.0, [check("a")]),
                        ExerciseResult("b", "B", "b.py", 0.0, 1.0, [check("b")])],
                       [QuizResult("q", "Q", 1.0 if sheet else 0.0, 2.0, questions)])


def test_a_missing_sheet_is_one_line_and_ids_count_per_exercise():
    summary = Summary(META)
    for student, sheet in (("ann", False), ("bob", False), ("cy", True)):
        summary.add(make_row(_result(student, sheet), META))
    ctx = summary.context(RUN)
    assert ctx["no_sheet"] == [{"quiz": "q", "missing": 2, "unusable": 0}]
    tallies = {c.name: (c.passed, c.failed, c.error) for c in ctx["checks"]}
    assert tallies["q1"] == (1, 0, 0) and tallies["q2"] == (0, 1, 0)  # only the student with a sheet counts
    assert [(m["exercise"], m["id"], m["count"]) for m in ctx["misconceptions"]] == [
        ("a", "natural-log", 3), ("b", "natural-log", 3)]
    html = render_summary(summary, RUN)
    assert "quiz q: no sheet from 2 students (not counted below)" in html
    assert html.count("<td>natural-log</td>") == 2


def test_no_sheet_from_anyone_leaves_no_question_rows():
    summary = Summary(META)
    for student in ("ann", "bob"):
        summary.add(make_row(_result(student, False), META))
    ctx = summary.context(RUN)
    assert [c.name for c in ctx["checks"]] == ["a: one", "b: one"]
