"""The code that runs inside the forked child: import the student's files, call, report plain values.

Only numbers leave this process, as JSON: on the progress page for the confined runner (``PagedWorker``,
grader.sandbox.page), on a pipe for the portable one. What is correct is decided in the grader's process,
which this process never sees, so whatever student code does here (monkeypatching, lying ``__eq__``,
writing to the page or the pipe) cannot raise a score beyond what honest return values would earn.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import signal
import sys
import time
import traceback
from typing import Any

import numpy as np

from grader.sandbox import figure  # before confinement: the import path is closed after it
from grader.sandbox.values import MAX_DEPTH, MAX_ELEMENTS

try:
    import fcntl
    import termios
except ImportError:  # Windows: only the portable runner, whose parent orders output by sync markers instead
    fcntl = termios = None  # type: ignore[assignment]

SETTLE_WAIT = 0.5  # seconds an event may wait for the server to read the output printed before it
_FLOAT_TYPES = (float, int)
_NP_SCALARS = tuple(
    t for t in set(np.sctypeDict.values()) if issubclass(t, (np.integer, np.floating)) and not issubclass(t, np.bool_)
)


class _MissingFunction(Exception):
    """The submission lacks the function a task calls: the grader's own signal, so that a student's LookupError
    (or one whose message happens to read "has no function") is never taken for it."""


class WrongType(Exception):
    pass


def _scalar(value: Any, where: str = "") -> float:
    t = type(value)
    if t is bool or t is np.bool_:
        raise WrongType(f"a bool{where}")
    if t in _FLOAT_TYPES or t in _NP_SCALARS:
        return float(value)
    raise WrongType(f"{_describe(value)}{where}")


def _describe(value: Any) -> str:
    t = type(value)
    mod = t.__module__
    name = t.__qualname__ if mod in ("builtins", None) else f"{mod}.{t.__qualname__}"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    if t in (list, tuple, dict, set):
        return f"a {t.__name__}"
    if value is None:
        return "None (did the function forget to return?)"
    return f"an object of type {name}"


def _nested(value: Any, depth: int = 0, budget: list[int] | None = None) -> Any:
    budget = [MAX_ELEMENTS] if budget is None else budget
    t = type(value)
    if t is np.ndarray:
        if value.dtype.kind not in "iuf":
            raise WrongType(f"an array of dtype {value.dtype}")
        if value.ndim + depth > MAX_DEPTH:
            raise WrongType(f"an array with {value.ndim} dimensions")
        budget[0] -= value.size
        if value.size > MAX_ELEMENTS or budget[0] < 0:
            raise WrongType(f"an array with {value.size} elements (more than {MAX_ELEMENTS})")
        return value.astype(np.float64).tolist()
    if t in (list, tuple):
        if depth >= MAX_DEPTH:
            raise WrongType("a list nested too deeply")
        budget[0] -= len(value)
        if budget[0] < 0:  # plain lists are capped like arrays: the count of all their elements
            raise WrongType(f"a list with more than {MAX_ELEMENTS} elements")
        return [_nested(v, depth + 1, budget) for v in value]
    return _scalar(value, " inside the list" if depth else "")


def coerce(value: Any, returns: str) -> tuple[Any, str]:
    """Plain JSON data for ``value``; only exact built-in and NumPy types are trusted."""
    kind = type(value).__name__ if type(value).__module__ == "builtins" else f"numpy.{type(value).__name__}" \
        if type(value).__module__ == "numpy" else type(value).__qualname__
    if returns == "figure":
        return _figure(value), "figure"
    if returns == "int":
        t = type(value)
        if t is int or (t in _NP_SCALARS and issubclass(t, np.integer)):
            return int(value), kind
        if t is np.ndarray and value.shape == () and value.dtype.kind in "iu":
            return int(value), kind
        if (t is float or (t in _NP_SCALARS and issubclass(t, np.floating))) and float(value).is_integer():
            return int(value), kind
        raise WrongType(f"expected an int, got {_describe(value) if t is not float else 'a float ' + repr(value)}")
    if returns == "float":
        if type(value) is np.ndarray:
            if value.shape != ():
                raise WrongType(f"expected a single number, got an array of shape {value.shape}")
            return _nested(value), kind
        if type(value) in (list, tuple):
            raise WrongType(f"expected a single number, got a {type(value).__name__} of {len(value)} item(s)")
        try:
            return _scalar(value), kind
        except WrongType as exc:
            raise WrongType(f"expected a number, got {exc}") from None
    try:
        return _nested(value), kind
    except WrongType as exc:
        raise WrongType(f"expected an array of numbers, got {exc}") from None


def _figure(value: Any) -> dict[str, Any]:
    """A figure function's value, as the plain description of grader.sandbox.figure (never the object)."""
    try:
        return figure.describe(value)
    except figure.FigureError as exc:
        why = exc.args[0] if exc.args and exc.args[0] else _describe(value)
        raise WrongType(f"expected a matplotlib Figure or Axes, got {why}") from None
    except WrongType:
        raise
    except Exception as exc:  # a figure that breaks matplotlib's own readers (a hostile or damaged object)
        raise WrongType(f"a figure the grader cannot read ({type(exc).__name__}: {str(exc)[:200]})") from None


def _student_frame(tb: Any, sandbox: str) -> tuple[str | None, int | None]:
    file = line = None
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith(sandbox + os.sep):
            file, line = os.path.relpath(frame.filename, sandbox), frame.lineno
    return file, line


def _error(exc: BaseException, sandbox: str, phase: str, disk_mb: int | None = None) -> dict[str, Any]:
    file, line = _student_frame(exc.__traceback__, sandbox)
    name = type(exc).__name__
    text = str(exc).replace(sandbox + os.sep, "")  # messages name the student's files, not our temp folder
    if isinstance(exc, SyntaxError) and exc.filename and exc.filename.startswith(sandbox):
        file, line = os.path.relpath(exc.filename, sandbox), exc.lineno
        text = str(exc.msg)
    if isinstance(exc, SystemExit):
        text = f"{name}({exc.code!r}) during {phase}: the program tried to stop the grader early"
    elif isinstance(exc, MemoryError):
        text = "memory limit exceeded"
    elif isinstance(exc, RecursionError):
        text = "maximum recursion depth exceeded"
    elif isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT) and disk_mb is not None:
        from grader.sandbox.disk import limit_message

        text = f"{limit_message(disk_mb)} ({text})"  # the tmpfs of the submission's budget is full
    return {"exception": name, "message": text[:2000], "file": file, "line": line}


class Worker:
    def __init__(self, sandbox: str, tasks: list[dict[str, Any]], fd: int, limits: dict[str, Any]) -> None:
        self.sandbox = sandbox
        self.tasks = tasks
        self.fd = fd
        self.limits = limits
        self.modules: dict[str, Any] = {}
        self.failed: set[str] = set()
        self.cpu_soft: int | None = None

    def _error(self, exc: BaseException) -> dict[str, Any]:
        return _error(exc, self.sandbox, "the call", self.limits.get("disk_mb"))

    def send(self, event: dict[str, Any]) -> None:
        data = (json.dumps(event) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def begin_import(self, module: str) -> None:
        """The import of ``module`` begins: the supervisor's deadline for it starts."""
        self.send({"ev": "importing", "module": module})

    def begin_call(self, task: int, skipped: bool = False) -> None:
        self.send({"ev": "start", "task": task})

    def end_phase(self) -> None:
        """The import or call is over; its report follows."""

    def cpu_budget(self, seconds: float) -> None:
        """Allow ``seconds`` more CPU time (an rlimit); the portable runner overrides it where rlimits are missing.

        The limit is whole seconds, so the one already set still fits (more than ``seconds`` left, at most one
        second more) after most calls, and a system call is saved."""
        from grader.sandbox.guard import set_cpu_budget

        now = time.process_time()
        if self.cpu_soft is not None and now + seconds < self.cpu_soft <= now + seconds + 1:
            return
        self.cpu_soft = set_cpu_budget(seconds)

    def flush_output(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass

    def settle_output(self) -> None:
        """Wait until the fork server has read what was printed so far (FIONREAD on the output pipe), at most
        SETTLE_WAIT: it reads output and events from two pipes, and credits output to the phase it is in when it
        reads it, so a fast call's ``done`` must not overtake that call's output. Output attribution only; no
        limit depends on it (student code can close or replace fd 1, and then the wait just ends)."""
        if fcntl is None:
            return
        pending = bytearray(4)
        give_up = 0.0
        while True:
            try:
                fcntl.ioctl(1, termios.FIONREAD, pending)
            except OSError:
                return
            if not any(pending):
                return
            now = time.monotonic()
            if not give_up:
                give_up = now + SETTLE_WAIT
            elif now >= give_up:
                return
            time.sleep(0.0002)

    def load(self, module: str, file: str) -> Any:
        if module in self.modules:
            return self.modules[module]
        self.begin_import(module)
        path = os.path.join(self.sandbox, file)
        self.cpu_budget(self.limits["import_time"])
        try:
            if not os.path.isfile(path):
                raise FileNotFoundError(f"{file} is missing from the submission")
            spec = importlib.util.spec_from_file_location(module, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"{file} cannot be imported")
            mod = importlib.util.module_from_spec(spec)
            sys.modules[module] = mod
            spec.loader.exec_module(mod)
        except BaseException as exc:
            self.flush_output()
            self.settle_output()
            sys.modules.pop(module, None)
            info = _error(exc, self.sandbox, f"import of {file}", self.limits.get("disk_mb"))
            if isinstance(exc, FileNotFoundError) and info["file"] is None:
                info["missing"] = True
            self.end_phase()
            self.send({"ev": "imported", "module": module, "ok": False, "error": info})
            self.failed.add(module)
            return None
        self.flush_output()
        self.settle_output()
        lines = {}
        wanted = {t["function"] for t in self.tasks if t["module"] == module}  # the report names no others
        for name in wanted:
            obj = vars(mod).get(name)
            code = getattr(obj, "__code__", None)
            if callable(obj) and code is not None and str(code.co_filename) == path \
                    and type(code.co_firstlineno) is int:
                lines[name] = code.co_firstlineno
        self.end_phase()
        self.send({"ev": "imported", "module": module, "ok": True, "lines": lines})
        self.modules[module] = mod
        return mod

    def run(self, indexes: list[int]) -> None:
        if any(self.tasks[i]["returns"] == "figure" for i in indexes):
            figure.environment(self.sandbox)  # before any student file is imported: Agg, config in the sandbox
        # Functions that raised or were slow on an earlier call: calls flagged "after_cases" (invariant
        # trials, sent in the same round as the cases) are not run for them. Only saves time: the grader
        # decides from the supervisor's own results which trials count, and ignores the rest.
        bad: set[tuple[str, str]] = set()
        slowest: dict[tuple[str, str], float] = {}
        for i in indexes:
            task = self.tasks[i]
            if task["module"] in self.failed:
                continue
            mod = self.load(task["module"], task["file"])
            if mod is None:
                continue
            key = (task["module"], task["function"])
            budget = task.get("after_cases")
            if budget is not None and (key in bad or slowest.get(key, 0.0) > budget):
                self.begin_call(i, skipped=True)
                self.send({"ev": "done", "task": i, "ok": False, "error": {
                    "exception": "Skipped", "message": "not run: failed or slow on its cases",
                    "file": None, "line": None}})
                continue
            args = json.loads(task["args"])  # fresh objects for every call
            if task.get("as_array"):
                args = [np.asarray(a, dtype=float) if isinstance(a, list) else a for a in args]
            self.begin_call(i)
            self.cpu_budget(self.limits["cpu_per_call"])
            began = time.perf_counter()
            try:
                if task["returns"] == "figure":
                    try:
                        figure.prepare(self.sandbox)
                    except figure.FigureError as exc:
                        raise ModuleNotFoundError(str(exc)) from None
                    figure.before_call()
                fn = getattr(mod, task["function"], None)
                if fn is None or not callable(fn):
                    raise _MissingFunction(f"{task['file']} has no function {task['function']}()")
                value = fn(*args)
                if budget is None:
                    slowest[key] = max(slowest.get(key, 0.0), time.perf_counter() - began)
                plain, kind = coerce(value, task["returns"])
                out = {"ev": "done", "task": i, "ok": True, "value": plain, "type": kind}
            except WrongType as exc:
                out = {"ev": "done", "task": i, "ok": False,
                       "error": {"exception": "WrongType", "message": str(exc), "file": None, "line": None}}
            except _MissingFunction as exc:
                out = {"ev": "done", "task": i, "ok": False, "error": {
                    "exception": "MissingFunction", "message": str(exc), "file": None, "line": None}}
            except BaseException as exc:
                out = {"ev": "done", "task": i, "ok": False, "error": self._error(exc)}
            out["duration"] = round(time.perf_counter() - began, 6)
            if not out["ok"]:
                bad.add(key)
            self.flush_output()
            self.settle_output()
            self.end_phase()
            self.send(out)
        self.send({"ev": "end"})


class PagedWorker(Worker):
    """The confined runner's worker: reports go to the progress page (grader.sandbox.page), not to a pipe,
    so the fork server is not woken per call. Each import and call arms a wall-clock timer whose
    signal ends this process (SIGALRM's default action); student code can disarm it, and then the fork
    server's own backstop deadline ends the process instead."""

    def __init__(self, sandbox: str, tasks: list[dict[str, Any]], page: Any, limits: dict[str, Any]) -> None:
        from grader.sandbox.page import SIZE, Writer

        super().__init__(sandbox, tasks, -1, limits)
        self.writer = Writer(page)
        self.cap_mib = SIZE >> 20

    def send(self, event: dict[str, Any]) -> None:
        if not self.writer.append(event):
            self.writer.append({**{k: event[k] for k in ("ev", "task", "module") if k in event}, "ok": False,
                                "error": {"exception": "WrongType", "file": None, "line": None,
                                          "message": "a value too large to report (the round's results "
                                                     f"are capped at {self.cap_mib} MiB)"}})

    def begin_import(self, module: str) -> None:
        signal.setitimer(signal.ITIMER_REAL, self.limits["import_time"])

    def begin_call(self, task: int, skipped: bool = False) -> None:
        if not skipped:
            signal.setitimer(signal.ITIMER_REAL, self.limits["time_per_call"])

    def end_phase(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main(sandbox: str, tasks: list[dict[str, Any]], indexes: list[int], page: Any, limits: dict[str, Any],
         forbidden: list[str], ruleset_fd: int | None = None, required: bool = True) -> None:
    """Entry point of the forked child; never returns."""
    from grader.sandbox.guard import confine

    code = 0
    worker: PagedWorker | None = None
    try:
        modules = len({tasks[i]["module"] for i in indexes})
        cpu_total = modules * limits["import_time"] + len(indexes) * limits["cpu_per_call"]
        layers = confine(sandbox, forbidden, limits, ruleset_fd, required, cpu_total)
        worker = PagedWorker(sandbox, tasks, page, limits)
        worker.send({"ev": "confined", **layers})
        worker.run(indexes)
    except BaseException:
        code = 3
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
            from grader.sandbox.page import Writer

            # Read only before "confined": after it, this is out of place, and the call under way is a crash.
            writer = worker.writer if worker is not None else Writer(page)
            writer.append({"ev": "internal", "traceback": traceback.format_exc()})
        except Exception:
            pass
    finally:
        os._exit(code)
