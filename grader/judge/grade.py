"""Grade one submission: run it in the sandbox, compare with expected values, build the result record."""

from __future__ import annotations

import functools
import json
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.files import clean_up
from grader.judge.diagnose import Variant, annotate, diagnose, ends, student_outputs, variant_outputs
from grader.judge.early import Early
from grader.judge.figures import curves_as_numbers, figure_checks
from grader.judge.invariants import Trial, draw_course, judge
from grader.judge.quiz import grade_quizzes
from grader.judge.rounds import Call, CaseKey, Responses, Round, RoundKey, TrialKey
from grader.judge.sources import relocate, rename_files, resolve, write
from grader.record import Check, ExerciseResult, GradeResult, Status, passes
from grader.sandbox.backends import BEST_EFFORT_WARNING, Runner, runner_name
from grader.sandbox.client import SandboxCrashed, check_isolation, copy_submission, summarise_confinement
from grader.sandbox.task_error import UNFINISHED, ErrorKind, TaskError
from grader.spec.course import Case, Course, Exercise
from grader.spec.provenance import environment_of
from grader.spec.tolerance import Tolerance, compare, short

INPUT_CHARS = 300


class Ends:
    """Per exercise, the answers at both ends of the score each pick-by-score case picks by (course mode only).

    Filled when a diagnosis first needs them: they run reference code, which `grader check` on a correct
    submission never needs. One per check; a batch fills it before forking its workers, so that each inherits it.
    """

    def __init__(self, plan: Plan) -> None:
        self.active = plan.mode == "course" and plan.course.has_reference
        self._by_exercise: dict[str, dict[int, dict[str, Any]]] = {}

    def of(self, ex: Exercise) -> dict[int, dict[str, Any]]:
        if not self.active:
            return {}
        if ex.id not in self._by_exercise:
            self._by_exercise[ex.id] = ends(ex)
        return self._by_exercise[ex.id]


@dataclass(frozen=True)
class Plan:
    """What to run and what to expect: the same for every submission of a course, so built once (and never
    changed: what a diagnosis computes lazily lives in an ``Ends`` passed beside it)."""

    course: Course
    mode: str  # course | student
    expected: dict[tuple[str, int], Any]
    cases: dict[str, tuple[Case, ...]]  # exercise id -> cases graded in this mode
    rounds: tuple[Round, ...]  # the cases, and the invariant trials that share their limits
    invariant_rounds: tuple[Round, ...] = ()  # trials whose limits no case has: run after the others
    variants: dict[str, tuple[Variant, ...]] = field(default_factory=dict)  # exercise id -> known mistakes
    trials: dict[tuple[str, str], tuple[Trial, ...]] = field(default_factory=dict)  # (exercise, invariant) -> inputs
    # The call as a report shows it, per (exercise id, case index): the same for every submission.
    inputs: dict[tuple[str, int], str] = field(default_factory=dict)

    @classmethod
    def build(cls, course: Course, mode: str, expected: dict[tuple[str, int], Any],
              variants: dict[str, tuple[Variant, ...]] | None = None) -> Plan:
        """``variants`` default to the course's misconceptions, computed from the reference (course mode)."""
        if variants is None:
            variants = variant_outputs(course) if mode == "course" and course.has_reference else {}
        cases = {
            ex.id: tuple(c for c in ex.cases if mode == "course" or c.visibility == "public")
            for ex in course.exercises
        }
        by_id = {ex.id: ex for ex in course.exercises}
        by_limits: dict[str, tuple[dict[str, Any], list[Call]]] = {}
        inv_by_limits: dict[str, tuple[dict[str, Any], list[Call]]] = {}

        def add(ex: Exercise, key: RoundKey, function: str, args: Any, into: dict[str, tuple[dict[str, Any], list[Call]]],
                as_array: bool = False) -> None:
            limits = ex.limits.as_dict()
            group = into.setdefault(json.dumps(limits, sort_keys=True), (limits, []))
            task: dict[str, Any] = {"module": ex.module, "file": ex.file, "function": function,
                                    "args": json.dumps(list(args)), "returns": ex.functions[function].returns}
            if as_array:
                task["as_array"] = True
            group[1].append(Call(key, task))

        for ex in course.exercises:
            for case in cases[ex.id]:
                add(ex, CaseKey(ex.id, case.index), case.function, case.args, by_limits, case.as_array)
        trials = draw_course(course)
        for ex in course.exercises:
            for inv in ex.invariants:
                for trial in trials[(ex.id, inv.id)]:
                    for call in inv.calls:
                        add(by_id[call.exercise], TrialKey(ex.id, inv.id, trial.index, call.name), call.function,
                            trial.args[call.name], inv_by_limits)
        # Invariant calls ride in the same sandbox round as the cases with the same limits (one fork per
        # submission), after them, flagged so that the worker skips those of a function that failed or was
        # slow on its cases; which trials count is still decided here, from the cases' results.
        for limits_key, (_, calls) in list(inv_by_limits.items()):
            if limits_key in by_limits:
                by_limits[limits_key][1].extend(Call(c.key, {**c.task, "after_cases": INVARIANT_CALL_BUDGET})
                                                for c in calls)
                del inv_by_limits[limits_key]
        rounds = tuple(Round(lim, tuple(calls)) for lim, calls in by_limits.values())
        inv_rounds = tuple(Round(lim, tuple(calls)) for lim, calls in inv_by_limits.values())
        inputs = {(ex.id, c.index): format_call(c.function, c.args, c.as_array)
                  for ex in course.exercises for c in cases[ex.id]}
        return cls(course, mode, expected, cases, rounds, inv_rounds, variants, trials, inputs)


def format_call(function: str, args: tuple[Any, ...], as_array: bool = False) -> str:
    shown = [f"np.array({short(a, 12)})" if as_array and isinstance(a, list) else short(a, 12) for a in args]
    text = f"{function}({', '.join(shown)})"
    return text if len(text) <= INPUT_CHARS else text[: INPUT_CHARS - 1] + "…"


def _error_message(ex: Exercise, case: Case, error: dict[str, Any]) -> str:
    exc = error.get("exception", "Error")
    msg = error.get("message", "")
    where = f" ({error['file']}:{error['line']})" if error.get("file") and error.get("line") else ""
    fn = case.function
    if error.get("import_failed"):
        if error.get("missing"):
            return f"{ex.file} is missing from the submission"
        if exc == "NotImplementedError":
            return f"not implemented yet: importing {ex.file} raised NotImplementedError{where}"
        if exc in (ErrorKind.TIMEOUT, ErrorKind.CRASH):
            return msg
        if exc == "ModuleNotFoundError" and "'matplotlib" in msg:
            from grader.sandbox.figure import INSTALL_HINT

            return f"{ex.file} could not be imported: {exc}: {msg}{where}. {INSTALL_HINT}"
        return f"{ex.file} could not be imported: {exc}: {msg}{where}"
    if exc in ("ModuleNotFoundError", "ImportError") and "matplotlib" in msg:
        from grader.sandbox.figure import INSTALL_HINT

        return f"{fn}() could not draw its figure: {INSTALL_HINT}"
    if exc == "NotImplementedError":
        return f"not implemented yet: {fn}() raises NotImplementedError"
    if exc == ErrorKind.MISSING_FUNCTION:
        return f"{msg}; define it with the signature {fn}({', '.join(ex.functions[fn].params)})"
    if exc == ErrorKind.WRONG_TYPE:
        return f"{fn}() returned the wrong type: {msg}"
    if exc in UNFINISHED:
        return msg
    return f"{fn}() raised {exc}: {msg}{where}"


def _finite_floats(value: Any) -> list[float] | None:
    """``value`` as a flat list of finite floats, or None when it is anything else (then numpy compares)."""
    items = value if type(value) is list else [value]
    for v in items:
        if type(v) is not float or not math.isfinite(v):
            return None
    return items


def _surely_close(expected: Any, got: Any, returns: str, tol: Tolerance) -> bool:
    """The common case, a right answer of plain finite floats, decided without NumPy's per-call overhead.

    Same rule as ``tolerance.close``: |got - expected| <= max(atol, rtol * |expected|). Anything else
    (a mismatch, NaN, nested lists, ints) goes to ``tolerance.compare``, which also explains mismatches.
    """
    if returns == "int":
        return False
    e, g = _finite_floats(expected), _finite_floats(got)
    if e is None or g is None or len(e) != len(g) or (returns == "float") != (type(got) is float):
        return False
    atol, rtol = tol.atol, tol.rtol
    return all(abs(gv - ev) <= max(atol, rtol * abs(ev)) for ev, gv in zip(e, g, strict=True))


MAX_SHOWN = 10_000  # numbers of a returned value kept in the record; more are summarised


def _capped(value: Any) -> Any:
    """The value itself, or a short summary when it holds more than MAX_SHOWN numbers (a hostile or runaway
    result would otherwise make every report as large as the value)."""
    if type(value) is not list:
        return value
    count, stack = 0, [value]
    flat: list[Any] = []
    while stack:
        item = stack.pop()
        if type(item) is list:
            count += len(item)
            stack.extend(reversed(item))
        elif len(flat) < 5:
            flat.append(item)
    if count <= MAX_SHOWN:
        return value
    return f"<{count} values, more than the {MAX_SHOWN} a report shows; first: {', '.join(map(repr, flat))}>"


def _check(ex: Exercise, case: Case, result: dict[str, Any] | None, expected: Any, output: str,
           lines: dict[str, int], call: str | None = None) -> Check:
    fn = ex.functions[case.function]
    check = Check(
        name=case.check_name, status=Status.ERROR, score=0.0, max_score=case.points, message="",
        function=case.function, visibility=case.visibility,
        input=call if call is not None else format_call(case.function, case.args, case.as_array),
        expected=expected, output=output, file=ex.file, line=lines.get(case.function),
        intuition=fn.intuition or None,
    )
    if result is None:
        check.message = "not run (grader error)"
        return check
    check.duration = result.get("duration")
    if not result.get("ok"):
        error = result.get("error", {})
        check.message = _error_message(ex, case, error)
        check.details = {"exception": error.get("exception")}
        if error.get("line"):
            check.file, check.line = error.get("file") or ex.file, error["line"]
        return check
    got: Any = result.get("value")
    if type(got) is dict:  # a figure description for a function that returns numbers: a forged reply
        check.message = f"{case.function}() returned the wrong type: expected numbers, got a figure"
        check.details = {"exception": ErrorKind.WRONG_TYPE.value}
        return check
    check.got = got
    kind = str(result.get("type") or "")
    if fn.returns == "int" and "float" in kind:
        # A whole float was accepted as an int by the worker; an index that came back as a float is usually a
        # value (an entropy, a probability), so say so instead of reading 2.0 as "you picked index 2".
        check.got = float(got)
        check.message = (f"{case.function}() returned the wrong type: expected an int (a position), got the float "
                         f"{float(got)!r}; a float here is usually a value, not an index")
        check.details = {"exception": ErrorKind.WRONG_TYPE.value}
        return check
    # a case whose answer is NaN on purpose (`nan: expected`, which validate requires) is matched by a NaN
    tolerance = case.tolerance(fn)
    if _surely_close(expected, got, fn.returns, tolerance):
        check.details = {}
        check.status, check.score, check.message = Status.PASSED, case.points, "ok"
    else:
        outcome = compare(expected, got, fn.returns, tolerance)
        check.details = outcome.details
        if outcome.ok:
            check.status, check.score, check.message = Status.PASSED, case.points, "ok"
        else:
            check.status, check.message = Status.FAILED, outcome.message
    check.got = _capped(got)
    if fn.plot is not None and fn.returns == "array" and check.got is got:
        check.details["plot"] = {"x": case.args[fn.params.index(fn.plot["x"])], "x_label": fn.plot.get("x_label", fn.plot["x"]),
                                 "y_label": fn.plot.get("y_label", fn.name)}
    return check


def _diagnose(plan: Plan, ex: Exercise, checks: list[Check], responses: Responses, ends: Ends) -> None:
    variants = plan.variants.get(ex.id, ())
    # a figure's labels or legend are not numbers to diagnose: only its curve is
    failing = {c.function for c in checks if c.status != Status.PASSED and c.function
               and c.details.get("figure_check") in (None, "curve")}
    if not failing:
        return
    cases = plan.cases[ex.id]
    student = student_outputs({c.index: responses.get(CaseKey(ex.id, c.index), (None, ""))[0] for c in cases})
    expected = {c.index: plan.expected[(ex.id, c.index)] for c in cases}
    functions, expected, student, variants = curves_as_numbers(ex, expected, student, variants)
    checks = _one_check_per_case(cases, checks)
    findings = diagnose(functions, cases, expected, student, failing, variants, ends.of(ex))
    # A file that does not import is one message for the whole exercise; nothing to diagnose per function.
    for c in cases:
        result = responses.get(CaseKey(ex.id, c.index), (None, ""))[0] or {}
        if (result.get("error") or {}).get("import_failed"):
            findings.pop(c.function, None)
            failing.discard(c.function)
    annotate(checks, cases, findings, functions)
    for check in checks:  # a figure's finding is about the curve it draws
        d = check.diagnosis
        if check.kind == "figure" and d and isinstance(d.get("evidence"), str):
            d["evidence"] = d["evidence"].replace(f"your {check.function}() returns the same numbers",
                                                  f"the curve your {check.function}() draws has the same numbers")
    if plan.mode != "student":
        return
    # A local check names what the public cases can tell apart; where they cannot, it says so once.
    for f in sorted(failing - set(findings)):
        mine = [c for c in checks if c.function == f and c.status != Status.PASSED]
        if any(c.status == Status.FAILED for c in mine):  # wrong numbers; a crash or a wrong type says itself
            note: dict[str, Any] = {
                "id": None, "kind": "undetermined", "where": "here", "upstream": [], "evidence": "", "idea": "",
                "explanation": f"Your {f}() fails on the public cases, but they cannot tell which mistake it is; "
                               "the hidden cases will tell."}
            for failed in mine:
                failed.diagnosis = note


def _one_check_per_case(cases: tuple[Case, ...], checks: list[Check]) -> list[Check]:
    """The checks diagnosis writes into, one per case: a figure case's curve check (else its first check)."""
    rest = iter(checks)
    one = []
    for c in cases:
        if c.figure:
            group = [next(rest) for _ in c.figure]
            one.append(next((k for k, spec in zip(group, c.figure, strict=True) if spec.kind == "curve"), group[0]))
        else:
            one.append(next(rest))
    return one


def _link_note(submission: Path, file: str) -> list[str]:
    """A symbolic link is never followed (it could point at the reference): say so, instead of only 'missing'."""
    return [f"{file} is a symbolic link, which the grader does not follow: submit the file itself"] \
        if (submission / file).is_symlink() else []


INVARIANT_CALL_BUDGET = 0.25  # seconds a function may take per case and still get random trials


def _not_for_trials(plan: Plan, responses: Responses
                    ) -> dict[tuple[str, str], str]:
    """(module, function) -> why its invariant trials do not count: it failed to run or is slow on a case.

    A slow function would multiply its time by the number of trials; its cases already say what is wrong.
    """
    slow: dict[tuple[str, str], str] = {}
    for ex in plan.course.exercises:
        for case in plan.cases[ex.id]:
            result = responses.get(CaseKey(ex.id, case.index), (None, ""))[0] or {}
            exception = (result.get("error") or {}).get("exception")
            key = (ex.module, case.function)
            if (result.get("error") or {}).get("import_failed"):
                slow[key] = f"not run: {ex.file} could not be imported"
            elif exception in UNFINISHED:
                slow[key] = f"not run: {case.function}() did not finish its cases"
            elif exception is not None:
                slow.setdefault(key, f"not run: {case.function}() raised {exception} on its cases")
            elif (result.get("duration") or 0) > INVARIANT_CALL_BUDGET:
                # No measured figure in the message: the same submission must give the same report.
                slow.setdefault(key, f"not run: {case.function}() takes over {INVARIANT_CALL_BUDGET:g} s per case, "
                                     "too slow for random trials")
    return slow


def _skipped(why: str) -> tuple[dict[str, Any], str]:
    return TaskError(ErrorKind.SKIPPED, why).result(), ""


def _skip_trials(plan: Plan, responses: Responses) -> None:
    """After the case rounds: the trials that ran with the cases count only for functions fit for trials."""
    slow = _not_for_trials(plan, responses)
    for rnd in plan.rounds:
        for call in rnd.calls:
            if isinstance(call.key, TrialKey):
                why = slow.get((call.task["module"], call.task["function"]))
                if why:
                    responses[call.key] = _skipped(why)


def _invariant_rounds(plan: Plan, responses: Responses) -> list[Round]:
    """Invariant calls whose limits match no case round, less those of functions unfit for trials (answered as
    skipped here): rounds of their own, decided once the case rounds have answered."""
    slow = _not_for_trials(plan, responses)
    out = []
    for rnd in plan.invariant_rounds:
        kept = []
        for call in rnd.calls:
            why = slow.get((call.task["module"], call.task["function"]))
            if why:
                responses[call.key] = _skipped(why)
            else:
                kept.append(call)
        out.append(Round(rnd.limits, tuple(kept)))
    return out


def _invariant_checks(plan: Plan, ex: Exercise,
                      responses: Responses) -> list[Check]:
    checks = []
    for inv in ex.invariants:
        trials = plan.trials.get((ex.id, inv.id), ())
        results: dict[int, dict[str, tuple[bool, Any]]] = {}
        for trial in trials:
            results[trial.index] = {}
            for call in inv.calls:
                result, _ = responses.get(TrialKey(ex.id, inv.id, trial.index, call.name), (None, ""))
                if result is None:
                    results[trial.index][call.name] = (False, "not run")
                elif result.get("ok"):
                    results[trial.index][call.name] = (True, result.get("value"))
                else:
                    error = result.get("error") or {}
                    what = error.get("exception", "Error")
                    results[trial.index][call.name] = (False, error.get("message", "") if what == ErrorKind.SKIPPED else
                                                       f"raised {what}: {error.get('message', '')}".rstrip(": "))
        if trials:
            checks.append(judge(inv, trials, results))
    return checks


def _blame_invariants(exercises: list[ExerciseResult], course: Course) -> None:
    """A failed property names the function whose value is suspect, and is shown under that function's exercise.

    A called function that fails its own cases is the suspect ("entropy() fails its own cases, so this
    property fails because of entropy()"); when all pass, a property that calls one function blames it.
    An advisory property (0 points) moves to the suspect's exercise; one that counts stays where its
    points are.
    """
    status: dict[tuple[str, str], bool] = {}
    for ex in exercises:
        for c in ex.checks:
            if c.kind != "invariant" and c.function:
                key = (ex.id, c.function)
                status[key] = status.get(key, True) and c.status == Status.PASSED
    by_id = {ex.id: ex for ex in exercises}
    for ex in exercises:
        for check in list(ex.checks):
            if check.kind != "invariant" or check.status != Status.FAILED:
                continue
            called = []
            for name in check.details.get("functions", []):
                owner, _, fn = name.rpartition(".")
                called.append((owner or ex.id, fn))
            bad = [k for k in called if status.get(k) is False]
            if bad:
                names = " and ".join(f"{fn}()" for _, fn in bad)
                verb = "fails" if len(bad) == 1 else "fail"
                check.details["blame"] = (f"{names} {verb} its own cases, so this property fails because of "
                                          f"{names}" if len(bad) == 1 else
                                          f"{names} {verb} their own cases, so this property fails because of them")
            elif len(called) == 1:
                bad = called
                check.details["blame"] = (f"{called[0][1]}() passes its own cases, but its values break this "
                                          "property on random inputs")
            else:
                check.details["blame"] = ("every function it calls passes its own cases; the random inputs show a "
                                          "mistake the cases miss in one of " + ", ".join(f"{f}()" for _, f in called))
            if len(bad) == 1:
                owner, fn = bad[0]
                check.details["suspect"] = f"{owner}.{fn}"
                target = by_id.get(owner)
                if target is not None and target is not ex and check.max_score == 0:
                    ex.checks.remove(check)
                    target.checks.append(check)


def _strip_paths(result: dict[str, Any] | None, output: str, prefix: str) -> tuple[dict[str, Any] | None, str]:
    """Reports name the student's files, not the grader's temporary folder (which also changes every run)."""
    error = (result or {}).get("error")
    if error and isinstance(error.get("message"), str) and prefix in error["message"]:
        result = {**(result or {}), "error": {**error, "message": error["message"].replace(prefix, "")}}
    return result, output.replace(prefix, "")


def forbidden_roots(course: Course, submission: Path, extra: tuple[Path, ...] = ()) -> list[str]:
    roots = {str(course.root), str(submission.resolve().parent), str(submission.resolve())}
    roots.update(str(p.resolve()) for p in extra)
    return sorted(roots)


class _Sandboxed:
    """The rounds of one grading, run one after another: each in a fresh copy of the submission, its answers
    filed under their keys, the confinement each reports, the import lines, and the first grader error."""

    def __init__(self, plan: Plan, submission: Path, sandbox: Runner, work: Path, sources: dict[str, Any],
                 forbidden: list[str], policy: str, early: Early | None, started: float) -> None:
        self.plan, self.submission, self.sandbox, self.work, self.sources = plan, submission, sandbox, work, sources
        self.forbidden, self.policy, self.early, self.started = forbidden, policy, early, started
        self.responses: Responses = {}
        self.lines: dict[str, dict[str, int]] = {}
        self.layers: list[dict[str, Any]] = []
        self.grader_error: str | None = None

    def run(self, rnd: Round) -> None:
        if not rnd.calls:
            return
        try:
            used, response = self._answer(rnd)
        except SandboxCrashed as exc:
            self.grader_error = f"{exc}\n{exc.detail}" if exc.detail else str(exc)
            for call in rnd.calls:
                self.responses[call.key] = (TaskError(ErrorKind.CRASH, str(exc)).result(), "")
            return
        self.layers.append(response.get("confinement") or {})
        if response.get("internal"):
            self.grader_error = "internal error in the sandbox worker:\n" + response["internal"]
        for call, result, output in zip(rnd.calls, response["results"], response["outputs"], strict=True):
            self.responses[call.key] = _strip_paths(result, output, f"{used}{os.sep}")
        for module, info in response["imports"].items():
            self.lines[module] = info.get("lines", {})

    def _answer(self, rnd: Round) -> tuple[Path, dict[str, Any]]:
        """The sandbox's response to ``rnd``, and the folder it ran in: `grader check`'s early round when this is
        the first round and the early one ran exactly it, else a fresh copy of the submission."""
        if self.early is not None:  # the first round only
            early, self.early = self.early, None
            taken = early.first_round(rnd.tasks, rnd.limits, self.forbidden, self.policy)
            if taken is not None:  # that round is part of this grading: the record's duration counts it
                self.started = min(self.started, early.started)
                return taken
        # a fresh copy per round, so one round's files cannot influence the next
        if os.path.lexists(self.work) and clean_up(self.work):
            raise SandboxCrashed("the previous round's sandbox copy could not be removed")
        self.work.mkdir()
        copy_submission(self.submission, self.work)
        write(self.sources, self.plan.course, self.work)
        return self.work, self.sandbox.run(self.work, rnd.tasks, rnd.limits, self.forbidden, self.policy)


def _exercise_results(plan: Plan, submission: Path, sources: dict[str, Any], done: _Sandboxed,
                      ends: Ends) -> list[ExerciseResult]:
    """Each exercise's checks from the answers: cases, their diagnosis, then its properties."""
    course, responses = plan.course, done.responses
    exercises = []
    for ex in course.exercises:
        checks = []
        for case in plan.cases[ex.id]:
            result, output = responses.get(CaseKey(ex.id, case.index), (None, ""))
            if case.figure:
                call = plan.inputs.get((ex.id, case.index)) or format_call(case.function, case.args, case.as_array)
                checks.extend(figure_checks(ex, case, result, plan.expected[(ex.id, case.index)], output,
                                            done.lines.get(ex.module, {}).get(case.function), call,
                                            functools.partial(_error_message, ex, case)))
                continue
            checks.append(_check(ex, case, result, plan.expected[(ex.id, case.index)], output,
                                 done.lines.get(ex.module, {}), plan.inputs.get((ex.id, case.index))))
        relocate(ex, sources.get(ex.id), checks)
        _diagnose(plan, ex, checks, responses, ends)
        for inv_check in _invariant_checks(plan, ex, responses):
            inv_check.message = rename_files(course, sources, inv_check.message) if sources else inv_check.message
            checks.append(inv_check)
        max_score = ex.points if plan.mode == "course" else \
            sum(c.points for c in plan.cases[ex.id]) + sum(inv.points for inv in ex.invariants)
        source = sources.get(ex.id)
        exercises.append(ExerciseResult(
            id=ex.id, title=ex.title, file=source.file if source else ex.file,
            score=round(sum(c.score for c in checks), 6), max_score=max_score, checks=checks, intuition=ex.intuition,
            notes=(source.notes if source else []) + _link_note(submission, source.file if source else ex.file),
        ))
    _blame_invariants(exercises, course)
    return exercises


def grade_submission(plan: Plan, submission: Path, sandbox: Runner, *, student: str | None = None,
                     extra_forbidden: tuple[Path, ...] = (), now: datetime | None = None,
                     scratch: Path | None = None, early: Early | None = None, accept: tuple[str, ...] = (),
                     ends: Ends | None = None) -> GradeResult:
    """Grade ``submission`` (left untouched) and return the result record.

    ``now`` decides whether quiz answers are revealed (course setting ``reveal: after_due``); default: the clock.
    The sandbox gets a copy in a new folder under ``scratch`` (default: the system's temporary folder);
    a batch passes a RAM-backed folder, and lists it in ``extra_forbidden`` so that submissions graded at
    the same time cannot read each other's copies (a worker may always read its own). ``early``: `grader
    check`'s early round (grader.judge.early), used for the first round only if it was that round; whoever
    started it closes it. ``accept``: the student's group, when one submission is the group's: a quiz sheet built
    for any member is graded as that member's sheet, under ``student``. ``ends``: the plan's lazily computed
    answers at both ends of pick-by-score cases, shared by the submissions of one run (default: this grading's own).

    In named steps: the case rounds, then which trials count, then the remaining trial rounds (all run before
    anything is judged); then each exercise's result, the quizzes, and the totals.
    """
    started = time.perf_counter()
    course = plan.course
    confined = runner_name(sandbox) == "confined"
    # Kernel confinement guards hidden cases: in course mode `required` refuses before any student code runs; a
    # student's own check (public cases only) is graded with whatever layers this kernel has, and says which.
    policy = course.isolation if plan.mode == "course" else "best-effort"
    if confined:
        check_isolation(policy)
    sources = resolve(course, submission)  # notebooks become modules here, as data; the sandbox runs them
    tmp = tempfile.mkdtemp(prefix="grader-", dir=scratch)
    try:  # removed by clean_up, not TemporaryDirectory: a tree the student's code made can be 1,500 folders deep
        done = _Sandboxed(plan, submission, sandbox, Path(tmp) / "submission", sources,
                          forbidden_roots(course, submission, extra_forbidden), policy, early, started)
        for rnd in plan.rounds:
            done.run(rnd)
        _skip_trials(plan, done.responses)
        for rnd in _invariant_rounds(plan, done.responses):
            done.run(rnd)
    finally:
        clean_up(Path(tmp))
    exercises = _exercise_results(plan, submission, sources, done, ends or Ends(plan))
    quizzes, quiz_error = grade_quizzes(course.quizzes, submission, student=student, reveal=course.reveal,
                                        due=course.due, now=now, accept=accept)
    grader_error = done.grader_error
    if quiz_error:
        grader_error = f"{grader_error}\n{quiz_error}" if grader_error else quiz_error
    score = round(sum(e.score for e in exercises) + sum(q.score for q in quizzes), 6)
    max_score = round(sum(e.max_score for e in exercises) + sum(q.max_score for q in quizzes), 6)
    pending = round(sum(q.pending for q in quizzes), 6)
    return GradeResult(
        course=course.title, student=student, mode=plan.mode, score=score, max_score=max_score,
        pass_threshold=course.pass_threshold, passed=passes(score, max_score, pending, course.pass_threshold),
        pending=pending, exercises=exercises, quizzes=quizzes, grader_error=grader_error,
        duration=round(time.perf_counter() - done.started, 4),
        reveal=course.reveal, environment=environment_of(course.spec_hash),
        confinement=summarise_confinement(policy, done.layers) if confined else None, runner=runner_name(sandbox),
        warnings=[BEST_EFFORT_WARNING] if plan.mode == "course" and not confined else [],
    )
