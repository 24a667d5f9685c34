"""Helpers for the quiz tests: the bundled course, sheets filled with chosen answers, graded in-process."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from grader.course import Course, load_course
from grader.quiz.grading import grade_quizzes
from grader.quiz.model import Quiz
from grader.quiz.sheet import SHEET_FILE, build_sheet
from grader.quiz.variants import expected, variant
from grader.record import QuestionResult, QuizResult

ROOT = Path(__file__).resolve().parent.parent


@cache
def course() -> Course:
    return load_course(ROOT)


def quiz() -> Quiz:
    return course().quizzes[0]


def answer_of(qid: str, student: str) -> float:
    """The expected numeric answer of ``qid`` for ``student``."""
    q = quiz().question(qid)
    assert q is not None
    return expected(quiz(), variant(quiz(), q, student))


def fill(sheet: str, answers: dict[str, str]) -> str:
    """Write each answer after its question id (the raw YAML text after the colon)."""
    for qid, text in answers.items():
        sheet, n = re.subn(rf"^  {qid}:$", lambda _m, q=qid, t=text: f"  {q}: {t}", sheet, flags=re.M)
        assert n == 1, qid
    return sheet


def write_sheet(folder: Path, student: str, answers: dict[str, str] | None = None, *,
                built_for: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = build_sheet(course().quizzes, course().title, built_for or student)
    path = folder / SHEET_FILE
    path.write_text(fill(text, answers or {}), "utf-8")
    return path


def grade(folder: Path, student: str | None = None, *, reveal: str = "always", due: Any = None,
          now: datetime | None = None, quizzes: tuple[Quiz, ...] | None = None) -> QuizResult:
    results, error = grade_quizzes(quizzes or course().quizzes, folder, student=student, reveal=reveal, due=due,
                                   now=now)
    assert error is None, error
    assert len(results) == 1
    return results[0]


def question(result: QuizResult, qid: str) -> QuestionResult:
    return next(q for q in result.questions if q.id == qid)


def line_of(path: Path, qid: str) -> int:
    lines = path.read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(f"  {qid}:"))
