"""Grade one submission: run it in the sandbox, compare with expected values, build the result record."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.course import Case, Course, Exercise
from grader.quiz.grading import grade_quizzes
from grader.record import Check, ExerciseResult, GradeResult, Status
from grader.sandbox.client import Sandbox, SandboxCrashed, copy_submission
from grader.tolerance import compare, fmt

INPUT_CHARS = 300


@dataclass(frozen=True)
class Plan:
    """What to run and what to expect: the same for every submission of a course, so built once."""

    course: Course
    mode: str  # course | student
    expected: dict[tuple[str, int], Any]
    cases: dict[str, tuple[Case, ...]]  # exercise id -> cases graded in this mode
    groups: tuple[tuple[dict[str, Any], tuple[tuple[str, int], ...], tuple[dict[str, Any], ...]], ...]

    @classmethod
    def build(cls, course: Course, mode: str, expected: dict[tuple[str, int], Any]) -> Plan:
        cases = {
            ex.id: tuple(c for c in ex.cases if mode == "course" or c.visibility == "public")
            for ex in course.exercises
        }
        by_limits: dict[str, tuple[dict[str, Any], list[tuple[str, int]], list[dict[str, Any]]]] = {}
        for ex in course.exercises:
            limits = ex.limits.as_dict()
            key = json.dumps(limits, sort_keys=True)
            group = by_limits.setdefault(key, (limits, [], []))
            for case in cases[ex.id]:
                group[1].append((ex.id, case.index))
                group[2].append({
                    "module": ex.module, "file": ex.file, "function": case.function,
                    "args": json.dumps(list(case.args)), "returns": ex.functions[case.function].returns,
                })
        groups = tuple((lim, tuple(keys), tuple(tasks)) for lim, keys, tasks in by_limits.values())
        return cls(course, mode, expected, cases, groups)


def format_call(function: str, args: tuple[Any, ...]) -> str:
    text = f"{function}({', '.join(fmt(a) for a in args)})"
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
        if exc in ("Timeout", "Crash"):
            return msg
        return f"{ex.file} could not be imported: {exc}: {msg}{where}"
    if exc == "NotImplementedError":
        return f"not implemented yet: {fn}() raises NotImplementedError"
    if exc == "MissingFunction":
        return f"{msg}; define it with the signature {fn}({', '.join(ex.functions[fn].params)})"
    if exc == "WrongType":
        return f"{fn}() returned the wrong type: {msg}"
    if exc in ("Timeout", "Crash", "Skipped", "GraderError"):
        return msg
    return f"{fn}() raised {exc}: {msg}{where}"


def _check(ex: Exercise, case: Case, result: dict[str, Any] | None, expected: Any, output: str,
           lines: dict[str, int]) -> Check:
    fn = ex.functions[case.function]
    check = Check(
        name=case.check_name, status=Status.ERROR, score=0.0, max_score=case.points, message="",
        function=case.function, visibility=case.visibility, input=format_call(case.function, case.args),
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
    got = result.get("value")
    check.got = got
    outcome = compare(expected, got, fn.returns, fn.tolerance)
    check.details = outcome.details
    if outcome.ok:
        check.status, check.score, check.message = Status.PASSED, case.points, "ok"
    else:
        check.status, check.message = Status.FAILED, outcome.message
    return check


def forbidden_roots(course: Course, submission: Path, extra: tuple[Path, ...] = ()) -> list[str]:
    roots = {str(course.root), str(submission.resolve().parent), str(submission.resolve())}
    roots.update(str(p.resolve()) for p in extra)
    return sorted(roots)


def grade_submission(plan: Plan, submission: Path, sandbox: Sandbox, *, student: str | None = None,
                     extra_forbidden: tuple[Path, ...] = (), now: datetime | None = None) -> GradeResult:
    """Grade ``submission`` (left untouched) and return the result record.

    ``now`` decides whether quiz answers are revealed (course setting ``reveal: after_due``); default: the clock.
    """
    started = time.perf_counter()
    course = plan.course
    responses: dict[tuple[str, int], tuple[dict[str, Any] | None, str]] = {}
    lines: dict[str, dict[str, int]] = {}
    grader_error = None
    with tempfile.TemporaryDirectory(prefix="grader-") as tmp:
        work = Path(tmp) / "submission"
        work.mkdir()
        copy_submission(submission, work)
        forbidden = forbidden_roots(course, submission, extra_forbidden)
        for limits, keys, tasks in plan.groups:
            if not tasks:
                continue
            try:
                response = sandbox.run(work, list(tasks), limits, forbidden)
            except SandboxCrashed as exc:
                grader_error = str(exc)
                for key in keys:
                    responses[key] = ({"ok": False, "error": {"exception": "Crash", "message": str(exc)}}, "")
                continue
            if response.get("internal"):
                grader_error = "internal error in the sandbox worker:\n" + response["internal"]
            for key, result, output in zip(keys, response["results"], response["outputs"], strict=True):
                responses[key] = (result, output)
            for module, info in response["imports"].items():
                lines[module] = info.get("lines", {})
            # a fresh folder per group, so one group's files cannot influence the next
            shutil.rmtree(work)
            work.mkdir()
            copy_submission(submission, work)
    exercises = []
    for ex in course.exercises:
        checks = []
        for case in plan.cases[ex.id]:
            result, output = responses.get((ex.id, case.index), (None, ""))
            checks.append(_check(ex, case, result, plan.expected[(ex.id, case.index)], output,
                                 lines.get(ex.module, {})))
        max_score = ex.points if plan.mode == "course" else sum(c.points for c in plan.cases[ex.id])
        exercises.append(ExerciseResult(
            id=ex.id, title=ex.title, file=ex.file, score=round(sum(c.score for c in checks), 6),
            max_score=max_score, checks=checks, intuition=ex.intuition,
        ))
    quizzes, quiz_error = grade_quizzes(course.quizzes, submission, student=student, reveal=course.reveal,
                                        due=course.due, now=now)
    if quiz_error:
        grader_error = f"{grader_error}\n{quiz_error}" if grader_error else quiz_error
    score = round(sum(e.score for e in exercises) + sum(q.score for q in quizzes), 6)
    max_score = round(sum(e.max_score for e in exercises) + sum(q.max_score for q in quizzes), 6)
    return GradeResult(
        course=course.title, student=student, mode=plan.mode, score=score, max_score=max_score,
        pass_threshold=course.pass_threshold, passed=max_score > 0 and score >= course.pass_threshold * max_score,
        exercises=exercises, quizzes=quizzes, grader_error=grader_error, duration=round(time.perf_counter() - started, 4),
        reveal=course.reveal,
    )
