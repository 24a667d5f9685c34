"""Helpers for the quiz tests: the bundled course, sheets filled with chosen answers, graded in-process."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from grader.judge.quiz import grade_quizzes
from grader.record import QuestionResult, QuizResult
from grader.spec.course import Course, load_course
from grader.spec.quiz.model import Quiz
from grader.spec.quiz.sheet import SHEET_FILE, build_sheet
from grader.spec.quiz.variants import expected, variant

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one


@cache
def course() -> Course:
    return load_course(COURSE)


def quiz() -> Quiz:
    return course().quizzes[0]


def answer_of(qid: str, student: str) -> float:
    """The expected numeric answer of ``qid`` for ``student``."""
    q = quiz().question(qid)
    assert q is not None
    return expected(quiz(), variant(quiz(), q, student))


def right_answers(student: str) -> dict[str, str]:
    """Every question of the course's quiz answered right, with ``student``'s own numbers."""
    return {
        "log_units": "ln", "terms": "[bit, logits, softmax, entropy, cross]", "surprise_certain": "false",
        "surprise_values": "[half, quarter, halving]", "surprise_rare": "6.644", "fair_die": "2.585 bits",
        "coin_entropy": f"{answer_of('coin_entropy', student):.3f}", "most_uncertain": "d1",
        "why_uniform": "No outcome is more likely than another, so a guess has nothing to lean on.",
        "kl_symmetric": "no", "kl_reverse": f"{answer_of('kl_reverse', student):.4f}",
        "ce_decomposition": f"{answer_of('ce_decomposition', student):.3f}", "ce_below_entropy": "False",
        "perplexity": f"{answer_of('perplexity', student):.2f}", "perplexity_meaning": "spread",
        "nats_to_bits": f"{answer_of('nats_to_bits', student):.3f}", "kl_in_training": "[vae, distill, rlhf]",
    }


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
    """Grade the sheet in ``folder`` as ``student``; by default as the student it was written for, as the caller
    (--student, the export) names them: the grader itself never takes the id from the sheet."""
    if student is None:
        from grader.spec.quiz.sheet import sheet_student

        student = sheet_student(folder)
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
