"""Expected values, computed by the reference solutions in the grader's own (trusted) process.

Student code never runs here and the sandbox never receives these values.
"""

from __future__ import annotations

import copy
import math
from types import ModuleType
from typing import Any

from grader.errors import Problem
from grader.spec.course import Case, Course, Exercise
from grader.spec.reference import ReferenceError_, code_problem, plain, reference_module, shown

_CACHE: dict[tuple[str, str], dict[tuple[str, int], Any]] = {}


def reference_outputs(course: Course) -> dict[tuple[str, int], Any]:
    """Expected value of every case, keyed by (exercise id, case index); cached per course version.

    On disk as [exercise id, case index, value] rows (JSON): running the references is most of the cost of
    starting `grader check` on an unchanged course once the files need no validation. v2: values are checked as
    they are computed (no NaN or inf unless a case expects it); older rows were not.
    """
    from grader.spec import cache

    wanted = [(ex.id, case.index) for ex in course.exercises for case in ex.cases]

    def decode(stored: Any) -> dict[tuple[str, int], Any] | None:
        rows = [row for row in stored if isinstance(row, list) and len(row) == 3] if isinstance(stored, list) else []
        if [(row[0], row[1]) for row in rows] != wanted:
            return None
        return {(ex_id, index): value for ex_id, index, value in rows}

    return cache.per_course(_CACHE, course, "expected-v2", lambda: _compute(course),
                            lambda out: [[ex_id, index, value] for (ex_id, index), value in out.items()], decode)


def _compute(course: Course) -> dict[tuple[str, int], Any]:
    out: dict[tuple[str, int], Any] = {}
    problems = []
    for ex in course.exercises:
        module = reference_module(ex)
        for case in ex.cases:
            value, problem = _reference_value(ex, module, case)
            if problem is not None:
                problems.append(problem)
            out[(ex.id, case.index)] = value
    if problems:
        raise ReferenceError_(_once_per_line(problems))
    return out


def _reference_value(ex: Exercise, module: ModuleType, case: Case) -> tuple[Any, Problem | None]:
    """The reference's answer to ``case``, or the problem with it, located where the author fixes it.

    An exception is placed at the reference's own line. A value of the wrong kind (``None`` from a missing
    ``return``, a list for a float) is placed at the function's ``def``, named with the case (it used to read
    "raised ... WrongType" at ``reference/x.py:1:1``). A NaN or infinity is refused unless the case says
    ``nan: expected``: a correct student would otherwise lose the point ("expected nan, got 29.33").
    """
    from grader.sandbox.worker import WrongType

    assert ex.reference is not None
    fn = ex.functions[case.function]
    case_at = f"case {case.name!r} ({shown(ex.spec_path)}:{case.line})" if ex.spec_path else f"case {case.name!r}"
    function = getattr(module, case.function)
    try:
        raw = function(*copy.deepcopy(list(case.args)))
    except Exception as exc:
        return None, code_problem(exc, ex.reference, f"the reference's {case.function}() raised on {case_at}",
                                  "fix the reference so that it returns a value for this input, or correct the case")
    code = getattr(function, "__code__", None)
    def_line = code.co_firstlineno if code is not None else 1
    try:
        value = plain(raw, fn.returns)
    except WrongType as exc:
        return None, Problem(shown(ex.reference), def_line, 1,
                             f"the reference's {case.function}() returned {_kind(raw)} on {case_at}: {exc}; fix the "
                             f"reference, or the function's returns: ({fn.returns}) in {shown(ex.spec_path or '')}")
    if case.nan_expected or _finite(value):
        return value, None
    return value, Problem(shown(ex.reference), def_line, 1,
                          f"the reference's {case.function}() returns {_nonfinite(value)} on {case_at}: no student "
                          f"answer can match it; fix the reference or the case, or, if that is the intended answer, "
                          f"write nan: expected on the case")


def _once_per_line(problems: list[Problem]) -> list[Problem]:
    """One problem per place in the reference: a function that raises on every case is said once, with how many
    other cases it failed on, not once per case."""
    first: dict[tuple[str, int, int], Problem] = {}
    more: dict[tuple[str, int, int], int] = {}
    for p in problems:
        where = (p.file, p.line, p.column)
        if where in first:
            more[where] += 1
        else:
            first[where], more[where] = p, 0
    return [p if not more[w] else Problem(p.file, p.line, p.column,
                                           f"{p.message} (and on {more[w]} other case{'' if more[w] == 1 else 's'})")
            for w, p in first.items()]


def _kind(value: Any) -> str:
    return "None" if value is None else f"a {type(value).__name__}"


def _finite(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    return not isinstance(value, float) or math.isfinite(value)


def _nonfinite(value: Any) -> str:
    """``nan``, or ``inf at index 2`` for an array."""
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            if not _finite(v):
                inner = _nonfinite(v)
                return f"{inner.split(' at index ')[0]} at index {i}" + (
                    f", {inner.split(' at index ')[1]}" if " at index " in inner else "")
        return "a non-finite value"
    return repr(value)
