"""Written answers (``type: text``): read, counted, and left for the instructor's review.

The grader never scores words: a text question is ``pending`` until a person applies the rubric
(``grader review``). What it does here is make sure the answer was read (the sheet's YAML block, or a
notebook's Markdown cell tagged with the question's id), count its words against the question's limits,
and fingerprint it, so a review decision stays attached to exactly the text it judged. The rubric is
never put in the record a student sees.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from grader.record import QuestionResult, Status
from grader.spec.quiz.model import Question, Quiz
from grader.spec.quiz.sheet import words_asked

#: Characters of a written answer kept in the record (and so on the review page); the rest is cut.
MAX_TEXT = 8000


def normalise_text(text: str) -> str:
    """What makes two answers "the same": Unicode NFKC, case folded, runs of spacing made one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def answer_hash(text: str) -> str:
    """The key a review decision is kept under: SHA-256 of the normalised answer (16 hex digits)."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()[:16]


def count_words(text: str) -> int:
    return len(text.split())


def clip(text: str) -> str:
    text = text.strip("\n")
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


@dataclass(frozen=True)
class CellAnswer:
    """A Markdown cell tagged with a question's id."""

    text: str
    where: str  # "course.ipynb, cell 7"


def notebook_answers(submission: Path, quizzes: tuple[Quiz, ...]) -> tuple[dict[str, CellAnswer], list[str]]:
    """Markdown cells tagged with a text question's id, in the submission's notebooks; and notes about
    notebooks that cannot be read or ids tagged twice (the first cell wins)."""
    from grader.sandbox.notebook import NotebookError, notebook_files, read_notebook

    wanted = {q.id for quiz in quizzes for q in quiz.questions if q.type == "text"}
    found: dict[str, CellAnswer] = {}
    notes: list[str] = []
    if not wanted:
        return found, notes
    for name, path in notebook_files(submission):
        try:
            nb = read_notebook(path)
        except NotebookError:
            continue  # the exercise that grades this notebook says why; a quiz note would repeat it
        for number, kind, source, tags in nb.cells:
            if kind != "markdown":
                continue
            for qid in sorted(tags & wanted):
                where = f"{name}, cell {number}"
                if qid in found:
                    notes.append(f"{where}: is tagged {qid} too; the answer in {found[qid].where} is the one read")
                    continue
                found[qid] = CellAnswer(source, where)
    return found, notes


def limits_note(q: Question, words: int) -> str:
    """Whether the answer's length is within what the question asks; empty when it is."""
    if q.min_words and words < q.min_words:
        return f"shorter than the {q.min_words} words asked for"
    if q.max_words and words > q.max_words:
        return f"longer than the {q.max_words} words asked for"
    return ""


def pending_message(q: Question, words: int, source: str) -> str:
    """What every view says of a written answer no one has reviewed yet."""
    limits = limits_note(q, words)
    return (f"awaiting review: {words} word{'s' if words != 1 else ''} read from {source}"
            + (f", {limits}" if limits else "") + "; graded by the instructor")


def written_result(q: Question, text: str, source: str, line: int | None, *, graded: bool,
                   reveal: bool) -> QuestionResult:
    """The record of a written answer: pending its review in course mode; in a student folder, read and counted
    (an answer outside the word limits is a failure there, so the student can fix it before handing in)."""
    words = count_words(text)
    limits = limits_note(q, words)
    counted = f"{words} word{'s' if words != 1 else ''}"
    asked = words_asked(q).lstrip(", ")
    result = QuestionResult(id=q.id, status=Status.PENDING, score=0.0, max_score=q.points if graded else 0.0,
                            message="", line=line, answer=clip(text),
                            written={"words": words, "hash": answer_hash(text), "source": source, "review": None})
    if not graded:
        result.status = Status.FAILED if limits else Status.PASSED
        result.message = (f"read from {source}: {counted}" + (f" ({asked})" if asked else "")
                          + (f", {limits}; " if limits else "; ") + "graded by your instructor")
        return result
    result.pending = q.points
    result.message = pending_message(q, words, source)
    if reveal and q.model_answer:
        result.correct_answer = q.model_answer
    return result
