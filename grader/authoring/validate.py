"""``grader validate``: the spec parses, matches the schemas, and the reference passes its own checks."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import yaml

from grader.errors import Problem, SpecError
from grader.judge.diagnose import prove, variant_module, variant_outputs
from grader.judge.figures import curve_changers, curves_as_numbers, reference_problems
from grader.judge.invariants import draw_course, judge_in_process
from grader.record import Status
from grader.spec.course import Course, load_course
from grader.spec.expected import reference_outputs
from grader.spec.reference import plain, reference_module
from grader.spec.tolerance import compare, fmt, half_unit
from grader.spec.yamlspec import display_path


@dataclass(frozen=True)
class Report:
    course: Course
    cases: int
    pinned: int
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def validate(root: Path, *, strict: bool = False) -> Report:
    """Raise SpecError listing every problem; return a summary when the course is sound.

    Warnings (a TODO left by ``grader new``, a schema modeline that points nowhere, a YAML file course.yaml
    does not list) do not stop a course; with ``strict`` they do.
    """
    course = load_course(root)
    problems: list[Problem] = []
    expected = reference_outputs(course)  # the reference failing is a ReferenceError_: a SpecError at its line
    pinned = 0
    for ex in course.exercises:
        where = display_path(ex.spec_path, course.root) if ex.spec_path else ex.id
        for case in ex.cases:
            if case.pinned is None:
                continue
            pinned += 1
            fn = ex.functions[case.function]
            got = expected[(ex.id, case.index)]
            half = half_unit(case.pinned)
            try:
                outcome = compare(case.pinned, got, fn.returns, fn.tolerance.__class__(
                    rtol=fn.tolerance.rtol, atol=max(fn.tolerance.atol, half), nan=fn.tolerance.nan))
            except (TypeError, ValueError) as exc:
                problems.append(Problem(where, case.line, 1, f"case {case.name!r}: expected: {exc}"))
                continue
            if not outcome.ok:
                rule = (f"a pinned figure may differ by half a unit of its last decimal, here {half:g}" if half
                        else "a whole number is compared with the function's tolerance")
                problems.append(Problem(where, case.line, 1,
                                        f"case {case.name!r}: the reference disagrees with expected: "
                                        f"{outcome.message} ({rule}); the reference gives "
                                        f"{_full(got)}: paste that, or fix the reference"))
    if problems:
        raise SpecError(problems)
    notes = _feedback_proofs(course, expected)
    located, unlisted_files = [*todos(course), *modelines(course)], unlisted(course)
    if strict and (located or unlisted_files):
        raise SpecError([*located, *(Problem("course.yaml", 1, 1, w) for w in unlisted_files)],
                        "--strict refuses warnings; without it they are printed and the course is used.")
    warned = tuple(str(p) for p in located) + unlisted_files
    return Report(course, sum(len(e.cases) for e in course.exercises), pinned, notes, warned)


def _files(course: Course) -> list[tuple[Path, str]]:
    """Every YAML file of the course with the schema it is checked against."""
    out = [(course.root / "course.yaml", "course")]
    out += [(ex.spec_path, "exercise") for ex in course.exercises if ex.spec_path]
    out += [(q.file, "quiz") for q in course.quiz_items]
    return out


def todos(course: Course) -> list[Problem]:
    """Every text still holding ``TODO`` (``grader new`` writes them in intuitions and docstrings): students
    would read it in their stubs and reports."""
    from grader.spec.yamlspec import load_yaml

    out: list[Problem] = []
    for path, _ in _files(course):
        doc = load_yaml(path, course.root)
        for keys, value in _strings(doc.data, []):
            if "TODO" in value:
                text = " ".join(value.split())
                text = text if len(text) <= 70 else text[:67] + "..."
                label = ".".join(str(k) for k in keys)
                out.append(doc.problem(keys, f"{label} still says TODO ({text!r}): students would read it; "
                                             "write the real text"))
    return out


def _strings(value: Any, keys: list[Any]) -> Iterator[tuple[list[Any], str]]:
    """Every string in a YAML document, with the keys that lead to it."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, [*keys, k])
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, [*keys, i])
    elif isinstance(value, str):
        yield keys, value


def modelines(course: Course) -> list[Problem]:
    """A ``# yaml-language-server: $schema=...`` line that points at no schema, or at another kind's: the
    editor then checks nothing (or the wrong thing) as the author types. Says the path that works here."""
    import re

    from grader.spec.yamlspec import modeline_target

    out = []
    for path, kind in _files(course):
        try:
            head = path.read_text("utf-8").splitlines()[:3]
        except (OSError, UnicodeDecodeError):
            continue
        for n, line in enumerate(head, 1):
            m = re.match(r"\s*#\s*yaml-language-server:\s*\$schema=(\S+)", line)
            if m is None or "://" in m.group(1):
                continue
            target = (path.parent / m.group(1)).resolve()
            want = f"{kind}.schema.json"
            right = modeline_target(path.parent, kind)
            if not target.is_file():
                problem = f"the schema modeline points at {m.group(1)}, which does not exist"
            elif target.name != want:
                article = "an" if kind == "exercise" else "a"
                problem = f"the schema modeline points at {target.name}, but this is {article} {kind} file"
            else:
                continue
            out.append(Problem(display_path(path, course.root), n, line.index("$schema=") + 9,
                               f"{problem}: write $schema={right} so that an editor checks it as you type"))
    return out


def unlisted(course: Course) -> tuple[str, ...]:
    """Exercise or quiz files beside the listed ones that course.yaml does not list: they would be ignored."""
    listed = {ex.spec_path.resolve() for ex in course.exercises if ex.spec_path}
    listed |= {q.file.resolve() for q in course.quiz_items}
    folders = {p.parent for p in listed} | {course.root / "exercises"}
    out = []
    for folder in sorted(f for f in folders if f.is_dir()):
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            if path.resolve() in listed:
                continue
            try:
                head = yaml.safe_load(path.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                head = None
            head = head if isinstance(head, dict) else {}
            rel = display_path(path, course.root)
            ident = head.get("id", path.stem)
            section = "quizzes" if head.get("kind") == "quiz" else "exercises"
            out.append(f"{rel} is not listed in course.yaml, so it is not graded; to grade it, add "
                       f"- {{id: {ident}, file: {rel}, points: N}} under {section}:")
    return tuple(out)


def _count(n: int, noun: str) -> str:
    """``1 invariant``, ``2 invariants``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _full(value: Any) -> str:
    """Full precision, ready to paste into the YAML."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_full(v) for v in value) + "]"
    return repr(float(value)) if isinstance(value, (float, np.floating)) else repr(value)


PROBES = 24


def _perturbed(value: Any, rng: np.random.Generator) -> Any:
    """An input like ``value``: a distribution becomes another of the same length, a number a nearby one."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                          for v in value):
        arr = np.asarray(value, dtype=float)
        if np.all(arr >= 0) and abs(arr.sum() - 1) < 1e-6:
            return [float(x) for x in rng.dirichlet(np.ones(len(arr)))]
        return [float(x * rng.uniform(0.5, 1.5)) for x in arr]
    if isinstance(value, (list, tuple)):
        return [_perturbed(v, rng) for v in value]
    if isinstance(value, float):
        return float(rng.uniform(0.01, 0.99)) if 0 < value < 1 else float(value * rng.uniform(0.5, 1.5))
    return value


def _same_as_reference(ex: Any, mis: Any, ref: ModuleType) -> str:
    """A misconception no case catches: either it is no mistake at all, or the cases miss it (say where)."""
    variant = variant_module(ex, mis)
    rng = np.random.default_rng(20260)
    for case in ex.cases:
        fn = ex.functions[case.function]
        for _ in range(PROBES // max(1, len(ex.cases)) + 1):
            args = [_perturbed(a, rng) for a in case.args]
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    want = plain(getattr(ref, case.function)(*copy.deepcopy(args)), fn.returns)
                    got = plain(getattr(variant, case.function)(*copy.deepcopy(args)), fn.returns)
                    differs = not compare(want, got, fn.returns, fn.tolerance).ok
                except Exception:
                    continue
            if differs:
                return (f"misconception {mis.id} matches the reference on every case, so no case can catch it; it "
                        f"differs on {case.function}({', '.join(fmt(a) for a in args)}): add a case like that one")
    return (f"misconception {mis.id} is not a mistake: it gives the reference's answers on every case and on "
            f"random inputs like them, so no case can ever catch it; check its transform or implementation "
            f"(is it the reference itself?), or remove it")


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
    trials = draw_course(course)
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
        ex_expected = {c.index: expected[(ex.id, c.index)] for c in ex.cases}
        ex_variants = variants.get(ex.id, ())
        figure_notes = []
        for case in ex.cases:
            if case.figure:
                drawn = {v.id: v.outputs[case.index][1] for v in ex_variants
                         if case.index in v.outputs and v.outputs[case.index][0]}
                problems.extend(Problem(where, case.line, 1, f"case {case.name!r}: {text}")
                                for text in reference_problems(ex, case, ex_expected[case.index], drawn))
                changers = curve_changers(ex, case, ex_expected[case.index], drawn)
                figure_notes.append(f"the reference's figure passes its {_count(len(case.figure), 'figure check')}"
                                    + (f" and {', '.join(changers)} {'fails' if len(changers) == 1 else 'fail'} "
                                       "the curve check" if changers else ""))
        functions, ex_expected, _, ex_variants = curves_as_numbers(ex, ex_expected, {}, ex_variants)
        proof = prove(replace(ex, functions=functions), ex_expected, ex_variants)
        lines = {m.id: m.line for m in ex.misconceptions}
        for mid, text in proof.problems:
            if "matches the reference on every case" in text:
                text = _same_as_reference(ex, next(m for m in ex.misconceptions if m.id == mid), refs[ex.id])
            problems.append(Problem(where, lines.get(mid, 1), 1, text))
        parts = []
        if proof.variants:
            parts.append(f"{_count(proof.variants, 'misconception')}, "
                         f"{'all told apart' if proof.variants > 1 else 'told apart'} by its "
                         f"{_count(len(ex.cases), 'case')}")
        if ex.invariants:
            hits = sorted(caught.get(ex.id, ()))
            n = len(ex.invariants)
            parts.append(f"{_count(n, 'invariant')} {'holds' if n == 1 else 'hold'} for the reference"
                         + (f" and also {'catches' if n == 1 else 'catch'} {', '.join(hits)}" if hits else ""))
        if proof.variants:
            parts.append(f"no generic relation fires on {'it' if proof.variants == 1 else 'them'} or on the reference")
        parts.extend(figure_notes)
        if parts:
            notes.append(f"{ex.id}: " + "; ".join(parts))
    if problems:
        raise SpecError(problems)
    return tuple(notes)
