"""Which runner grades: the confined one (fork server + kernel confinement, Linux) or the portable one.

Both have one interface, ``Runner``. The choice, in README "Platforms":
- ``--runner`` forces one (``confined`` fails clearly where it cannot run);
- otherwise the confined runner wherever it can run;
- otherwise the portable one, for a student folder (public cases only);
- in course mode (hidden cases) the portable one only when course.yaml says ``isolation: best-effort``,
  and then every report carries ``BEST_EFFORT_WARNING``.
No Linux-only module is imported here: ``grader check`` loads this on Windows.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Protocol

from grader.errors import UsageError

RUNNERS = ("confined", "portable")
BEST_EFFORT_WARNING = ("Graded by the portable runner without kernel confinement (course.yaml: isolation: "
                       "best-effort): the submission's code could have read the hidden cases. Grade on Linux with "
                       "the confined runner for credit.")


class Runner(Protocol):
    """What the judge needs from a runner; ``runner`` names it in the result record."""

    runner: str

    def spawn(self) -> None: ...
    def prestart(self) -> None: ...
    def run(self, sandbox_dir: Path, tasks: list[dict[str, Any]], limits: dict[str, Any],
            forbidden: list[str], isolation: str = ...) -> dict[str, Any]: ...
    def signal_kill(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Runner: ...
    def __exit__(self, *exc: object) -> None: ...


def runner_name(sandbox: object) -> str:
    return getattr(sandbox, "runner", "confined")


def confined_unavailable() -> str | None:
    """Why the confined runner cannot run here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return f"it needs Linux (this is {sys.platform})"
    if not hasattr(os, "fork"):
        return "this Python has no os.fork"
    for module in ("resource", "fcntl"):
        try:
            if importlib.util.find_spec(module) is None:
                return f"this Python has no {module} module"
        except (ImportError, ValueError):
            return f"this Python has no {module} module"
    return None


def preferred(runner: str | None) -> str:
    """The runner to start before the course is loaded: the forced one, else confined where it can run."""
    if runner == "confined":
        why = confined_unavailable()
        if why is not None:
            raise UsageError(f"the confined runner cannot run here: {why}",
                             "Use --runner portable (the same feedback on public cases, without kernel confinement).")
        return "confined"
    if runner == "portable":
        return "portable"
    if runner is not None:
        raise UsageError(f"unknown runner {runner!r}", f"Use one of: {', '.join(RUNNERS)}.")
    return "confined" if confined_unavailable() is None else "portable"


def make(name: str) -> Runner:
    if name == "portable":
        from grader.sandbox.portable import PortableSandbox

        return PortableSandbox()
    from grader.sandbox.client import Sandbox

    return Sandbox()


_started: list[Runner] = []  # at most one: started by the console entry point before the CLI loaded


def start_early(runner: str | None) -> None:
    """Start the runner `grader check` will ask for now, if it is the confined one (grader.console)."""
    try:
        name = preferred(runner)
    except UsageError:
        return  # the command line will say so
    if name == "confined" and not _started:
        started = make(name)
        started.spawn()
        _started.append(started)


def open_runner(runner: str | None) -> Runner:
    """A runner for ``grader check``/``ci``/``batch``: started only by its ``spawn`` (a no-op for the one the
    console entry point already started)."""
    name = preferred(runner)
    while _started:
        early = _started.pop()
        if runner_name(early) == name:
            return early
        early.close()
    return make(name)


def check_allowed(name: str, mode: str, isolation: str) -> str | None:
    """Refuse the portable runner for hidden cases unless the course accepts it; returns the report warning."""
    if name != "portable" or mode != "course":
        return None
    if isolation != "best-effort":
        why = confined_unavailable()
        raise UsageError(
            "this course grades hidden cases, which needs the confined runner"
            + (f", and it cannot run here: {why}" if why else ""),
            "Grade on Linux with --runner confined, or accept weaker isolation with 'isolation: best-effort' in "
            "course.yaml (every report then carries a warning).")
    return BEST_EFFORT_WARNING
