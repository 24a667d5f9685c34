"""The quiz as the student bundle carries it: what is needed to read a sheet, and nothing that grades it.

No correct flags, no numeric answers, no rubric or model answer, no reference, no feedback text (a choice's ``why`` would give
the answer away): ``.grader/public.json`` is in the student's hands.
"""

from __future__ import annotations

from typing import Any

from grader.spec.quiz.model import Choice, Question, Quiz


def public_quiz(quiz: Quiz) -> dict[str, Any]:
    return {
        "id": quiz.id, "title": quiz.title, "points": quiz.points,
        "questions": [
            {"id": q.id, "type": q.type, "points": q.points, "unit": q.unit,
             # sorted by id, so the author's order (often the right answer first) is not shown either
             "choices": [{"id": c.id, "text": c.text} for c in sorted(q.choices, key=lambda c: c.id)],
             # text: the word limits a student may check; never the rubric
             **({"min_words": q.min_words, "max_words": q.max_words} if q.type == "text" else {})}
            for q in quiz.questions
        ],
    }


def quiz_from_public(data: dict[str, Any], course_key: str) -> Quiz:
    """Raises KeyError, TypeError or ValueError on a damaged bundle (the caller reports it)."""
    questions = tuple(
        Question(id=q["id"], type=q["type"], points=float(q["points"]), text="", unit=q["unit"],
                 choices=tuple(Choice(c["id"], c["text"]) for c in q["choices"]), shuffle=False,
                 min_words=q.get("min_words"), max_words=q.get("max_words"))
        for q in data["questions"]
    )
    return Quiz(id=data["id"], title=data["title"], points=float(data["points"]), questions=questions,
                course_key=course_key, public=True)
