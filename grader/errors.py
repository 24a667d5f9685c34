"""Errors a user can act on. Each knows its exit code and how to say what to do next.

A grader crash is not one of these: it surfaces as a traceback (or as an ``error`` result), never
disguised as a student's failure.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    #: Everything graded, and the score reached the pass threshold (or no threshold applies).
    OK = 0
    #: Grading finished but the score is below the course's pass threshold.
    BELOW_THRESHOLD = 1
    #: The command line was wrong.
    USAGE = 2
    #: A course, exercise or quiz file does not validate.
    SPEC = 3
    #: An input the user named cannot be used (missing folder, unreadable file...).
    INPUT = 4
    #: grader batch graded every student it found and wrote its outputs, but the export holds an entry that looks
    #: like a student's submission and could not be read as one (listed on stderr and in summary.html).
    DROPPED = 5
    #: The grader itself failed; this is a bug in the grader, not in the submission.
    INTERNAL = 70


class GraderError(Exception):
    """An error with a message for the user, a hint, and an exit code."""

    exit_code: int = ExitCode.INPUT

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def format(self) -> str:
        text = f"Error: {self.message}"
        if self.hint:
            text += f"\n{self.hint}"
        return text


class UsageError(GraderError):
    exit_code = ExitCode.USAGE


class InputError(GraderError):
    exit_code = ExitCode.INPUT


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a spec file, located for an editor to jump to."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class SpecError(GraderError):
    """A course, exercise or quiz file that does not validate; lists every problem found."""

    exit_code = ExitCode.SPEC

    def __init__(self, problems: list[Problem], hint: str | None = None) -> None:
        self.problems = problems
        count = len(problems)
        head = "the course does not validate"
        super().__init__(f"{head} ({count} problem{'s' if count != 1 else ''})", hint)

    def format(self) -> str:
        lines = [str(p) for p in self.problems]
        lines.append(f"Error: {self.message}")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """``"; did you mean entropy?"`` for the closest of ``options`` (difflib), or ``""`` when none is close."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return f"; did you mean {close[0]}?" if close else ""
