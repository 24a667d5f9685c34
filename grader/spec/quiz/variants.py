"""Per-student variants: drawn parameters, the question text with them, the choice order, the answer.

Every draw is a SHA-256 of ``course|quiz|question|student|what``, never Python's ``hash()`` or a
global RNG, so a student's sheet and expected answers are the same on every machine and every run,
and drawing one question never shifts another.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.spec.quiz.model import Choice, Computed, Param, Question, Quiz
from grader.spec.tolerance import fmt

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def seed_key(course_key: str, quiz_id: str, question_id: str, student: str) -> str:
    return f"{course_key}|{quiz_id}|{question_id}|{student.strip()}"


def draw_below(key: str, what: str, n: int) -> int:
    """A uniform integer in [0, n) from ``key`` and ``what`` (the 256-bit digest makes modulo bias negligible)."""
    digest = hashlib.sha256(f"{key}|{what}".encode()).digest()
    return int.from_bytes(digest, "big") % n


def grid(param: Param) -> tuple[int, int, int]:
    """A uniform parameter as integers: values are k / scale for lo <= k <= hi."""
    scale = 10 ** param.decimals
    return math.ceil(round(param.low * scale, 9)), math.floor(round(param.high * scale, 9)), scale


def draw_param(param: Param, key: str) -> Any:
    what = f"param:{param.name}"
    if param.kind == "uniform":
        lo, hi, scale = grid(param)
        return (lo + draw_below(key, what, hi - lo + 1)) / scale
    if param.kind == "integer":
        lo, hi = int(param.low), int(param.high)
        return lo + draw_below(key, what, hi - lo + 1)
    return param.values[draw_below(key, what, len(param.values))]


def show_param(param: Param, value: Any) -> str:
    if param.kind == "uniform":
        return f"{value:.{param.decimals}f}"
    return fmt(value)


def fill(text: str, shown: dict[str, str]) -> str:
    """Replace ``{name}`` by the student's value; other braces (``H(P,Q)``, ``{x}`` of no param) stay."""
    return PLACEHOLDER.sub(lambda m: shown.get(m.group(1), m.group(0)), text)


def shuffled(choices: tuple[Choice, ...], key: str) -> tuple[Choice, ...]:
    items = list(choices)
    for i in range(len(items) - 1, 0, -1):  # Fisher-Yates, one seeded draw per step
        j = draw_below(key, f"shuffle:{i}", i + 1)
        items[i], items[j] = items[j], items[i]
    return tuple(items)


@dataclass(frozen=True)
class Variant:
    """One student's version of a question."""

    question: Question
    student: str
    params: dict[str, Any]
    text: str
    choices: tuple[Choice, ...]  # in this student's order


def variant(quiz: Quiz, question: Question, student: str) -> Variant:
    key = seed_key(quiz.course_key, quiz.id, question.id, student)
    params = {p.name: draw_param(p, key) for p in question.params}
    shown = {p.name: show_param(p, params[p.name]) for p in question.params}
    choices = shuffled(question.choices, key) if question.shuffle else question.choices
    return Variant(question, student.strip(), params, fill(question.text.strip(), shown), choices)


_MODULES: dict[str, ModuleType] = {}
_BY_PATH: dict[Path, ModuleType] = {}  # as given: resolving the path on every answer costs more than the answer


def reference_module(path: Path) -> ModuleType:
    """The quiz's reference file, imported once per process (in the grader, never in the sandbox)."""
    from grader.spec.reference import load_module

    module = _BY_PATH.get(path)
    if module is None:
        key = str(path.resolve())
        if key not in _MODULES:
            name = "_grader_quiz_reference_" + hashlib.sha256(key.encode()).hexdigest()[:12]
            _MODULES[key] = load_module(path, name)
        module = _BY_PATH[path] = _MODULES[key]
    return module


def substitute(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$") and value[1:] in params:
        return params[value[1:]]
    if isinstance(value, list):
        return [substitute(v, params) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, params) for k, v in value.items()}
    return value


def compute(quiz: Quiz, spec: Computed, params: dict[str, Any]) -> float:
    """A literal, or the reference function called with the student's parameters; always a finite float."""
    if spec.function is None:
        assert spec.value is not None
        return float(spec.value)
    assert quiz.reference is not None
    fn = getattr(reference_module(quiz.reference), spec.function)
    kwargs = dict(params) if spec.args is None else substitute(spec.args, params)
    value = float(fn(**kwargs))
    if not math.isfinite(value):
        raise ValueError(f"{spec.function}() returned {value}")
    return value


def expected(quiz: Quiz, v: Variant) -> float:
    assert v.question.answer is not None
    return compute(quiz, v.question.answer, v.params)
