"""What a sandbox round's answers are filed under: a case of an exercise, or one call of an invariant's trial.

Two types, told apart by type and never by their contents: an exercise id is the author's free text, so a
tagged tuple such as ``("inv", exercise, ...)`` collides with the cases of an exercise whose id is ``inv``
(issue 28: its cases were thrown away as skipped trials whenever one of its functions was slow).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CaseKey:
    """Case ``index`` of exercise ``exercise``."""

    exercise: str
    index: int


@dataclass(frozen=True, slots=True)
class TrialKey:
    """The call ``call`` of trial ``trial`` of invariant ``invariant``, declared by exercise ``exercise``."""

    exercise: str
    invariant: str
    trial: int
    call: str


RoundKey = CaseKey | TrialKey
#: One answer of a round: the worker's result (None when it never ran) and the call's captured output.
Response = tuple[dict[str, Any] | None, str]
Responses = dict[RoundKey, Response]


@dataclass(frozen=True, slots=True)
class Call:
    """One call a round makes: the worker's task (JSON data, as the sandbox takes it) and where its answer goes."""

    key: RoundKey
    task: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Round:
    """Calls that share their limits, run in one sandbox round (one fork of the fork server, one copy of the
    submission)."""

    limits: dict[str, Any]
    calls: tuple[Call, ...]

    @property
    def tasks(self) -> list[dict[str, Any]]:
        return [c.task for c in self.calls]
