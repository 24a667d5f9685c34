"""Expected values, computed by the reference solutions in the grader's own (trusted) process.

Student code never runs here and the sandbox never receives these values.
"""

from __future__ import annotations

from typing import Any

from grader.spec.course import Course
from grader.spec.reference import ReferenceError_, call, code_problem, reference_module, shown

_CACHE: dict[tuple[str, str], dict[tuple[str, int], Any]] = {}


def reference_outputs(course: Course) -> dict[tuple[str, int], Any]:
    """Expected value of every case, keyed by (exercise id, case index); cached per course version.

    On disk as [exercise id, case index, value] rows (JSON): running the references is most of the cost of
    starting `grader check` on an unchanged course once the files need no validation.
    """
    from grader.spec import cache

    wanted = [(ex.id, case.index) for ex in course.exercises for case in ex.cases]

    def decode(stored: Any) -> dict[tuple[str, int], Any] | None:
        rows = [row for row in stored if isinstance(row, list) and len(row) == 3] if isinstance(stored, list) else []
        if [(row[0], row[1]) for row in rows] != wanted:
            return None
        return {(ex_id, index): value for ex_id, index, value in rows}

    return cache.per_course(_CACHE, course, "expected", lambda: _compute(course),
                            lambda out: [[ex_id, index, value] for (ex_id, index), value in out.items()], decode)


def _compute(course: Course) -> dict[tuple[str, int], Any]:
    out: dict[tuple[str, int], Any] = {}
    for ex in course.exercises:
        module = reference_module(ex)
        for case in ex.cases:
            fn = ex.functions[case.function]
            try:
                out[(ex.id, case.index)] = call(module, case.function, case.args, fn.returns)
            except Exception as exc:
                assert ex.reference is not None
                case_at = f"{shown(ex.spec_path)}:{case.line}" if ex.spec_path else ex.id
                raise ReferenceError_([code_problem(
                    exc, ex.reference, f"the reference's {case.function}() raised on case {case.name!r} ({case_at})",
                    "fix the reference so that it returns a value for this input, or correct the case")]) from None
    return out
