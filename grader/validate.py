"""``grader validate``: the spec parses, matches the schemas, and the reference passes its own checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.course import Course, load_course
from grader.errors import Problem, SpecError
from grader.expected import ReferenceError_, reference_outputs
from grader.tolerance import compare
from grader.yamlspec import display_path


@dataclass(frozen=True)
class Report:
    course: Course
    cases: int
    pinned: int
    notes: tuple[str, ...] = ()


def validate(root: Path) -> Report:
    """Raise SpecError listing every problem; return a summary when the course is sound."""
    course = load_course(root)
    problems: list[Problem] = []
    try:
        expected = reference_outputs(course)
    except ReferenceError_ as exc:
        raise SpecError([Problem("reference", 1, 1, str(exc))]) from None
    pinned = 0
    for ex in course.exercises:
        where = display_path(ex.spec_path, course.root) if ex.spec_path else ex.id
        for case in ex.cases:
            if case.pinned is None:
                continue
            pinned += 1
            fn = ex.functions[case.function]
            got = expected[(ex.id, case.index)]
            try:
                outcome = compare(case.pinned, got, fn.returns, fn.tolerance.__class__(
                    rtol=fn.tolerance.rtol, atol=max(fn.tolerance.atol, 5e-5), nan=fn.tolerance.nan))
            except (TypeError, ValueError) as exc:
                problems.append(Problem(where, case.line, 1, f"case {case.name!r}: expected: {exc}"))
                continue
            if not outcome.ok:
                problems.append(Problem(where, case.line, 1,
                                        f"case {case.name!r}: the reference disagrees with expected: "
                                        f"{outcome.message}"))
    if problems:
        raise SpecError(problems)
    return Report(course, sum(len(e.cases) for e in course.exercises), pinned)
