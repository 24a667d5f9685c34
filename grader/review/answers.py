"""The written answers of a batch, read back from its result records (``OUT/results/*.json``).

The record is the one source: the answer text, its hash and where it was read are what the batch wrote,
so the review page shows exactly what was graded, and a decision is tied to exactly that text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import InputError
from grader.spec.course import Course
from grader.spec.quiz.model import Question, Quiz

RESULTS = "results"  # grader.classroom.batch.RESULTS; the folder a batch writes one record per student into


@dataclass(frozen=True)
class Answer:
    """One student's answer to one text question."""

    student: str
    text: str
    hash: str
    words: int
    source: str


@dataclass
class QuestionAnswers:
    """A text question and every answer the batch read for it (blank answers are not here: nothing to review)."""

    quiz: Quiz
    question: Question
    answers: list[Answer] = field(default_factory=list)
    blank: list[str] = field(default_factory=list)  # students with no answer

    @property
    def key(self) -> str:
        return f"{self.quiz.id}/{self.question.id}"


def text_questions(course: Course) -> list[tuple[Quiz, Question]]:
    return [(quiz, q) for quiz in course.quizzes for q in quiz.questions if q.type == "text"]


def result_files(out: Path) -> list[Path]:
    folder = out / RESULTS
    if not folder.is_dir():
        raise InputError(f"{out} has no {RESULTS}/ folder: it is not the output of grader batch",
                         "Pass the --out folder of a grader batch run.")
    return sorted(p for p in folder.glob("*.json") if p.is_file() and not p.is_symlink())


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def collect(out: Path, course: Course, unreadable: list[str] | None = None) -> dict[str, QuestionAnswers]:
    """Every text question of the course (keyed ``quiz/question``) with its answers, in student order; the
    records that cannot be read are named in ``unreadable`` (grader batch regrades them on its next run)."""
    found = {f"{quiz.id}/{q.id}": QuestionAnswers(quiz, q) for quiz, q in text_questions(course)}
    for path in result_files(out):
        record = read_record(path)
        if record is None:
            if unreadable is not None:
                unreadable.append(path.name)
            continue
        student = str(record.get("student") or path.stem)
        for quiz in record.get("quizzes") or []:
            for qq in quiz.get("questions") or []:
                entry = found.get(f"{quiz.get('id')}/{qq.get('id')}")
                if entry is None:
                    continue
                written = qq.get("written")
                if isinstance(written, dict) and isinstance(qq.get("answer"), str):
                    entry.answers.append(Answer(student, qq["answer"], str(written.get("hash")),
                                                int(written.get("words") or 0), str(written.get("source") or "")))
                else:
                    entry.blank.append(student)
    return found
