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


PROPERTY = "property: H(P, Q) = H(P) + KL(P‖Q)"
META_P = {**META, "checks": [["a", "a: one", 1.0], ["b", PROPERTY, 0.0], ["q", "q1", 1.0], ["q", "q2", 1.0]]}


def _with_property(student: str, filed_under: str, status: Status, answers: tuple[str | None, str | None]):
    """A result whose property is filed under ``filed_under`` (judge.grade blames it on an exercise per student)."""
    prop = Check(PROPERTY, status, 0.0, 0.0, "", kind="invariant")
    a = [Check("a: one", Status.PASSED, 1.0, 1.0, "ok", function="a")] + ([prop] if filed_under == "a" else [])
    b = [prop] if filed_under == "b" else []
    questions = [QuestionResult(qid, Status.PASSED if ans == "log2" else Status.FAILED, 0.0, 1.0,
                                "right" if ans == "log2" else ("quiz.yaml:3: no answer yet" if ans is None else "wrong"),
                                answer=ans) for qid, ans in zip(("q1", "q2"), answers, strict=True)]
    return GradeResult("Made-up", student, "course", 1.0, 4.0, 0.5, False,
                       [ExerciseResult("a", "A", "a.py", 1.0, 1.0, a), ExerciseResult("b", "B", "b.py", 0.0, 1.0, b)],
                       [QuizResult("q", "Q", 0.0, 2.0, questions)])


def test_a_property_filed_under_different_exercises_counts_once_per_student_in_its_own_section():
    summary = Summary(META_P)
    summary.add(make_row(_with_property("ann", "a", Status.FAILED, ("log2", "ln")), META_P))
    summary.add(make_row(_with_property("bob", "b", Status.PASSED, ("ln", None)), META_P))
    summary.add(make_row(_with_property("cy", "b", Status.FAILED, ("Ln", "log10")), META_P))
    ctx = summary.context(RUN)
    assert [(c.name, c.passed, c.failed, c.error) for c in ctx["advisory"]] == [(PROPERTY, 1, 2, 0)]  # 3 of 3
    assert PROPERTY not in [c.name for c in ctx["checks"]]  # not among the graded checks, hardest first
    html = render_summary(summary, RUN)
    assert html.index("Properties on random inputs (advisory, no points)") > html.index("Checks, hardest first")


def test_quiz_statistics_per_question_answered_right_and_the_most_common_wrong_answer():
    summary = Summary(META_P)
    summary.add(make_row(_with_property("ann", "a", Status.PASSED, ("log2", "ln")), META_P))
    summary.add(make_row(_with_property("bob", "a", Status.PASSED, ("ln", None)), META_P))
    summary.add(make_row(_with_property("cy", "a", Status.PASSED, ("Ln", "log10")), META_P))
    assert summary.context(RUN)["quiz_stats"] == [
        {"quiz": "q", "question": "q1", "graded": 3, "answered": 3, "right": 1, "common_wrong": "ln",
         "common_wrong_count": 2},
        {"quiz": "q", "question": "q2", "graded": 3, "answered": 2, "right": 0, "common_wrong": "ln",
         "common_wrong_count": 1},
    ]
    assert "<td>q1</td><td class=\"num\">3 of 3</td><td class=\"num\">1</td><td>ln <span class=\"muted\">(2 students)" \
        in render_summary(summary, RUN)


def test_the_header_shows_the_course_hash_the_reports_footers_show():
    summary = Summary(META)
    summary.add(make_row(_result("ann", True), META))
    env = {"grader": "0.1.0", "course_hash": "0123456789abcdef", "python": "3.11", "numpy": "2",
           "platform": "Linux", "seed_scheme": "v1"}
    html = render_summary(summary, [{**RUN[0], "environment": env}])
    assert "1 submission graded against course 0123456789abcdef ·" in html
    assert "Graded by infotheory-grader 0.1.0 · course 0123456789abcdef ·" in html
    assert "course x" not in html  # the spec hash, which no report shows
