"""Machine-readable views of the one result record, one module per format.

``junit`` (CI dashboards), ``gradescope`` (results.json) and ``github`` (annotations, step summary and
the GitHub Classroom result) each read a :class:`grader.record.GradeResult` and nothing else, so a
format can never disagree with the report a student reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.record import Check, ExerciseResult, GradeResult, QuestionResult, QuizResult, Status
from grader.spec.quiz.sheet import SHEET_FILE


@dataclass(frozen=True)
class Item:
    """One graded thing (a check of an exercise, or a question of a quiz), whatever its origin.

    Formats that list tests (JUnit, Gradescope, Classroom) walk items so exercises and quizzes are
    treated alike.
    """

    suite_id: str
    suite_title: str
    suite_index: int
    index: int
    name: str
    status: Status
    score: float
    max_score: float
    message: str
    visibility: str
    function: str | None
    file: str | None
    line: int | None
    input: str | None
    expected: object
    got: object
    misconception: str | None
    output: str
    duration: float | None
    kind: str
    note: str | None = None  # a diagnosis that names no misconception: a relation, a failing callee, ...
    cell: int | None = None  # when ``file`` is a notebook; ``line`` is then within the cell


def _from_check(ex: ExerciseResult, suite_index: int, index: int, c: Check) -> Item:
    note = c.diagnosis.get("explanation") if c.diagnosis and not c.misconception else None
    return Item(ex.id, ex.title, suite_index, index, c.name, c.status, c.score, c.max_score, c.message,
                c.visibility, c.function, c.file, c.line, c.input, c.expected, c.got, c.misconception,
                c.output, c.duration, c.kind, note, c.cell)


def _from_question(q: QuizResult, suite_index: int, index: int, qq: QuestionResult) -> Item:
    # a question's line is in the student's answer sheet
    return Item(q.id, q.title, suite_index, index, qq.id, qq.status, qq.score, qq.max_score, qq.message,
                "public", None, SHEET_FILE, qq.line, None, qq.correct_answer, qq.answer, None, "", None, "question")


def suites(result: GradeResult) -> list[tuple[str, str, str | None, list[Item]]]:
    """``(id, title, student file, items)`` for every exercise, then every quiz (file: the answer sheet)."""
    out: list[tuple[str, str, str | None, list[Item]]] = []
    for i, ex in enumerate(result.exercises):
        out.append((ex.id, ex.title, ex.file,
                    [_from_check(ex, i, j, c) for j, c in enumerate(ex.checks)]))
    offset = len(result.exercises)
    for i, q in enumerate(result.quizzes):
        out.append((q.id, q.title, SHEET_FILE,
                    [_from_question(q, offset + i, j, qq) for j, qq in enumerate(q.questions)]))
    return out


def shows_values(item: Item) -> bool:
    """Whether a view should add ``expected``/``got`` lines: for a wrong answer whose message lacks them.

    The comparison's message usually says "expected 2, got 1.38629 (off by ...)"; repeating the values
    adds noise, but for "wrong shape" messages the values are the useful part.
    """
    if item.status != Status.FAILED or item.kind == "question":
        return False
    from grader.spec.tolerance import fmt

    return fmt(item.got) not in item.message or fmt(item.expected) not in item.message


def items(result: GradeResult) -> list[Item]:
    return [item for *_, its in suites(result) for item in its]


def score_line(result: GradeResult) -> str:
    """``25/30 (83%), pass threshold 60%: passed`` — the one-line verdict every CI view repeats (in a student's
    folder: ``12.5/12.5 (100%) on the public checks alone, ...``)."""
    from grader.reports.views import score

    pct = 100.0 * result.score / result.max_score if result.max_score else 0.0
    verdict = "passed" if result.passed else "below the pass threshold"
    # a student's own check grades the public checks alone: the figure says so (views.verdict, the same rule)
    public = " on the public checks alone" if result.mode == "student" else ""
    tail = "; the grade also counts the checks not run here" if result.mode == "student" else ""
    pending = getattr(result, "pending", 0.0)
    if pending:  # the verdict is on the graded points; those awaiting review count neither way
        return (f"{score(result.score)}/{score(result.max_score)} ({pct:.0f}%){public}, {score(pending)} points "
                f"awaiting review, pass threshold {100 * result.pass_threshold:.0f}% of the "
                f"{score(result.max_score - pending)} graded: {verdict}{tail}")
    return (f"{score(result.score)}/{score(result.max_score)} ({pct:.0f}%){public}, "
            f"pass threshold {100 * result.pass_threshold:.0f}%: {verdict}{tail}")
