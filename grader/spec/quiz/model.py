"""The quiz model: frozen dataclasses built from a validated quiz file (or from the public bundle).

A quiz loaded from the course repository knows its answers; one rebuilt from a student folder's
bundle does not (``Quiz.public``), so it can check that answers are readable but cannot grade them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from grader.spec.tolerance import Tolerance

QUESTION_TYPES = ("single", "multiple", "true_false", "numeric", "text")
#: Human answers are rounded: half a percent, or 0.01 absolute, whichever is larger.
DEFAULT_TOLERANCE: dict[str, Any] = {"rtol": 0.005, "atol": 0.01}
#: How many nats one of each unit is; a question's unit is bits, nats or none.
NATS_PER = {"bits": math.log(2), "nats": 1.0, "hartleys": math.log(10)}
LOG_OF = {"bits": "log2", "nats": "ln", "hartleys": "log10"}


@dataclass(frozen=True)
class Choice:
    """One option of a choice question."""

    id: str
    text: str
    correct: bool = False
    why: str = ""


@dataclass(frozen=True)
class Param:
    """A number drawn per student: on a decimal grid in [low, high], an integer, or one of ``values``."""

    name: str
    kind: str  # uniform | integer | choice
    low: float = 0.0
    high: float = 0.0
    decimals: int = 2
    values: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Computed:
    """A number: a literal ``value``, or ``function`` of the reference called with keyword ``args``."""

    value: float | None = None
    function: str | None = None
    args: dict[str, Any] | None = None  # None: every parameter, by name
    line: int = 0
    column: int = 1


@dataclass(frozen=True)
class Misconception:
    """A wrong numeric answer a quiz recognises, and what it says about it."""

    answer: Computed
    why: str


@dataclass(frozen=True)
class RubricItem:
    """One line of a text question's rubric: ticked by a reviewer, never seen by the student."""

    id: str
    points: float  # negative: a deduction
    description: str
    suggest: tuple[str, ...] = ()  # words that pre-mark the item on the review page (a hint, never a grade)


@dataclass(frozen=True)
class Question:
    """One quiz question as the author wrote it: its type, points, answer and feedback."""

    id: str
    type: str
    points: float
    text: str
    intuition: str = ""
    line: int = 0
    choices: tuple[Choice, ...] = ()
    shuffle: bool = True
    penalty: float | None = None
    truth: bool | None = None  # true_false
    answer: Computed | None = None  # numeric
    pinned: float | None = None
    unit: str = "none"
    accepts: tuple[str, ...] = ()  # units an answer may be written in (converted); () any of NATS_PER
    tolerance: Tolerance = field(default_factory=lambda: Tolerance(**DEFAULT_TOLERANCE))
    wrong_unit_credit: float = 0.0
    params: tuple[Param, ...] = ()
    misconceptions: tuple[Misconception, ...] = ()
    rubric: tuple[RubricItem, ...] = ()  # text
    min_words: int | None = None
    max_words: int | None = None
    model_answer: str = ""

    @property
    def correct_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.choices if c.correct)

    @property
    def wrong_pick_penalty(self) -> float:
        """multiple: fraction lost per wrong pick; by default picking every choice scores 0."""
        if self.penalty is not None:
            return self.penalty
        wrong = len(self.choices) - len(self.correct_ids)
        return 1.0 / wrong if wrong else 0.0


@dataclass(frozen=True)
class Quiz:
    """A quiz file: its questions and points."""

    id: str
    title: str
    points: float
    questions: tuple[Question, ...]
    course_key: str  # the course part of every seed: "course|quiz|question|student"
    intuition: str = ""
    reference: Path | None = None
    display: str = ""  # the quiz file as the author sees it, for messages
    public: bool = False  # rebuilt from a student bundle: no answers, no feedback

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)


def parse_due(due: Any) -> datetime:
    """An ISO 8601 date or date-time; without a time zone it is read as UTC."""
    if isinstance(due, datetime):
        when = due
    elif isinstance(due, date):
        when = datetime(due.year, due.month, due.day)
    else:
        text = str(due).strip()
        when = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def reveal_answers(reveal: str, due: Any, now: datetime | None = None) -> bool:
    """The course's policy: ``always``, ``never``, or ``after_due`` (once ``now`` has passed ``due``)."""
    if reveal == "always":
        return True
    if reveal == "never" or due is None:
        return False
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now >= parse_due(due)
