"""Judging invariants: seeded trials drawn here, the calls run in the sandbox, the laws checked here.

The declaration and its parser live in grader.spec.invariants; nothing here imports student code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.errors import Problem, SpecError
from grader.record import Check, Status
from grader.spec.course import Course, Exercise
from grader.spec.expr import Expr, ExprError, evaluate, plain
from grader.spec.invariants import Invariant
from grader.spec.tolerance import short
from grader.spec.yamlspec import display_path


@dataclass(frozen=True)
class Trial:
    """The inputs of one trial and the plain arguments of each call."""

    index: int
    inputs: dict[str, Any]
    args: dict[str, list[Any]]

    @property
    def size(self) -> tuple[int, float, int]:
        """The documented size order for the counter-example to show: first n (how many numbers the inputs
        hold), then magnitude (the sum of their absolute values), then the length of the text."""
        values = [np.asarray(v, dtype=float) for v in self.inputs.values()]
        count = sum(v.size for v in values)
        magnitude = float(sum(np.nansum(np.abs(v)) for v in values))
        return count, round(magnitude, 9), len(format_inputs(self.inputs))


def draw(inv: Invariant) -> tuple[Trial, ...]:
    """The trials' inputs: the same on every machine and run, because each trial has its own seeded stream.

    An input that cannot be computed (``p[3]`` of a drawn ``dist(2)``) raises ExprError naming the key and the
    trial: the course's mistake, found only when the trial is drawn."""
    trials = []
    for t in range(inv.trials):
        rng = np.random.Generator(np.random.PCG64([inv.seed, t]))
        env: dict[str, Any] = {}
        key = ""
        try:
            for name, expr in inv.given:
                key = f"given.{name}"
                env[name] = evaluate(expr, env, rng=rng, tol=inv.tolerance)
            args = {}
            for c in inv.calls:
                key = f"calls.{c.name}"
                args[c.name] = [plain(evaluate(a, env, tol=inv.tolerance)) for a in c.args]
        except ExprError as exc:
            raise ExprError(f"{key}: {exc} (in trial {t + 1} of {inv.trials})") from None
        trials.append(Trial(t, {k: plain(v) for k, v in env.items()}, args))
    return tuple(trials)


def _draw_or_explain(course: Course, pairs: list[tuple[Exercise, Invariant]]) -> list[tuple[Trial, ...]]:
    """``draw`` for each (exercise, invariant), or one SpecError listing every invariant whose inputs cannot
    be computed, at the invariant's line in its exercise file."""
    out, problems = [], []
    for ex, inv in pairs:
        try:
            out.append(draw(inv))
        except ExprError as exc:
            where = display_path(ex.spec_path, course.root) if ex.spec_path else ex.id
            index = [i.id for i in ex.invariants].index(inv.id)
            problems.append(Problem(where, inv.line or 1, 1, f"invariants[{index}] ({inv.id}): {exc}"))
    if problems:
        raise SpecError(problems, "Fix the invariant's given: (or calls:) so that every trial can be computed; "
                                  "grader validate runs them all.")
    return out


def draw_course(course: Course) -> dict[tuple[str, str], tuple[Trial, ...]]:
    """Every invariant's trials, by (exercise id, invariant id); kept as JSON in the grader's cache for a
    course with a reference (drawing them is most of the cost of planning a course's grading)."""
    from grader.spec import cache

    disk_key = cache.course_key(course, "trials") if course.has_reference else None
    stored = cache.load(disk_key) if disk_key else None
    out: dict[tuple[str, str], tuple[Trial, ...]] = {}
    missing = []
    for ex in course.exercises:
        for inv in ex.invariants:
            trials = _stored_trials(stored.get(f"{ex.id}/{inv.id}") if isinstance(stored, dict) else None, inv)
            if trials is None:
                missing.append((ex, inv))
            else:
                out[(ex.id, inv.id)] = trials
    if missing:
        stored = None
        for (ex, inv), trials in zip(missing, _draw_or_explain(course, missing), strict=True):
            out[(ex.id, inv.id)] = trials
        out = {(ex.id, inv.id): out[(ex.id, inv.id)] for ex in course.exercises for inv in ex.invariants}
    if disk_key and stored is None:
        cache.store(disk_key, {f"{ex_id}/{inv_id}": [[t.index, t.inputs, t.args] for t in trials]
                               for (ex_id, inv_id), trials in out.items()})
    return out


def _stored_trials(rows: Any, inv: Invariant) -> tuple[Trial, ...] | None:
    """Trials read back from the cache, or None when the rows are not what ``draw`` writes for ``inv``."""
    if not isinstance(rows, list) or len(rows) != inv.trials:
        return None
    calls = sorted(c.name for c in inv.calls)
    given = [name for name, _ in inv.given]
    trials = []
    for i, row in enumerate(rows):
        if not (isinstance(row, list) and len(row) == 3 and row[0] == i and isinstance(row[1], dict)
                and isinstance(row[2], dict) and list(row[1]) == given and sorted(row[2]) == calls):
            return None
        trials.append(Trial(i, row[1], row[2]))
    return tuple(trials)


def format_inputs(inputs: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {short(v)}" for k, v in inputs.items())


Outcome = tuple[bool, Any]  # (True, value) or (False, "raised ValueError: ..." / "not run: ...")


def evaluate_trial(inv: Invariant, trial: Trial, results: Mapping[str, Outcome]) -> tuple[str, Expr | None, str]:
    """("ok" | "failed" | "error", the expectation that failed, a message) for one trial."""
    env: dict[str, Any] = {k: (np.asarray(v, dtype=float) if isinstance(v, list) else v)
                           for k, v in trial.inputs.items()}
    for call in inv.calls:
        ok, value = results[call.name]
        if not ok:
            reason = str(value)
            return "error", None, reason[len("not run: "):] if reason.startswith("not run: ") else f"{call.text} {reason}"
        env[call.name] = np.asarray(value, dtype=float) if isinstance(value, list) else value
    for expr in inv.expect:
        try:
            holds = evaluate(expr, env, tol=inv.tolerance)
        except ExprError as exc:
            return "failed", expr, f"{expr.text} cannot be evaluated ({exc})"
        if not isinstance(holds, (bool, np.bool_)):
            holds = bool(np.all(holds))
        if not holds:
            return "failed", expr, f"{expr.text} does not hold"
    return "ok", None, ""


def _values(inv: Invariant, trial: Trial, results: Mapping[str, Outcome], expr: Expr) -> dict[str, str]:
    """The call results an expectation reads, as the report shows them: ``h: entropy(p) = 1.5``."""
    out = {}
    for call in inv.calls:
        if call.name in expr.names:
            out[call.name] = f"{call.text} = {short(plain(results[call.name][1]))}"
    return out


def judge(inv: Invariant, trials: tuple[Trial, ...], results: Mapping[int, Mapping[str, Outcome]]) -> Check:
    """The result record's view of an invariant: passed, or the smallest counter-example and what it breaks."""
    functions = sorted({c.function if c.exercise == inv.exercise else f"{c.exercise}.{c.function}"
                        for c in inv.calls})
    check = Check(
        name=inv.check_name, status=Status.PASSED, score=inv.points, max_score=inv.points,
        message=f"holds on {len(trials)} random inputs", kind="invariant", visibility="public",
        intuition=inv.intuition or None,
        details={"invariant": inv.id, "says": inv.says, "trials": len(trials), "functions": functions,
                 "expect": [e.text for e in inv.expect], "advisory": inv.points == 0},
    )
    failed: list[tuple[Trial, Expr, str]] = []
    errors: list[tuple[Trial, str]] = []
    for trial in trials:
        status, expr, message = evaluate_trial(inv, trial, results[trial.index])
        if status == "failed":
            assert expr is not None
            failed.append((trial, expr, message))
        elif status == "error":
            errors.append((trial, message))
    if failed:
        trial, expr, message = min(failed, key=lambda f: f[0].size)
        values = _values(inv, trial, results[trial.index], expr)
        check.status, check.score = Status.FAILED, 0.0
        check.input = format_inputs(trial.inputs)
        check.message = (f"fails on {len(failed)} of {len(trials)} random inputs; smallest counter-example: "
                         f"{check.input}: {message}")
        check.details.update(failed_trials=len(failed), counterexample=trial.inputs, broken=expr.text,
                             values=values)
        check.got = values
    elif errors:
        trial, message = min(errors, key=lambda e: e[0].size)
        check.status, check.score = Status.ERROR, 0.0
        check.input = format_inputs(trial.inputs)
        if len(errors) == len(trials) and len({m for _, m in errors}) == 1:
            check.input = None
            check.message = f"not checked: {message}"
        else:
            check.message = (f"could not be checked on {len(errors)} of {len(trials)} random inputs: {message}; "
                             f"the smallest: {check.input}")
        check.details.update(error_trials=len(errors))
    return check


def judge_in_process(inv: Invariant, trials: tuple[Trial, ...],
                     call: Callable[[str, str, list[Any]], Outcome]) -> Check:
    """Judge an invariant against trusted code (the reference, or a known mistake) without the sandbox."""
    results = {t.index: {c.name: call(c.exercise, c.function, t.args[c.name]) for c in inv.calls} for t in trials}
    return judge(inv, trials, results)
