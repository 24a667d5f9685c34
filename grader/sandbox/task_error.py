"""The grader's own verdicts on a task that did not return a value, as one type instead of literal dicts.

A student's exception keeps its own name (``ValueError``) in the record's ``exception`` field; these kinds are
the grader's: the call ran out of time, its process died, it was not run, the grader failed, it returned the
wrong type, the function is missing, or the notebook could not be read. On the wire (the sandbox's JSON) and in
the record an error stays the dict ``{"exception", "file", "line", "message"}``: ``TaskError.as_dict`` makes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class ErrorKind(str, Enum):
    """A kind of the grader's own; a ``str``, so a record's ``"exception": "Timeout"`` compares equal to it."""

    TIMEOUT = "Timeout"
    CRASH = "Crash"
    SKIPPED = "Skipped"
    GRADER_ERROR = "GraderError"
    WRONG_TYPE = "WrongType"
    MISSING_FUNCTION = "MissingFunction"
    NOTEBOOK_ERROR = "NotebookError"


#: kinds whose message is the whole story: the call did not finish, so there is no student exception to name
UNFINISHED = (ErrorKind.TIMEOUT, ErrorKind.CRASH, ErrorKind.SKIPPED, ErrorKind.GRADER_ERROR)


@dataclass(frozen=True)
class TaskError:
    kind: ErrorKind
    message: str
    file: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"exception": self.kind.value, "file": self.file, "line": self.line, "message": self.message}

    def result(self) -> dict[str, Any]:
        """The task's result, as a worker reports one that did not return."""
        return {"ok": False, "error": self.as_dict()}
