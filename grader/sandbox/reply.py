"""The declared shape of every event a worker sends, checked once at the boundary for both runners.

Student code runs in the worker, so it can write anything where the worker's events go (the fork server's
progress page, the portable runner's result pipe). The supervisors (``zygote.Supervisor._event`` and
``portable.Supervisor._event``) pass every event through :func:`check_event` before they look at it: a value
of the wrong type, a string over its cap, an unknown key, a line map that is not ``{name: small int}``, a
number beyond float range... make it a :class:`BadReply`, and the supervisor treats the event as a corrupted
report (the import or call under way is a crash, charged to that student). An event that passes holds only
the declared keys, each of its declared type and size, so no later step has to check again.

The one exception to "a bad event is a corrupted report" is a ``done`` event's *value*: it is the student
function's answer, so a value that is not plain numbers (too deep, too many elements, a number beyond float
range) fails that call with ``WrongType``, as the worker's own check would have (:func:`done_result`).

Pure Python and no imports beyond ``grader.sandbox.values``: the portable runner and the grader load it
without NumPy or ``fork``.
"""

from __future__ import annotations

import json
from typing import Any

from grader.sandbox.task_error import ErrorKind, TaskError
from grader.sandbox.values import MAX_ELEMENTS, plain_problem

MAX_TEXT = 2000  # an error message (the worker cuts it here already)
MAX_TRACEBACK = 4000  # the last characters of our own code's traceback ("internal") that are kept
MAX_NAME = 200  # an exception's class name, a module or function name, a value's type name
MAX_PATH = 1024  # a file inside the submission, relative to its root
MAX_LINE_NUMBER = 10**7  # a line of a submitted file (files are capped at 1 MiB long before this)
MAX_LINE_MAP = 1000  # functions reported per module (the worker sends only those the tasks call)
MAX_LAYERS = 20  # confinement layers in a "confined" event
MAX_LAYER_TEXT = 40  # a layer's name, or its value when it is text (the portable runner's "runner")
MAX_TASK = 10**6  # a task index (a request has far fewer; the supervisors compare with their own list)
MAX_DURATION = 1e9  # seconds a call claims to have taken

_ERROR_KEYS: dict[str, type | tuple[type, ...]] = {
    "exception": str, "message": str, "file": (str, type(None)), "line": (int, type(None)), "missing": bool}
_ERROR_CAPS = {"exception": MAX_NAME, "message": MAX_TEXT, "file": MAX_PATH}


MAX_VALUES = MAX_ELEMENTS + 10_000  # JSON values in one event line: a result's numbers, plus room for the rest
MAX_OBJECTS = 10_000  # braces in one event line


class BadReply(ValueError):
    """An event that does not have the declared shape: student code wrote to the worker's channel."""


def load_line(line: bytes) -> Any:
    """One event line parsed, with its memory bounded before parsing: a line may be 32 MiB long, and 16 million
    short numbers (``[1,1,1,...``) would take Python 600 MiB, and as many one-element lists more, so a line
    with more commas, or more lists, than a result may have numbers is refused unread (a result of
    a million numbers in the shape (1000000, 1) has a million of each). An event has at most three objects
    (itself, an error, a line map), so more than ``MAX_OBJECTS`` braces (room for braces inside messages) are
    refused too: a million small objects would take 200 MiB. Raises :class:`BadReply` for that, ``ValueError``
    or ``RecursionError`` for a line that is not JSON."""
    if line.count(b",") > MAX_VALUES or line.count(b"[") > MAX_VALUES:
        raise BadReply(f"an event with more than {MAX_VALUES} values")
    if line.count(b"{") > MAX_OBJECTS:
        raise BadReply(f"an event with more than {MAX_OBJECTS} objects")
    return json.loads(line)


def _text(value: Any, cap: int, what: str) -> str:
    if type(value) is not str:
        raise BadReply(f"{what} is not text")
    if len(value) > cap:
        raise BadReply(f"{what} is longer than {cap} characters")
    return value


def _int(value: Any, low: int, high: int, what: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise BadReply(f"{what} is not a whole number from {low} to {high}")
    return value


def _bool(value: Any, what: str) -> bool:
    if type(value) is not bool:
        raise BadReply(f"{what} is not true or false")
    return value


def _keys(ev: dict[str, Any], required: set[str], optional: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    keys = set(ev)
    missing = required - keys
    if missing:
        raise BadReply(f"{sorted(missing)[0]!r} is missing")
    extra = keys - required - optional
    if extra:
        raise BadReply(f"an unexpected key {str(sorted(map(str, extra))[0])[:40]!r}")


def check_error(error: Any) -> dict[str, Any]:
    """An error report: ``exception`` and ``message`` (text), ``file`` and ``line`` (or null), ``missing``."""
    if type(error) is not dict:
        raise BadReply("an error that is not an object")
    _keys(error, {"exception", "message"}, {"file", "line", "missing"})
    out: dict[str, Any] = {"file": None, "line": None}
    for key, value in error.items():
        if not isinstance(value, _ERROR_KEYS[key]) or (type(value) is bool and key != "missing"):
            raise BadReply(f"the error's {key!r} has the wrong type")
        if type(value) is str:
            _text(value, _ERROR_CAPS[key], f"the error's {key!r}")
        if key == "line" and value is not None:
            _int(value, 0, MAX_LINE_NUMBER, "the error's line")
        out[key] = value
    return out


def check_lines(lines: Any) -> dict[str, int]:
    """A line map: ``{function name: first line}``, small in count, names and numbers."""
    if type(lines) is not dict:
        raise BadReply("a line map that is not an object")
    if len(lines) > MAX_LINE_MAP:
        raise BadReply(f"a line map with more than {MAX_LINE_MAP} entries")
    for name, line in lines.items():
        _text(name, MAX_NAME, "a function name in the line map")
        _int(line, 0, MAX_LINE_NUMBER, f"the line of {name[:40]!r}")
    return dict(lines)


def _module(value: Any) -> str:
    return _text(value, MAX_NAME, "the module")


def _task(value: Any) -> int:
    return _int(value, 0, MAX_TASK, "the task")


def check_event(ev: Any) -> dict[str, Any]:
    """The event in its declared shape (a new dict), or :class:`BadReply` saying what is wrong with it.

    Shapes (``ev`` names the kind):
    ``confined`` {layer: bool | int | short text} at most 20; ``internal`` {traceback} (its end kept); ``importing`` {module};
    ``start`` {task}; ``imported`` {module, ok: true, lines} or {module, ok: false, error};
    ``done`` {task, ok: true, value, type, duration?} or {task, ok: false, error, duration?}; ``end`` {}.
    """
    if type(ev) is not dict:
        raise BadReply("an event that is not an object")
    kind = ev.get("ev")
    if kind == "confined":
        if len(ev) > MAX_LAYERS + 1:
            raise BadReply(f"more than {MAX_LAYERS} confinement layers")
        layers: dict[str, Any] = {}
        for key, value in ev.items():
            if key == "ev":
                continue
            _text(key, MAX_LAYER_TEXT, "a layer's name")
            if type(value) is str:
                _text(value, MAX_LAYER_TEXT, f"the layer {key!r}")
            elif type(value) not in (bool, int) or (type(value) is int and not -(2**31) <= value < 2**31):
                raise BadReply(f"the layer {key!r} has the wrong type")
            layers[key] = value
        return {"ev": "confined", **layers}
    if kind == "internal":
        _keys(ev, {"ev", "traceback"})
        if type(ev["traceback"]) is not str:
            raise BadReply("the traceback is not text")
        return {"ev": "internal", "traceback": ev["traceback"][-MAX_TRACEBACK:]}  # ours: the end says most
    if kind == "importing":
        _keys(ev, {"ev", "module"})
        return {"ev": "importing", "module": _module(ev["module"])}
    if kind == "start":
        _keys(ev, {"ev", "task"})
        return {"ev": "start", "task": _task(ev["task"])}
    if kind == "imported":
        ok = _bool(ev.get("ok"), "'ok'")
        if ok:
            _keys(ev, {"ev", "module", "ok", "lines"})
            return {"ev": "imported", "module": _module(ev["module"]), "ok": True, "lines": check_lines(ev["lines"])}
        _keys(ev, {"ev", "module", "ok", "error"})
        return {"ev": "imported", "module": _module(ev["module"]), "ok": False, "error": check_error(ev["error"])}
    if kind == "done":
        ok = _bool(ev.get("ok"), "'ok'")
        out: dict[str, Any] = {"ev": "done", "task": None, "ok": ok}
        if ok:
            _keys(ev, {"ev", "task", "ok", "value", "type"}, {"duration"})
            out["value"] = ev["value"]  # the student's answer: judged by done_result, not refused here
            out["type"] = _text(ev["type"], MAX_NAME, "the value's type")
        else:
            _keys(ev, {"ev", "task", "ok", "error"}, {"duration"})
            out["error"] = check_error(ev["error"])
        out["task"] = _task(ev["task"])
        if "duration" in ev:
            duration = ev["duration"]
            if type(duration) not in (int, float) or not 0 <= duration < MAX_DURATION:  # NaN fails too
                raise BadReply("a duration that is not a number of seconds")
            out["duration"] = float(duration)
        return out
    if kind == "end":
        _keys(ev, {"ev"})
        return {"ev": "end"}
    raise BadReply(f"an unknown event {str(kind)[:40]!r}")


def malformed(problem: BadReply) -> str:
    """The words both runners use for a malformed event (the same record on either runner)."""
    return f"the worker's report was malformed ({str(problem)[:200]}; did the code tamper with the grader's worker?)"


def done_result(ev: dict[str, Any]) -> dict[str, Any]:
    """The task's result from a checked ``done`` event: a value that is not plain numbers within float range
    fails the call (``WrongType``), as the worker's own check does."""
    if not ev["ok"]:
        return {"ok": False, "error": dict(ev["error"])}
    return wrong_value(ev["value"]) or {"ok": True, "value": ev["value"], "type": ev["type"]}


def wrong_value(value: Any) -> dict[str, Any] | None:
    """The failed result a returned value that is not plain numbers within float range becomes (``WrongType``),
    or None for a value that is: one rule for the runners' events and the grader's second look at a reply."""
    problem = plain_problem(value)
    return TaskError(ErrorKind.WRONG_TYPE, f"expected numbers, got {problem}").result() if problem else None
