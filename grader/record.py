"""The one result record. Every output format (text, Markdown, HTML, JSON, JUnit, Gradescope...) is a view of it.

Statuses keep a student's failure apart from a grader crash: ``failed`` is a wrong answer, ``error``
is student code that crashed, timed out or returned the wrong type, and a grader crash sets
``grader_error`` on the whole result instead of blaming the student.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum
from typing import Any

RESULT_VERSION = 1


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    PENDING = "pending"  # a written answer awaiting the instructor's review: neither won nor lost yet

    def __str__(self) -> str:
        return self.value


@dataclass
class Check:
    """One case, invariant or question line of a report: what ran, what came back, and why it scored so."""

    name: str
    status: Status
    score: float
    max_score: float
    message: str
    misconception: str | None = None
    function: str | None = None
    visibility: str = "public"
    kind: str = "case"  # case | invariant | import
    input: str | None = None
    expected: Any = None
    got: Any = None
    details: dict[str, Any] = field(default_factory=dict)
    output: str = ""
    file: str | None = None
    line: int | None = None  # in a notebook: the line within ``cell``
    duration: float | None = None
    diagnosis: dict[str, Any] | None = None
    intuition: str | None = None
    cell: int | None = None  # when ``file`` is a notebook: its cell, counted from 1 at the top


def location(file: str | None, line: int | None, cell: int | None = None) -> str:
    """Where a check points, as every view writes it: ``entropy.py:12`` or ``entropy.ipynb, cell 3, line 2``."""
    if not file:
        return ""
    if cell is not None:
        return f"{file}, cell {cell}" + (f", line {line}" if line else "")
    return f"{file}:{line}" if line else file


@dataclass
class ExerciseResult:
    """One exercise's checks and score, with the lesson's intuition for its report."""

    id: str
    title: str
    file: str
    score: float
    max_score: float
    checks: list[Check]
    intuition: str = ""
    notes: list[str] = field(default_factory=list)  # how the graded file was read (which file, magics removed...)


@dataclass
class QuestionResult:
    """One quiz question's answer, verdict and feedback."""

    id: str
    status: Status
    score: float
    max_score: float
    message: str
    line: int | None = None
    answer: Any = None
    correct_answer: Any = None
    intuition: str | None = None
    pending: float = 0.0  # points awaiting review (a text question): counted neither as won nor as lost
    written: dict[str, Any] | None = None  # text: words, hash, where it was read, and the review once decided


def passes(score: float, max_score: float, pending: float, threshold: float) -> bool:
    """The pass verdict on what is graded so far: points awaiting review are left out of the maximum, so a
    class whose written answers are not reviewed yet is never failed for them (grader ci, Classroom)."""
    graded = max_score - pending
    return graded > 0 and score >= threshold * graded


@dataclass
class QuizResult:
    """One quiz sheet's questions and score."""

    id: str
    title: str
    score: float
    max_score: float
    questions: list[QuestionResult]
    message: str = ""
    pending: float = 0.0  # points of its questions awaiting review


@dataclass
class Environment:
    """What graded a result (see grader.spec.provenance). The sandbox's confinement layers are not here: they
    are the record's own ``confinement`` field, written by the sandbox work."""

    grader: str  # the grader's version
    course_hash: str  # SHA-256 (16 hex) of the course spec, reference code, quiz files and report templates
    python: str
    numpy: str
    platform: str
    seed_scheme: str


@dataclass
class GradeResult:
    """The versioned result record of one submission: every output format is rendered from it."""

    course: str
    student: str | None
    mode: str  # course (reference and hidden cases) | student (public cases only)
    score: float
    max_score: float
    pass_threshold: float
    passed: bool
    exercises: list[ExerciseResult]
    quizzes: list[QuizResult] = field(default_factory=list)
    grader_error: str | None = None
    duration: float = 0.0
    version: int = RESULT_VERSION
    reveal: str = "always"  # course.yaml's policy for hidden checks (always | never | after_due), for views
    environment: Environment | None = None  # what graded it; None only for records made outside grading
    confinement: dict[str, Any] | None = None  # kernel layers that confined the student's code (sandbox.client)
    runner: str = "confined"  # which backend ran the code: confined (kernel confinement) | portable (any OS)
    warnings: list[str] = field(default_factory=list)  # shown in every report, e.g. hidden cases graded portably
    pending: float = 0.0  # points awaiting review (written answers): apart from ``score``, never counted as lost

    def checks(self) -> list[tuple[ExerciseResult, Check]]:
        return [(ex, c) for ex in self.exercises for c in ex.checks]

    def to_dict(self) -> dict[str, Any]:
        data = _tree(self)  # json_safe(asdict(self)) in one pass: a student's NaN or inf must not break the JSON
        order = ["version", "course", "student", "mode", "score", "max_score", "pass_threshold", "passed",
                 "exercises", "quizzes", "grader_error", "duration", "reveal", "environment", "confinement", "runner",
                 "warnings", "pending"]
        return {k: data[k] for k in order if k != "confinement" or data[k] is not None}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=_plain, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradeResult:
        exercises = [
            ExerciseResult(**{**ex, "checks": [Check(**{**c, "status": Status(c["status"])}) for c in ex["checks"]]})
            for ex in data["exercises"]
        ]
        quizzes = [
            QuizResult(**{**q, "questions": [QuestionResult(**{**qq, "status": Status(qq["status"])})
                                             for qq in q["questions"]]})
            for q in data.get("quizzes", [])
        ]
        fields = {k: v for k, v in data.items() if k not in ("exercises", "quizzes", "environment")}
        env = data.get("environment")
        return cls(**fields, exercises=exercises, quizzes=quizzes, environment=Environment(**env) if env else None)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _tree(value: Any) -> Any:
    """``json_safe(asdict(value))`` in one pass; a batch serialises one record per submission."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return value
    if isinstance(value, float):
        return json_safe(value)
    if isinstance(value, (list, tuple)):
        if t is list and _finite_numbers(value):
            return list(value)  # an answer's values: nothing to convert, element by element
        return [_tree(v) for v in value]
    if isinstance(value, dict):
        return {_tree(k): _tree(v) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES.get(t)
        if names is None:
            names = _FIELD_NAMES[t] = tuple(f.name for f in fields(value))
        return {name: _tree(getattr(value, name)) for name in names}
    return json_safe(copy.deepcopy(value))


def _finite_numbers(values: list[Any] | tuple[Any, ...]) -> bool:
    """Whether every item is a finite plain float or int (bool included), which ``_tree`` keeps as it is."""
    for v in values:
        t = type(v)
        if t is float:
            if v - v != 0.0:  # NaN or an infinity
                return False
        elif t is not int and t is not bool:
            return False
    return True


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_safe(value: Any) -> Any:
    """Floats that JSON cannot hold (NaN, inf) become strings, so the record is strict JSON."""
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value
