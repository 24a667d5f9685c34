"""``grader validate``: the spec parses, matches the schemas, and the reference passes its own checks."""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.errors import Problem, SpecError
from grader.judge.diagnose import prove, variant_module, variant_outputs
from grader.judge.invariants import draw, judge_in_process
from grader.record import Status
from grader.spec.course import Course, load_course
from grader.spec.expected import reference_outputs
from grader.spec.reference import ReferenceError_, plain, reference_module
from grader.spec.tolerance import compare
from grader.spec.yamlspec import display_path


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
    notes = _feedback_proofs(course, expected)
    return Report(course, sum(len(e.cases) for e in course.exercises), pinned, notes)


def _caller(modules: dict[str, ModuleType], course: Course):
    returns = {(ex.id, f.name): f.returns for ex in course.exercises for f in ex.functions.values()}

    def call(exercise: str, function: str, args: list[Any]) -> tuple[bool, Any]:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                value = getattr(modules[exercise], function)(*copy.deepcopy(args))
                return True, plain(value, returns[(exercise, function)])
            except Exception as exc:
                return False, f"raised {type(exc).__name__}: {exc}"
    return call


def _feedback_proofs(course: Course, expected: dict[tuple[str, int], Any]) -> tuple[str, ...]:
    """Prove the misconceptions apart and the invariants true of the reference; one summary line per exercise.

    Also records which mistakes the invariants catch, by running every invariant with one exercise's
    reference replaced by each of its known mistakes.
    """
    problems: list[Problem] = []
    variants = variant_outputs(course)
    refs = {ex.id: reference_module(ex) for ex in course.exercises}
    trials = {(ex.id, inv.id): draw(inv) for ex in course.exercises for inv in ex.invariants}
    invariants = [(ex, inv) for ex in course.exercises for inv in ex.invariants]
    ref_call = _caller(refs, course)
    for ex, inv in invariants:
        check = judge_in_process(inv, trials[(ex.id, inv.id)], ref_call)
        if check.status != Status.PASSED:
            where = display_path(ex.spec_path, course.root) if ex.spec_path else ex.id
            problems.append(Problem(where, inv.line, 1, f"invariant {inv.id}: the reference itself breaks it: "
                                                        f"{check.message}"))
    caught: dict[str, set[str]] = {}
    for ex in course.exercises:
        for mis in ex.misconceptions:
            call = _caller({**refs, ex.id: variant_module(ex, mis)}, course)
            for other, inv in invariants:
                if any(c.exercise == ex.id for c in inv.calls) and \
                        judge_in_process(inv, trials[(other.id, inv.id)], call).status != Status.PASSED:
                    caught.setdefault(ex.id, set()).add(mis.id)
    notes = []
    for ex in course.exercises:
        where = display_path(ex.spec_path, course.root) if ex.spec_path else ex.id
        proof = prove(ex, {c.index: expected[(ex.id, c.index)] for c in ex.cases}, variants.get(ex.id, ()))
        lines = {m.id: m.line for m in ex.misconceptions}
        for mid, text in proof.problems:
            problems.append(Problem(where, lines.get(mid, 1), 1, text))
        parts = []
        if proof.variants:
            parts.append(f"{proof.variants} misconceptions, all told apart by its {len(ex.cases)} cases")
        if ex.invariants:
            hits = sorted(caught.get(ex.id, ()))
            parts.append(f"{len(ex.invariants)} invariants hold for the reference"
                         + (f" and also catch {', '.join(hits)}" if hits else ""))
        if proof.variants:
            parts.append("no generic relation fires on them or on the reference")
        if parts:
            notes.append(f"{ex.id}: " + "; ".join(parts))
    if problems:
        raise SpecError(problems)
    return tuple(notes)
