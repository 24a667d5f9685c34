"""Expected values, computed by the reference solutions in the grader's own (trusted) process.

Student code never runs here and the sandbox never receives these values.
"""

from __future__ import annotations

from typing import Any

from grader.spec.course import Course
from grader.spec.reference import ReferenceError_, call, reference_module

_CACHE: dict[tuple[str, str], dict[tuple[str, int], Any]] = {}


def reference_outputs(course: Course) -> dict[tuple[str, int], Any]:
    """Expected value of every case, keyed by (exercise id, case index); cached per course version."""
    key = (str(course.root), course.spec_hash)
    if key in _CACHE:
        return _CACHE[key]
    out: dict[tuple[str, int], Any] = {}
    for ex in course.exercises:
        module = reference_module(ex)
        for case in ex.cases:
            fn = ex.functions[case.function]
            try:
                out[(ex.id, case.index)] = call(module, case.function, case.args, fn.returns)
            except Exception as exc:
                raise ReferenceError_(
                    f"reference {ex.reference.name}: {case.function}() failed on case {case.name!r}: "
                    f"{type(exc).__name__}: {exc}") from exc
    _CACHE[key] = out
    return out
