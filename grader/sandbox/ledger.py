"""The outcome of each task of a round, kept the same way by both runners' supervisors.

The fork server (``zygote.Supervisor``, Linux) and the portable runner (``portable.Supervisor``, any OS) differ
in how they start and watch a child; what a timeout, a crash or a failed import means for the tasks, and which
later calls are skipped because of it, is decided here once, so both runners give the same record. Pure
Python: nothing here needs ``fork`` or ``resource``.

The timeout policy: ``time_per_call`` is a limit per call. A call that exceeds it is killed with its worker and
recorded as a timeout; the function's remaining case calls still run, in the next round's fresh worker, each
with the full limit (a function that hangs on one input and answers the next at once loses only the first).
This costs no more than a submission that takes just under the limit on every call already may, and the fork
server's total budget counts every call at its full limit. Only the function's invariant trials (calls marked
``after_cases``) are not run after it timed out or crashed: they are advisory, and there are many of them.
"""

from __future__ import annotations

from typing import Any

from grader.sandbox.task_error import ErrorKind, TaskError

#: Characters of a call's output kept for its report (both runners; the round's total is capped by output_kb).
EXCERPT = 2000


class Ledger:
    """One request's tasks and what became of them; a runner's supervisor adds how a round runs (``_round``)."""

    def __init__(self, tasks: list[dict[str, Any]], limits: dict[str, Any]) -> None:
        self.tasks = tasks
        self.limits = limits
        n = len(tasks)
        self.results: list[dict[str, Any] | None] = [None] * n
        self.outputs: list[str] = [""] * n
        self.output_sizes: list[int] = [0] * n
        self.imports: dict[str, dict[str, Any]] = {}
        self.timed_out: set[tuple[str, str]] = set()  # like crashed: their "after_cases" calls are not run
        self.crashed: set[tuple[str, str]] = set()  # their "after_cases" calls (invariant trials) are not run
        self.output_cap = limits["output_kb"] * 1024
        self.output_bytes = 0
        self.output_kept = 0
        self.internal = ""
        self.confinement: dict[str, Any] = {}

    def run(self) -> dict[str, Any]:
        """Rounds until every task is resolved; the response the grader reads."""
        rounds = 0
        while True:
            todo = self._pending()
            if not todo:
                break
            rounds += 1
            if self._out_of_time(todo):
                break
            if rounds > len(self.tasks) + 2:  # every round resolves at least one task; this is a backstop
                self._give_up(todo)
                break
            self._round(todo)
        self._note_truncated()
        return {"results": self.results, "outputs": self.outputs, "imports": self.imports,
                "output_bytes": self.output_bytes, "internal": self.internal,
                "worker_peak_rss_kb": self._peak_rss_kb(), "confinement": self.confinement}

    def _round(self, todo: list[int]) -> None:
        raise NotImplementedError

    def _keep_output(self, data: bytes, phase: tuple[str, Any], size: int | None = None) -> None:
        """Output the child wrote during ``phase``: ``data`` is its first bytes and ``size`` (default: all of
        ``data``) how many it wrote. Every byte counts against the round's cap; a call keeps an excerpt."""
        size = len(data) if size is None else size
        self.output_bytes += size
        if phase[0] == "call":
            self.output_sizes[phase[1]] += size
        room = self.output_cap - self.output_kept
        if room <= 0:
            return
        chunk = data[:room]
        self.output_kept += min(size, room)
        if phase[0] == "call":
            i = phase[1]
            if len(self.outputs[i]) < EXCERPT:
                self.outputs[i] += chunk.decode("utf-8", "replace")[: EXCERPT - len(self.outputs[i])]

    def _out_of_time(self, todo: list[int]) -> bool:
        """Whether the request's time is used up (then ``todo`` is resolved here); a runner with a total budget
        says so."""
        return False

    def _peak_rss_kb(self) -> int | None:
        return None

    def _give_up(self, todo: list[int]) -> None:
        """A backstop: every round resolves at least one task, so this is reached only by a grader bug."""
        for i in todo:
            self._resolve(i, TaskError(ErrorKind.GRADER_ERROR, "worker kept failing").result())

    def _note_truncated(self) -> None:
        """Each call's excerpt says how much of its output was not kept."""
        for i, text in enumerate(self.outputs):
            shown = len(text.encode("utf-8", "replace"))
            if self.output_sizes[i] > shown:
                self.outputs[i] = text + f"\n[… output truncated: {self.output_sizes[i] - shown} more bytes not shown]"

    def _resolve(self, i: int, result: dict[str, Any]) -> None:
        if self.results[i] is None:
            self.results[i] = result

    def _fail_module(self, module: str, error: dict[str, Any]) -> None:
        self.imports[module] = {"ok": False, "error": error}
        for i, task in enumerate(self.tasks):
            if task["module"] == module:
                self._resolve(i, {"ok": False, "error": {**error, "import_failed": True}})

    def _pending(self) -> list[int]:
        todo = []
        for i, task in enumerate(self.tasks):
            if self.results[i] is not None:
                continue
            key = (task["module"], task["function"])
            if key in self.timed_out and task.get("after_cases") is not None:
                self._resolve(i, TaskError(ErrorKind.SKIPPED, f"not run: {task['function']}() already exceeded the "
                                                              "time limit on an earlier case").result())
                continue
            if key in self.crashed and task.get("after_cases") is not None:
                self._resolve(i, TaskError(ErrorKind.SKIPPED,
                                           f"not run: {task['function']}() crashed on an earlier case").result())
                continue
            todo.append(i)
        return todo

    def _timeout(self, phase: tuple[str, Any]) -> None:
        limits = self.limits
        if phase[0] == "call":
            i = phase[1]
            task = self.tasks[i]
            self.timed_out.add((task["module"], task["function"]))
            self._resolve(i, TaskError(ErrorKind.TIMEOUT, f"time limit exceeded: {task['function']}() ran for more "
                                                          f"than {limits['time_per_call']:g} s").result())
        elif phase[0] == "import":
            module = phase[1]
            file = next(t["file"] for t in self.tasks if t["module"] == module)
            self._fail_module(module, TaskError(ErrorKind.TIMEOUT, f"time limit exceeded: importing {file} took "
                                                                   f"more than {limits['import_time']:g} s", file).as_dict())
        else:
            self._crash(phase, "the worker stopped responding")

    def _crash(self, phase: tuple[str, Any], why: str) -> None:
        if phase[0] == "call":
            i = phase[1]
            task = self.tasks[i]
            self.crashed.add((task["module"], task["function"]))
            self._resolve(i, TaskError(ErrorKind.CRASH, f"{why} while running {task['function']}()").result())
        elif phase[0] == "import":
            module = phase[1]
            file = next(t["file"] for t in self.tasks if t["module"] == module)
            self._fail_module(module, TaskError(ErrorKind.CRASH, f"{why} while importing {file}", file).as_dict())
        else:
            # Died between calls (e.g. in our own reporting): the next pending task takes the blame.
            todo = self._pending()
            if todo:
                task = self.tasks[todo[0]]
                self._resolve(todo[0], TaskError(ErrorKind.CRASH,
                                                 f"{why} before {task['function']}() could run").result())
