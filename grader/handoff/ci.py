"""``grader ci``: grade a submission the way a CI job needs it.

The exit code carries the verdict (0 at or above the course's pass threshold, 1 below it, 70 if the
grader broke), so any CI system can gate on it. On GitHub Actions the same record also becomes a
step summary, error annotations on the student's lines, and the ``result`` output that GitHub
Classroom's grading reporter turns into points.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from grader.errors import ExitCode, InputError
from grader.record import GradeResult
from grader.reports.formats import github


def on_github(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def exit_code(result: GradeResult) -> ExitCode:
    if result.grader_error:
        return ExitCode.INTERNAL
    return ExitCode.OK if result.passed else ExitCode.BELOW_THRESHOLD


def grade_folder(directory: Path, course_dir: Path | None, student: str | None,
                 runner: str | None = None) -> GradeResult:
    from grader.authoring.session import open_course
    from grader.judge.grade import grade_submission
    from grader.sandbox import backends

    if not directory.is_dir():
        raise InputError(f"{directory} is not a folder", "Pass the folder that holds entropy.py and the other files.")
    with backends.open_runner(runner) as sandbox:
        sandbox.spawn()  # NumPy starts in the fork server while this process loads the course
        session = open_course(course_dir, directory)
        backends.check_allowed(sandbox.runner, session.plan.mode, session.course.isolation)
        return grade_submission(session.plan, directory, sandbox,
                                student=student or directory.resolve().name)  # never the sheet's word


def report_to_github(result: GradeResult, submission: Path, env: Mapping[str, str],
                     echo: Callable[[str], None]) -> None:
    """Step summary and outputs go to the files GitHub names; annotations are printed with ``echo``."""
    if env.get("GITHUB_STEP_SUMMARY"):
        github.write_summary(result, env["GITHUB_STEP_SUMMARY"])
    if env.get("GITHUB_OUTPUT"):
        github.write_outputs(result, env["GITHUB_OUTPUT"])
    workspace = Path(env["GITHUB_WORKSPACE"]) if env.get("GITHUB_WORKSPACE") else None
    for line in github.workflow_commands(result, submission, workspace):
        echo(line)


def print_report(text: str, env: Mapping[str, str], echo: Callable[[str], None]) -> None:
    """Print a report (any format); on GitHub, inside stop-commands so student output cannot issue commands."""
    if not on_github(env):
        echo(text.rstrip("\n"))
        return
    start, body, end = github.guarded(text)
    echo(start)
    echo(body.rstrip("\n"))
    echo(end)


def default_env() -> Mapping[str, str]:
    return os.environ
