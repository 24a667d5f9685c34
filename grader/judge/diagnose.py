"""Misconception diagnosis: name the known mistake whose numbers a failing submission reproduces.

Each misconception is a *variant* of the reference: the whole reference module with the functions where
the mistake is made replaced (by a declarative transform or by code in ``reference/mistakes/``). Because
the rest of the module calls the replaced function, the mistake flows into the functions built on it,
just as it does in a student's file. Variant outputs are computed here, in the grader's trusted process,
once per course version, like the expected values.

A failing function is diagnosed as variant V when the student's outputs for that function match V's on
every case, under the function's tolerance (NaN matching NaN). Functions are diagnosed along the call graph
(``Function.uses``), callees first: a mistake is never named for a function while a function it builds on
fails, unless that callee shows the same mistake (the caller inherits it); otherwise the caller is told
that it builds on a failing function. A variant may also be matched where the student made it, in a
caller whose callees are right. When several variants fit, the one that explains more of the submission
wins; if that still leaves a tie, nothing is named: a wrong accusation teaches less than none. With no
declared mistake, a crash rule (``crash:``) or a generic relation (:mod:`grader.judge.fingerprints`) that
fits every case may still say what happened.

Every sentence is one the numbers prove: a declared mistake's numbers agree with the student's on every case
under the comparison grading and ``grader validate`` use (:func:`grader.spec.tolerance.close`: an infinity
matches only itself, NaN only NaN); a crash rule names its mistake only where the mistake's own crashing code,
run on the same input, raises the same exception; a relation holds within its own tight bound
(:mod:`grader.judge.evidence`).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.judge.evidence import NOISE, RELATION_RTOL
from grader.judge.fingerprints import Relation, fingerprint
from grader.record import Check, Status
from grader.spec.course import Case, Course, Crash, Exercise, Function, Misconception
from grader.spec.expr import ExprError, evaluate, parse
from grader.spec.reference import ReferenceError_, call, code_problem, load_module, plain
from grader.spec.tolerance import Tolerance, compare, passes

Out = tuple[bool, Any]  # (True, plain value) or (False, exception name)


@dataclass(frozen=True)
class CrashRule:
    """A crash that is a misconception: the exceptions, the condition on the input, and what the mistake's
    crashing implementation gives on every case (``outputs``), or, when it cannot be run, the author's reason."""

    exceptions: tuple[str, ...]
    when: str
    outputs: Mapping[int, Out] | None = None
    cannot_run: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"exceptions": list(self.exceptions), "when": self.when, "cannot_run": self.cannot_run,
                "outputs": None if self.outputs is None else [[i, ok, v] for i, (ok, v) in sorted(self.outputs.items())]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CrashRule:
        outputs = data["outputs"]
        return cls(tuple(str(x) for x in data["exceptions"]), str(data["when"]),
                   None if outputs is None else {int(i): (bool(ok), v) for i, ok, v in outputs},
                   str(data["cannot_run"]))


@dataclass(frozen=True)
class Variant:
    """What diagnosis needs of a misconception: its words, where it is made, and its outputs per case."""

    id: str
    explanation: str
    idea: str
    roots: tuple[str, ...]
    outputs: Mapping[int, Out]
    crash: tuple[CrashRule, ...] = ()  # crashes that are this mistake

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "explanation": self.explanation, "idea": self.idea, "roots": list(self.roots),
                "outputs": [[i, ok, v] for i, (ok, v) in sorted(self.outputs.items())],
                "crash": [c.to_dict() for c in self.crash]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Variant:
        return cls(data["id"], data["explanation"], data["idea"], tuple(data["roots"]),
                   {int(i): (bool(ok), v) for i, ok, v in data["outputs"]},
                   tuple(CrashRule.from_dict(c) for c in data["crash"]))


# -- building variants (trusted process) ---------------------------------------------------------

def param_env(params: tuple[str, ...], args: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    """A call's arguments by parameter name, lists as float arrays: what a misconception's ``scale`` and a crash
    rule's ``when`` are evaluated in (the same names and types for both)."""
    return {p: (np.asarray(a, dtype=float) if isinstance(a, (list, tuple)) else a)
            for p, a in zip(params, args, strict=False)}


def _transformed(original: Callable[..., Any], fn: Function, mis: Misconception) -> Callable[..., Any]:
    params = fn.params

    def variant(*args: Any) -> Any:
        args_l = list(args)
        if mis.swap is not None:
            i, j = params.index(mis.swap[0]), params.index(mis.swap[1])
            args_l[i], args_l[j] = args_l[j], args_l[i]
        value = original(*args_l)
        if mis.scale is not None:
            env = param_env(params, args)
            value = np.asarray(value, dtype=float) * evaluate(mis.scale, env)
        if mis.negate:
            value = -np.asarray(value, dtype=float)
        return value

    variant.__name__ = f"{fn.name}__{mis.id.replace('-', '_')}"
    return variant


def variant_module(ex: Exercise, mis: Misconception, implementation: tuple[Path, str] | None = None) -> ModuleType:
    """A fresh copy of the reference with the mistaken functions swapped in (``implementation``: this code for
    the one mistaken function instead of the misconception's own, e.g. a crash rule's crashing code)."""
    assert ex.reference is not None
    tag = f"{ex.id}_{mis.id.replace('-', '_')}" + (f"_{implementation[1]}" if implementation else "")
    module = load_module(ex.reference, f"_grader_variant_{tag}")
    implementation = implementation or mis.implementation
    if implementation is not None:
        path, name = implementation
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
            if returns == "figure":  # a misconception's figure, drawn like the reference's (grader.spec.reference)
                return True, call(module, case.function, case.args, returns)
            value = getattr(module, case.function)(*copy.deepcopy(list(case.args)))
            return True, plain(value, returns)
        except Exception as exc:
            return False, type(exc).__name__


_CACHE: dict[tuple[str, str], dict[str, tuple[Variant, ...]]] = {}


def variant_outputs(course: Course) -> dict[str, tuple[Variant, ...]]:
    """Every misconception's outputs on every case, by exercise id; cached per course version."""
    from grader.spec import cache

    def decode(stored: Any) -> dict[str, tuple[Variant, ...]] | None:
        if not isinstance(stored, dict):
            return None
        try:
            out = {ex_id: tuple(Variant.from_dict(v) for v in items) for ex_id, items in stored.items()}
        except (KeyError, TypeError, ValueError):
            return None
        return out if set(out) == {ex.id for ex in course.exercises} else None

    return cache.per_course(_CACHE, course, "variants/2", lambda: _variants(course),
                            lambda out: {ex_id: [v.to_dict() for v in items] for ex_id, items in out.items()}, decode)


def _variants(course: Course) -> dict[str, tuple[Variant, ...]]:
    out = {}
    for ex in course.exercises:
        variants = []
        for mis in ex.misconceptions:
            module = variant_module(ex, mis)
            outputs = {c.index: run_case(module, c, ex.functions[c.function].returns) for c in ex.cases}
            crash = tuple(CrashRule(c.exceptions, c.when.text, _crash_outputs(ex, mis, c), c.cannot_run)
                          for c in mis.crash)
            variants.append(Variant(mis.id, mis.explanation, mis.idea, mis.functions, outputs, crash))
        out[ex.id] = tuple(variants)
    return out


def _crash_outputs(ex: Exercise, mis: Misconception, crash: Crash) -> dict[int, Out] | None:
    """The crashing implementation's outcome on every case of the exercise (callers call it too), or None."""
    if crash.implementation is None:
        return None
    module = variant_module(ex, mis, crash.implementation)
    return {c.index: run_case(module, c, ex.functions[c.function].returns) for c in ex.cases}


# -- matching ------------------------------------------------------------------------------------

def same(a: Out, b: Out, fn: Function, tight: bool = False) -> bool:
    """Does ``a`` (the student's) agree with ``b`` (a variant's, or the expected value, as grading compares: the
    tolerance is relative to ``b``) under the function's tolerance (``tight``: within rounding, the bound of
    :mod:`grader.judge.evidence`, whatever the tolerance)? An error matches the same
    error; numbers compare as grading compares them (:func:`grader.spec.tolerance.close`), except that NaN
    matches NaN: an infinity matches only the same infinity, and NaN against inf is a disagreement."""
    if a[0] != b[0]:
        return False
    if not a[0]:
        return bool(a[1] == b[1])
    tol = Tolerance(RELATION_RTOL, NOISE, "equal") if tight else Tolerance(fn.tolerance.rtol, fn.tolerance.atol, "equal")
    try:
        return compare(b[1], a[1], fn.returns, tol).ok  # b is the side the tolerance is relative to
    except (TypeError, ValueError, OverflowError):
        return False


@dataclass(frozen=True)
class Finding:
    """Why one failing function fails, as far as the numbers can tell.

    ``kind``: ``declared`` (a misconception's numbers), ``crash`` (a crash declared as a misconception),
    ``relation`` (a generic fingerprint) or ``upstream`` (a function it builds on fails). ``where``: ``here``
    (made in this function), ``upstream`` (inherited from a callee that makes it) or ``caller`` (the reference
    makes this mistake in a callee, but the student made it here, where the callee is used).
    """

    variant: Variant | None
    function: str
    cases: int
    kind: str = "declared"
    where: str = "here"
    upstream: tuple[str, ...] = ()
    relation: Relation | None = None
    crash: str = ""  # the exception and the condition, for the evidence sentence
    # declared: the student's numbers equal the mistake's within rounding (else only within the tolerance)
    exact: bool = True


_RANK = {"here": 2, "upstream": 1, "caller": 0}


def call_order(functions: Mapping[str, Function], names: list[str]) -> list[str]:
    """``names`` with every function after the functions it uses (callees are diagnosed first)."""
    out: list[str] = []

    def visit(f: str, depth: int) -> None:
        if f in out or depth > len(functions):
            return
        for u in functions[f].uses:
            if u in names:
                visit(u, depth + 1)
        out.append(f)

    for f in names:
        visit(f, 0)
    return out


def _uses_all(functions: Mapping[str, Function], f: str) -> set[str]:
    seen: set[str] = set()
    todo = list(functions[f].uses)
    while todo:
        g = todo.pop()
        if g not in seen and g in functions:
            seen.add(g)
            todo.extend(functions[g].uses)
    return seen


def when_holds(when: Any, fn: Function, case: Case) -> bool:
    """A crash rule's condition on a case's input, compared exactly; False when it cannot be evaluated."""
    try:
        return bool(np.all(evaluate(when, param_env(fn.params, case.args), tol=Tolerance(0.0, 0.0, "fail"))))
    except (ExprError, TypeError, ValueError):
        return False


def _crash_case_fits(rule: CrashRule, when: Any, v: Variant, fn: Function, case: Case, out: Out,
                     expected: Any) -> bool:
    """One case of the student against a crash rule.

    With the rule's crashing implementation: the student and it agree here (the same exception type, or numbers
    that agree), and a crash is one the rule lists on an input where ``when`` holds. Without it (``cannot_run``):
    a crash the rule lists where ``when`` holds, or the right number, or the variant's own number.
    """
    if not out[0]:
        if out[1] not in rule.exceptions or not when_holds(when, fn, case):
            return False
        return rule.outputs is None or rule.outputs.get(case.index) == (False, out[1])
    if rule.outputs is not None:
        mine = rule.outputs.get(case.index)
        return mine is not None and same(out, mine, fn)
    return same(out, (True, expected), fn) or (case.index in v.outputs and same(out, v.outputs[case.index], fn))


def _crash_fits(v: Variant, fn: Function, cases: list[Case], student: Mapping[int, Out],
                expected: Mapping[int, Any]) -> str:
    """The crash rule of ``v`` that explains every case of ``fn``, as evidence words, or ''.

    Every case must fit (:func:`_crash_case_fits`) and at least one crash: a student whose code is right on
    zeros but crashes on an array for another reason differs from the mistake's code on the zeros, so the
    mistake is not named.
    """
    for rule in v.crash:
        try:
            when = parse(rule.when, known=fn.params)
        except ExprError:
            continue
        outs = [student.get(c.index) for c in cases]
        if any(o is None for o in outs):
            return ""
        if all(_crash_case_fits(rule, when, v, fn, c, o, expected[c.index])  # type: ignore[arg-type]
               for c, o in zip(cases, outs, strict=True)):
            crashed = [o for o in outs if o is not None and not o[0]]
            if crashed:
                names = " or ".join(dict.fromkeys(str(o[1]) for o in crashed))
                also = ", where this mistake raises it too" if rule.outputs is not None else ""
                return f"{names} on {len(crashed)} of {len(cases)} cases, each an input where {rule.when}{also}"
    return ""


def ends(ex: Exercise) -> dict[int, dict[str, Any]]:
    """Per case of a function that picks from a list by a score it builds on: its answer at the score's min and max.

    Computed from the reference in the grader's process (``most_uncertain`` scores each distribution with
    ``entropy``; ``best_q1`` takes ``kl_sweep`` over the same arguments), so that an answer from the wrong end
    can be recognised without anyone declaring it.
    """
    module = load_module(ex.reference, f"_grader_ends_{ex.id}") if ex.reference is not None else None
    out: dict[int, dict[str, Any]] = {}
    if module is None:
        return out
    for c in ex.cases:
        fn = ex.functions[c.function]
        if fn.returns not in ("int", "float") or len(fn.uses) != 1:
            continue
        g = ex.functions[fn.uses[0]]
        lists = [i for i, a in enumerate(c.args) if isinstance(a, list) and len(a) >= 2]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                if len(g.params) == 1 and len(fn.params) == 1 and lists:
                    items = c.args[lists[0]]
                    scores = np.asarray([getattr(module, g.name)(copy.deepcopy(x)) for x in items], dtype=float)
                elif g.params == fn.params:
                    scores = np.asarray(getattr(module, g.name)(*copy.deepcopy(list(c.args))), dtype=float)
                    answer = getattr(module, fn.name)(*copy.deepcopy(list(c.args)))
                    fits = [i for i in lists if len(c.args[i]) == scores.size
                            and any(v == answer for v in c.args[i])]
                    if len(fits) != 1:
                        continue
                    items = c.args[fits[0]]
                else:
                    continue
            except Exception as exc:  # the course's code failed: a course error at its line, never a silent gap
                assert ex.reference is not None
                raise ReferenceError_([code_problem(
                    exc, ex.reference, f"the reference raised while the diagnosis scored the choices of {fn.name}() "
                    f"with {g.name}() on case {c.name!r}", f"fix the reference so that {g.name}() accepts each of "
                    f"them (the diagnosis compares a wrong answer with the best and worst by {g.name}())")]) from None
        if scores.shape != (len(items),) or not np.all(np.isfinite(scores)):
            continue
        lo, hi = int(np.argmin(scores)), int(np.argmax(scores))
        if lo == hi or (fn.returns == "float" and not all(isinstance(v, (int, float)) for v in items)):
            continue
        out[c.index] = ({"min": lo, "max": hi, "by": g.name} if fn.returns == "int" else
                        {"min": float(items[lo]), "max": float(items[hi]), "by": g.name})
    return out


def diagnose(functions: Mapping[str, Function], cases: tuple[Case, ...], expected: Mapping[int, Any],
             student: Mapping[int, Out], failing: set[str], variants: tuple[Variant, ...],
             picks: Mapping[int, Mapping[str, Any]] | None = None) -> dict[str, Finding]:
    """Why each failing function (by name) fails: a misconception, a crash, a relation, or a failing callee.

    Callees are diagnosed first. A mistake is never named for a function while a function it builds on
    fails, unless that callee shows the same mistake (then the caller inherits it); otherwise the caller
    is told that it builds on a failing function. A variant may be matched where the student made it: in
    the caller, when the callee the reference would make it in is right.
    """
    by_fn: dict[str, list[int]] = {}
    for c in cases:
        by_fn.setdefault(c.function, []).append(c.index)
    case_of = {c.index: c for c in cases}

    def fits(v: Variant, f: str, other: Mapping[int, Out]) -> bool:
        # a case the student has no answer for (not run) never counts as agreeing
        return all(i in other and same(other[i], v.outputs[i], functions[f]) for i in by_fn[f] if i in v.outputs)

    differs = {v.id: {f: any(not same(v.outputs[i], (True, expected[i]), functions[f])
                             for i in idx if i in v.outputs) for f, idx in by_fn.items()} for v in variants}
    agrees = {v.id: {f: fits(v, f, student) for f in by_fn} for v in variants}
    stub = {f for f in by_fn if all(i in student and not student[i][0]
                                    and student[i][1] in ("NotImplementedError", "MissingFunction") for i in by_fn[f])}
    found: dict[str, Finding] = {}
    for f in call_order(functions, list(by_fn)):
        if f not in failing or f in stub:
            continue
        below = _uses_all(functions, f)
        failing_deps = tuple(d for d in functions[f].uses if d in by_fn and d in failing)
        candidates = []
        for v in variants:
            if not (differs[v.id][f] and agrees[v.id][f]):
                continue
            upstream = [r for r in v.roots if r in by_fn and r != f]
            if f in v.roots:
                if failing_deps:
                    continue  # a callee fails: the caller's own mistake cannot be told from the callee's
                where = "here"
            elif upstream and all(r in below for r in upstream) and all(agrees[v.id][r] for r in upstream):
                if not all(agrees[v.id][d] for d in failing_deps):
                    continue  # another callee fails for another reason
                where = "upstream"
            elif upstream and all(r in below and r not in failing for r in upstream) and not failing_deps:
                where = "caller"
            else:
                continue
            evidence = sum(1 for g in by_fn if differs[v.id][g] and agrees[v.id][g])
            # On a tie the mistake declared for this very function wins over one moved into it from a callee.
            candidates.append(((evidence, _RANK[where]), where, v))
        if candidates:
            best = max(e for e, _, _ in candidates)
            winners = [(w, v) for e, w, v in candidates if e == best]
            if len(winners) == 1:
                where, v = winners[0]
                exact = all(same(student[i], v.outputs[i], functions[f], tight=True) for i in by_fn[f] if i in v.outputs)
                found[f] = Finding(v, f, len(by_fn[f]), "declared", where, failing_deps, exact=exact)
                continue
        if failing_deps:
            found[f] = Finding(None, f, len(by_fn[f]), "upstream", "upstream", failing_deps)
            continue
        f_cases = [case_of[i] for i in by_fn[f]]
        crashes = [(v, why) for v in variants if v.crash and (f in v.roots or set(v.roots) & below)
                   for why in [_crash_fits(v, functions[f], f_cases, student, expected)] if why]
        if len(crashes) == 1:
            v, why = crashes[0]
            found[f] = Finding(v, f, len(by_fn[f]), "crash", "here" if f in v.roots else "caller", crash=why)
            continue
        relation = fingerprint(functions[f], f_cases, expected, student, picks)
        if relation is not None:
            found[f] = Finding(None, f, len(by_fn[f]), "relation", "here", relation=relation)
    return found


def student_outputs(results: Mapping[int, dict[str, Any] | None]) -> dict[int, Out]:
    out: dict[int, Out] = {}
    for i, r in results.items():
        if r is None:
            continue
        out[i] = (True, r.get("value")) if r.get("ok") else (False, (r.get("error") or {}).get("exception", "Error"))
    return out


def _names(functions: tuple[str, ...]) -> str:
    shown = [f"{f}()" for f in functions]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def explain(finding: Finding, functions: Mapping[str, Function]) -> dict[str, Any]:
    """The ``diagnosis`` a report shows for ``finding``: what, the evidence, and the idea to teach."""
    f, v = finding.function, finding.variant
    each = "its only case" if finding.cases == 1 else f"each of its {finding.cases} cases"
    base = {"id": v.id if v else None, "kind": finding.kind, "where": finding.where,
            "upstream": list(finding.upstream)}
    if finding.kind == "upstream":
        deps = _names(finding.upstream)
        verb = "fails its" if len(finding.upstream) == 1 else "fail their"
        return {**base, "explanation": f"{f}() builds on {deps}, which {verb} own checks, so these failures may "
                                       f"come from there. Fix {deps} first, then see whether {f}() still fails.",
                "evidence": "", "idea": ""}
    if finding.kind == "relation":
        assert finding.relation is not None
        return {**base, "relation": finding.relation.kind, "explanation": finding.relation.sentence,
                "evidence": "", "idea": functions[f].intuition}
    assert v is not None
    if finding.kind == "crash":
        return {**base, "explanation": f"Your {f}() raised {finding.crash}: that crash is this mistake. "
                                       f"{v.explanation}", "idea": v.idea, "evidence": ""}
    evidence = (f"your {f}() returns the same numbers as this mistake on {each}" if finding.exact else
                f"your {f}() returns numbers within the exercise's tolerance of this mistake's on {each}")
    explanation = v.explanation
    roots = tuple(r for r in v.roots if r != f)
    if finding.where == "upstream" and roots:
        explanation = f"{f}() fails because {_names(roots)}, which it builds on, makes this mistake. {explanation}"
    elif finding.where == "caller" and roots:
        explanation = (f"Your {_names(roots)} is right, but {f}() makes this mistake where it uses it. "
                       f"{explanation}")
    return {**base, "explanation": explanation, "idea": v.idea, "evidence": evidence}


def annotate(checks: list[Check], cases: tuple[Case, ...], findings: Mapping[str, Finding],
             functions: Mapping[str, Function] | None = None) -> None:
    """Write each finding into the failed checks of its function: ``misconception`` and ``diagnosis``."""
    for check, case in zip(checks, cases, strict=True):
        finding = findings.get(case.function)
        if finding is None or check.status == Status.PASSED:
            continue
        if finding.kind in ("declared", "crash") and finding.variant is not None:
            check.misconception = finding.variant.id
        check.diagnosis = explain(finding, functions or {})


# -- proof, for ``grader validate`` ------------------------------------------------------------------

@dataclass(frozen=True)
class Proof:
    """What ``grader validate`` proves about one exercise's misconceptions."""

    exercise: str
    variants: int
    affects: dict[str, tuple[str, ...]]  # variant id -> functions whose cases it fails
    problems: tuple[tuple[str, str], ...]  # (variant id, what is wrong)
    # variant id -> (cases where it differs from the reference but passes under the tolerance, cases where it
    # differs): the tolerance hides the mistake there, and grading gives those points to a student making it
    hidden: dict[str, tuple[int, int]] = field(default_factory=dict)


def prove(ex: Exercise, expected: Mapping[int, Any], variants: tuple[Variant, ...]) -> Proof:
    """Each variant fails some case, matches no other variant's numbers, and is recognised as itself.

    Every variant is graded as if it were a student's submission, through the same :func:`diagnose`
    that grades real students, so the proof covers exactly what students will see: no generic relation
    and no "fails because of a callee" takes the place of a declared mistake, and no relation fires on
    the reference.
    """
    problems = []
    affects: dict[str, tuple[str, ...]] = {}
    right = {c.index: (True, expected[c.index]) for c in ex.cases}
    for name, fn in ex.functions.items():
        relation = fingerprint(fn, [c for c in ex.cases if c.function == name], expected, right)
        if relation is not None:  # cannot happen unless fingerprint() is broken: then say so, not mislead students
            problems.append(("reference", f"the generic relation {relation.kind} fires on the reference in {name}()"))
    hidden: dict[str, tuple[int, int]] = {}
    for v in variants:
        problems.extend((v.id, text) for text in _prove_crashes(ex, expected, v, variants))
        # The comparison grading uses: a case the variant passes is a point a student making the mistake gets.
        failing_cases = [c for c in ex.cases if not _passes(v.outputs[c.index], expected[c.index], ex.functions[c.function], c)]
        # Where it really differs (beyond rounding, :mod:`grader.judge.evidence`) but passes: hidden by the tolerance.
        differing = [c for c in ex.cases
                     if not same(v.outputs[c.index], (True, expected[c.index]), ex.functions[c.function], tight=True)]
        passed = [c for c in differing if c not in failing_cases]
        if passed:
            hidden[v.id] = (len(passed), len(differing))
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
            if got is None or got.variant is None:
                rivals = [w.id for w in variants if w.id != v.id and all(
                    same(v.outputs[c.index], w.outputs[c.index], ex.functions[f]) for c in ex.cases if c.function == f)]
                why = (f"it gives the same numbers as {', '.join(rivals)}" if rivals else
                       f"the generic relation {got.relation.kind} is reported instead"
                       if got is not None and got.relation is not None else
                       f"it is blamed on {', '.join(got.upstream)} instead" if got is not None else
                       "no variant fits uniquely")
                problems.append((v.id, f"misconception {v.id}: a submission making this mistake is not recognised in {f}() "
                                f"({why}); add a case that tells them apart"))
            elif got.variant.id != v.id:
                problems.append((v.id, f"misconception {v.id}: a submission making this mistake would be diagnosed as "
                                f"{got.variant.id} in {f}(); add a case that tells them apart"))
    return Proof(ex.id, len(variants), affects, tuple(problems), hidden)


def _passes(out: Out, expected: Any, fn: Function, case: Case) -> bool:
    """Whether grading passes this outcome (:func:`grader.spec.tolerance.passes`, with the case's tolerance, as
    ``grade`` compares)."""
    return bool(out[0]) and passes(expected, out[1], fn.returns, case.tolerance(fn))


def _prove_crashes(ex: Exercise, expected: Mapping[int, Any], v: Variant, variants: tuple[Variant, ...]) -> list[str]:
    """Each crash rule can be named: ``when`` holds on some case of its functions, its crashing implementation
    raises a listed exception there, and a submission crashing like that implementation is diagnosed as ``v``."""
    problems = []
    for rule in v.crash:
        what = f"crash {'/'.join(rule.exceptions)} where {rule.when}"
        roots = [c for c in ex.cases if c.function in v.roots]
        try:
            where = [c for c in roots if when_holds(parse(rule.when, known=ex.functions[c.function].params),
                                                    ex.functions[c.function], c)]
        except ExprError:
            where = []
        if not where:
            problems.append(f"misconception {v.id}: crash.when {rule.when!r} holds on no case of {', '.join(v.roots)}, "
                            f"so a {'/'.join(rule.exceptions)} crash can never be named; add a case where it holds")
            continue
        if rule.outputs is None:
            continue
        if not any(rule.outputs.get(c.index, (True, None))[0] is False and rule.outputs[c.index][1] in rule.exceptions
                   for c in where):
            problems.append(f"misconception {v.id}: the implementation of {what} raises none of those exceptions on "
                            "a case where the condition holds, so this crash can never be named; add such a case "
                            "or fix the implementation")
            continue
        failing = {c.function for c in ex.cases
                   if not _passes(rule.outputs.get(c.index, (False, "")), expected[c.index], ex.functions[c.function], c)}
        found = diagnose(ex.functions, ex.cases, expected, rule.outputs, failing, variants)
        for f in sorted(failing & set(v.roots)):
            got = found.get(f)
            if got is None or got.kind != "crash" or got.variant is None or got.variant.id != v.id:
                problems.append(f"misconception {v.id}: a submission crashing as the implementation of {what} does "
                                f"is not recognised in {f}()"
                                + (f" (it is diagnosed as {got.variant.id if got.variant else got.kind})" if got else "")
                                + "; add a case that tells them apart")
    return problems
