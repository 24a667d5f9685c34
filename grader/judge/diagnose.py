"""Misconception diagnosis: name the known mistake whose numbers a failing submission reproduces.

Each misconception is a *variant* of the reference: the whole reference module with the functions where
the mistake is made replaced (by a declarative transform or by code in ``reference/mistakes/``). Because
the rest of the module calls the replaced function, the mistake flows into the functions built on it,
just as it does in a student's file. Variant outputs are computed here, in the grader's trusted process,
once per course version, like the expected values.

A failing function is diagnosed as variant V when the student's outputs for that function match V's on
every case, under the function's tolerance (NaN matching NaN). When several variants fit, the one that
explains more of the submission wins, and a variant whose mistake is made upstream (say, in entropy()
when most_uncertain() fails) must be visible upstream too. If that still leaves a tie, nothing is named:
a wrong accusation teaches less than none.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from grader.record import Check, Status
from grader.spec.course import Case, Course, Exercise, Function, Misconception
from grader.spec.expr import evaluate
from grader.spec.reference import load_module, plain
from grader.spec.tolerance import Tolerance, compare

Out = tuple[bool, Any]  # (True, plain value) or (False, exception name)


@dataclass(frozen=True)
class Variant:
    """What diagnosis needs of a misconception: its words, where it is made, and its outputs per case."""

    id: str
    explanation: str
    idea: str
    roots: tuple[str, ...]
    outputs: Mapping[int, Out]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "explanation": self.explanation, "idea": self.idea, "roots": list(self.roots),
                "outputs": [[i, ok, v] for i, (ok, v) in sorted(self.outputs.items())]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Variant:
        return cls(data["id"], data["explanation"], data["idea"], tuple(data["roots"]),
                   {int(i): (bool(ok), v) for i, ok, v in data["outputs"]})


# -- building variants (trusted process) ---------------------------------------------------------

def _transformed(original: Callable[..., Any], fn: Function, mis: Misconception) -> Callable[..., Any]:
    params = fn.params

    def variant(*args: Any) -> Any:
        args_l = list(args)
        if mis.swap is not None:
            i, j = params.index(mis.swap[0]), params.index(mis.swap[1])
            args_l[i], args_l[j] = args_l[j], args_l[i]
        value = original(*args_l)
        if mis.scale is not None:
            env = {p: (np.asarray(a, dtype=float) if isinstance(a, (list, tuple)) else a)
                   for p, a in zip(params, args, strict=False)}
            value = np.asarray(value, dtype=float) * evaluate(mis.scale, env)
        if mis.negate:
            value = -np.asarray(value, dtype=float)
        return value

    variant.__name__ = f"{fn.name}__{mis.id.replace('-', '_')}"
    return variant


def variant_module(ex: Exercise, mis: Misconception) -> ModuleType:
    """A fresh copy of the reference with the mistaken functions swapped in."""
    assert ex.reference is not None
    tag = f"{ex.id}_{mis.id.replace('-', '_')}"
    module = load_module(ex.reference, f"_grader_variant_{tag}")
    if mis.implementation is not None:
        path, name = mis.implementation
        code = load_module(path, f"_grader_mistake_{tag}")
        impl = getattr(code, name, None)
        if not callable(impl):
            raise LookupError(f"{path.name} has no function {name}()")
        setattr(module, mis.functions[0], impl)
    else:
        for fname in mis.functions:
            setattr(module, fname, _transformed(getattr(module, fname), ex.functions[fname], mis))
    return module


def run_case(module: ModuleType, case: Case, returns: str) -> Out:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            value = getattr(module, case.function)(*copy.deepcopy(list(case.args)))
            return True, plain(value, returns)
        except Exception as exc:
            return False, type(exc).__name__


_CACHE: dict[tuple[str, str], dict[str, tuple[Variant, ...]]] = {}


def variant_outputs(course: Course) -> dict[str, tuple[Variant, ...]]:
    """Every misconception's outputs on every case, by exercise id; cached per course version."""
    key = (str(course.root), course.spec_hash)
    if key in _CACHE:
        return _CACHE[key]
    from grader.spec import cache

    disk_key = cache.course_key(course, "variants")
    stored = cache.load(disk_key)
    if isinstance(stored, dict):
        try:
            out = {ex_id: tuple(Variant.from_dict(v) for v in items) for ex_id, items in stored.items()}
        except (KeyError, TypeError, ValueError):
            out = None
        if out is not None and set(out) == {ex.id for ex in course.exercises}:
            _CACHE[key] = out
            return out
    out = {}
    for ex in course.exercises:
        variants = []
        for mis in ex.misconceptions:
            module = variant_module(ex, mis)
            outputs = {c.index: run_case(module, c, ex.functions[c.function].returns) for c in ex.cases}
            variants.append(Variant(mis.id, mis.explanation, mis.idea, mis.functions, outputs))
        out[ex.id] = tuple(variants)
    _CACHE[key] = out
    cache.store(disk_key, {ex_id: [v.to_dict() for v in items] for ex_id, items in out.items()})
    return out


# -- matching ------------------------------------------------------------------------------------

def same(a: Out, b: Out, fn: Function) -> bool:
    """Do two outputs agree under the function's tolerance? NaN matches NaN, an error the same error."""
    if a[0] != b[0]:
        return False
    if not a[0]:
        return bool(a[1] == b[1])
    tol = Tolerance(fn.tolerance.rtol, fn.tolerance.atol, "equal")
    try:
        return compare(a[1], b[1], fn.returns, tol).ok
    except (TypeError, ValueError, OverflowError):
        return False


@dataclass(frozen=True)
class Finding:
    variant: Variant
    function: str
    cases: int


def diagnose(functions: Mapping[str, Function], cases: tuple[Case, ...], expected: Mapping[int, Any],
             student: Mapping[int, Out], failing: set[str], variants: tuple[Variant, ...]) -> dict[str, Finding]:
    """The misconception behind each failing function (by name), where one variant explains it best."""
    by_fn: dict[str, list[int]] = {}
    for c in cases:
        by_fn.setdefault(c.function, []).append(c.index)

    def fits(v: Variant, f: str, other: Mapping[int, Out]) -> bool:
        # a case the student has no answer for (not run) never counts as agreeing
        return all(i in other and same(other[i], v.outputs[i], functions[f]) for i in by_fn[f] if i in v.outputs)

    differs = {v.id: {f: any(not same(v.outputs[i], (True, expected[i]), functions[f])
                             for i in idx if i in v.outputs) for f, idx in by_fn.items()} for v in variants}
    agrees = {v.id: {f: fits(v, f, student) for f in by_fn} for v in variants}
    found: dict[str, Finding] = {}
    for f in by_fn:
        if f not in failing:
            continue
        candidates = []
        for v in variants:
            if not (differs[v.id][f] and agrees[v.id][f]):
                continue
            upstream = [r for r in v.roots if r in by_fn and r != f]
            if f not in v.roots and not all(agrees[v.id][r] for r in upstream):
                continue  # the mistake is made upstream, but the student's upstream function does not show it
            evidence = sum(1 for g in by_fn if differs[v.id][g] and agrees[v.id][g])
            candidates.append((evidence, v))
        if not candidates:
            continue
        best = max(e for e, _ in candidates)
        winners = [v for e, v in candidates if e == best]
        if len(winners) == 1:
            found[f] = Finding(winners[0], f, len(by_fn[f]))
    return found


def student_outputs(results: Mapping[int, dict[str, Any] | None]) -> dict[int, Out]:
    out: dict[int, Out] = {}
    for i, r in results.items():
        if r is None:
            continue
        out[i] = (True, r.get("value")) if r.get("ok") else (False, (r.get("error") or {}).get("exception", "Error"))
    return out


def annotate(checks: list[Check], cases: tuple[Case, ...], findings: Mapping[str, Finding]) -> None:
    """Write each finding into the failed checks of its function: ``misconception`` and ``diagnosis``."""
    for check, case in zip(checks, cases, strict=True):
        finding = findings.get(case.function)
        if finding is None or check.status == Status.PASSED:
            continue
        v = finding.variant
        check.misconception = v.id
        check.diagnosis = {
            "id": v.id, "explanation": v.explanation, "idea": v.idea,
            "evidence": f"your {case.function}() returns the same numbers as this mistake on "
                        + ("its only case" if finding.cases == 1 else f"each of its {finding.cases} cases"),
        }


# -- proof, for ``grader validate`` ------------------------------------------------------------------

@dataclass(frozen=True)
class Proof:
    """What ``grader validate`` proves about one exercise's misconceptions."""

    exercise: str
    variants: int
    affects: dict[str, tuple[str, ...]]  # variant id -> functions whose cases it fails
    problems: tuple[tuple[str, str], ...]  # (variant id, what is wrong)


def prove(ex: Exercise, expected: Mapping[int, Any], variants: tuple[Variant, ...]) -> Proof:
    """Each variant fails some case, matches no other variant's numbers, and is recognised as itself.

    Every variant is graded as if it were a student's submission, through the same :func:`diagnose`
    that grades real students, so the proof covers exactly what students will see.
    """
    problems = []
    affects: dict[str, tuple[str, ...]] = {}
    for v in variants:
        failing_cases = [c for c in ex.cases
                         if not same(v.outputs[c.index], (True, expected[c.index]), ex.functions[c.function])]
        failing = tuple(dict.fromkeys(c.function for c in failing_cases))
        affects[v.id] = failing
        if not failing_cases:
            problems.append((v.id, f"misconception {v.id} matches the reference on every case, so no case can catch it; "
                            "add a case where it gives a different answer"))
            continue
        errors = sorted({str(v.outputs[c.index][1]) for c in ex.cases if not v.outputs[c.index][0]})
        if errors:
            problems.append((v.id, f"misconception {v.id} raises {', '.join(errors)} on some case; a variant should "
                            "return the wrong numbers a student would get"))
        found = diagnose(ex.functions, ex.cases, expected, v.outputs, set(failing), variants)
        for f in failing:
            got = found.get(f)
            if got is None:
                rivals = [w.id for w in variants if w.id != v.id and all(
                    same(v.outputs[c.index], w.outputs[c.index], ex.functions[f]) for c in ex.cases if c.function == f)]
                why = f"it gives the same numbers as {', '.join(rivals)}" if rivals else "no variant fits uniquely"
                problems.append((v.id, f"misconception {v.id}: a submission making this mistake is not recognised in {f}() "
                                f"({why}); add a case that tells them apart"))
            elif got.variant.id != v.id:
                problems.append((v.id, f"misconception {v.id}: a submission making this mistake would be diagnosed as "
                                f"{got.variant.id} in {f}(); add a case that tells them apart"))
    return Proof(ex.id, len(variants), affects, tuple(problems))
