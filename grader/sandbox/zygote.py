"""The fork server: a fresh interpreter that imports NumPy once and supervises a worker per submission.

It is started by the grader with a scrubbed environment and never loads a reference solution, a hidden case's
expected value or a course file. It does read each request (the submission's tasks) and build its reply (the
student's results and output), so it never forks a worker itself: a worker is a copy of the process that
forks it, freed memory included, and would find the previous submission's reply there. Workers are forked by
the template (``grader.sandbox.template``), a child of this server forked at start-up, before the first
request, that never holds anything but code. This server supervises each worker from outside: per-call
wall-clock deadlines, output caps, and a kill when a call or the submission is over. When a worker dies or is
killed, the remaining calls continue in a new worker, so one broken function never costs the others.

Protocol with the grader (stdin/stdout of this process, one JSON document per line): a request
``{"id", "dir", "tasks", "limits", "forbidden", "isolation"}`` gets a response
``{"id", "results", "outputs", "imports", "output_bytes", "internal", "worker_peak_rss_kb", "confinement"}``
with the same ``id``; the grader caps the line's length and restarts this server on any mismatch.

Protocol with a worker: its request, a sealed memfd it reads once; the progress page (``grader.sandbox.page``),
a memfd created anew for each worker. The worker appends one JSON event per finished import or call; this
server is not woken by it. It wakes for the worker's output, for the worker's exit (EOF on the lifeline, fd 3,
whose write end only the worker holds) and every ``POLL`` seconds, and then reads the events written since it
last looked. Student code can write to the page too, so nothing on it is trusted:

- deadlines: the worker arms a wall-clock timer for each import and call, whose signal (SIGALRM, default
  action) ends it at the limit. Student code can disarm it, so this server keeps a backstop on its own
  clock: the import or call under way is the next one in order after those reported, and each one gets its
  limit plus ``BACKSTOP`` from when this server first saw the report before it. A request also has a
  total wall-clock budget (imports plus calls at their limits, plus slack); past it every pending call is
  reported as a timeout;
- each event must have its declared shape (``grader.sandbox.reply``: types, sizes, depth, numbers within float
  range); a malformed one ends the worker like one out of place;
- events are read in order: ``confined`` once, first (``internal``, a
  traceback from our own code, only before it); ``imported`` only for the module of the next task;
  ``done`` exactly once per task, in the order of the round's task list (tasks of a module that failed to
  import are skipped); ``end`` last. The first event out of place ends the worker and the import or call
  under way is a crash; a worker that ends without ``end`` crashed or timed out in the one under way;
- output is credited to the import or call under way when this server reads it (the worker waits after
  each one until its output has been read); each line is capped at ``MAX_LINE`` bytes and the
  events of a round at the page's size (64 MiB); anything written to fd 3 ends the worker.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
import traceback
from typing import Any

# Single-threaded BLAS: forking a process with BLAS threads is unsafe, and batch grading parallelises
# across submissions instead.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy  # noqa: E402,F401 - pre-warm: every worker inherits it instead of importing it again

import grader.sandbox.guard  # noqa: E402 - imported before the fork: workers cannot import from the course
import grader.sandbox.worker  # noqa: E402,F401
from grader.sandbox import disk, kernel, page, template  # noqa: E402
from grader.sandbox.guard import interpreter_dirs, private_ipc, private_network  # noqa: E402
from grader.sandbox.ledger import Ledger  # noqa: E402
from grader.sandbox.reply import BadReply, check_event, done_result, malformed  # noqa: E402
from grader.sandbox.task_error import ErrorKind, TaskError  # noqa: E402

MAX_FATAL = 4000  # characters of the fork server's own traceback sent back (its end: where it failed)
MAX_LINE = 32 * 1024 * 1024  # one event; a value of 1M floats is about 20 MB of JSON
SLACK = 10.0  # seconds on top of the sum of the limits, for forks and bookkeeping
WAIT_POLL = 0.01  # seconds between checks for a worker's exit once its lifeline pipe is closed
POLL = 0.1  # seconds between looks at the progress page while nothing else wakes this server
BACKSTOP = 1.0  # seconds a phase may run past its limit before this server ends it (the worker's timer did not)


class OutOfPlace(Exception):
    """An event the worker's own code would never send at this point: student code wrote to the pipe."""


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def _describe_death(status: int, limits: dict[str, Any]) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = _signal_name(sig)
        if sig == signal.SIGXCPU:
            return f"CPU time limit exceeded ({limits['cpu_per_call']:g} s)"
        if sig == signal.SIGXFSZ:
            return f"file size limit exceeded ({limits['file_size_kb']} KiB)"
        if sig == signal.SIGSEGV:
            return "the process crashed (segmentation fault; often runaway recursion)"
        return f"the process was killed by {name}"
    code = os.WEXITSTATUS(status)
    return f"the process exited with status {code} (sys.exit or os._exit in student code ends grading early)"


class Supervisor(Ledger):
    def __init__(self, request: dict[str, Any], forker: template.Template,
                 landlock: kernel.Landlock | None = None, mounts: bool = False) -> None:
        super().__init__(request["tasks"], request["limits"])
        self.template = forker
        self.gone: set[int] = set()  # workers the template has reaped
        self.pidfd = -1  # the worker under way
        self.mounts = mounts  # this server has a private mount namespace: the disk budget is a tmpfs
        self.landlock = landlock
        self.required = request.get("isolation", "required") == "required"
        self.dir: str = request["dir"]
        self.forbidden: list[str] = request.get("forbidden", [])
        modules = len({t["module"] for t in self.tasks})
        self.budget = modules * self.limits["import_time"] + len(self.tasks) * self.limits["time_per_call"] + SLACK
        self.end = time.monotonic() + self.budget
        self.todo: list[int] = []
        self.cursor = -1  # position in self.todo of the last task reported in this round

    # -- running -----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """The request's rounds, with the copy on a tmpfs of the disk budget's size where it can be mounted
        (grader.sandbox.disk), watched otherwise."""
        self.disk = disk.Budget(self.dir, int(self.limits.get("disk_mb", 64)), self.mounts)
        try:
            response = super().run()
        finally:
            self.disk.detach()
        response["confinement"] = {**response["confinement"], "disk_tmpfs": self.disk.mounted_once}
        return response

    def _out_of_time(self, todo: list[int]) -> bool:
        if time.monotonic() < self.end:
            return False
        for i in todo:
            self._resolve(i, TaskError(ErrorKind.TIMEOUT, f"not run: this submission's total time budget "
                                                          f"({self.budget:g} s) is used up").result())
        return True

    def _peak_rss_kb(self) -> int | None:
        return self.template.peak_rss_kb

    def _round(self, todo: list[int]) -> None:
        self.todo, self.cursor = todo, -1
        self.round_confined = False
        self.round_imports: set[str] = set()  # a fresh worker imports again
        self.round_ended = False
        self.page_offset = 0  # events of this round's page read so far
        self.claimed = 0.0  # seconds of calls the worker reported in this round
        pid, life_r, out_r, shared = self._start(todo)
        started = time.monotonic()
        try:
            self._watch(pid, life_r, out_r, shared, started)
        finally:
            # The template reaps the worker and kills its orphans (it is their subreaper) before it answers:
            # nothing of this round outlives it.
            self._kill(pid)
            if self.pidfd >= 0:
                os.close(self.pidfd)
            os.close(life_r)
            os.close(out_r)
            shared.close()

    def _start(self, todo: list[int]) -> tuple[int, int, int, Any]:
        """A worker for this round, forked by the template (grader.sandbox.template), never by this process:
        this process holds earlier submissions' replies in its memory, freed or not. The worker gets its
        request and its page as memfds and its pipes as descriptors; the template never reads them."""
        life_r, life_w = os.pipe()  # the worker holds the only write end: EOF when it exits
        out_r, out_w = os.pipe()
        shared, page_fd = page.create()  # new for every worker: nothing of an earlier one is left in it
        request = template.sealed(json.dumps({"dir": self.dir, "tasks": self.tasks, "todo": todo,
                                              "limits": self.limits, "forbidden": self.forbidden,
                                              "required": self.required}).encode())
        fds = [life_w, out_w, page_fd, request]
        try:
            ruleset = self.landlock.ruleset(self.dir) if self.landlock is not None else None
            if ruleset is not None:
                fds.append(ruleset)
            pid, self.pidfd = self.template.fork(fds)
        except BaseException:
            os.close(life_r)
            os.close(out_r)
            shared.close()
            raise
        finally:
            for fd in fds:
                os.close(fd)
        return pid, life_r, out_r, shared

    def _under_way(self) -> tuple[str, Any]:
        """What the worker is doing, from the events read so far: the next import or call in the round's order
        (the worker reports each before it starts the next); idle before it is confined."""
        return self._progress()[0]

    def _progress(self) -> tuple[tuple[str, Any], int]:
        """The phase under way and where it stands in the round (imports and calls in order; idle is -1)."""
        nxt = self._next_task()
        if nxt is None or not self.round_confined:
            return ("idle", None), -1
        module = self.tasks[nxt]["module"]
        imported = module in self.round_imports
        return (("call", nxt) if imported else ("import", module)), 2 * self.todo.index(nxt) + int(imported)

    def _watch(self, pid: int, life_r: int, out_r: int, shared: Any, started: float) -> None:
        """Wait for the worker's exit, reading its output as it comes, without an event per call.

        The worker's own timer ends an import or a call at its limit. The backstop here holds even if student
        code disarms that timer: whenever this server wakes (output, exit, or every ``POLL`` seconds) it reads
        the events written so far, and when they show the round moved on to a later import or call, that one
        gets its limit plus ``BACKSTOP`` from now. To move on, a worker must report every call before, as the
        old one-event-per-call protocol required; so no call runs longer than its limit plus the backstop and
        the poll, and the round never longer than its budget."""
        limits = self.limits
        deadline = started + limits["import_time"] + 5
        position = -1
        fds = [life_r, out_r]
        status = 0
        while True:
            if self._catch_up(shared, started):
                self._kill(pid)
                self._drain(out_r, fds, ("idle", None))
                return
            if self.disk.exceeded():  # only without the tmpfs: the watcher
                self._kill(pid)
                self._drain(out_r, fds, self._under_way())
                if not self._catch_up(shared, started):
                    self._crash(self._under_way(), disk.limit_message(self.disk.disk_mb))
                return
            if self.round_ended:
                break  # everything reported
            now = time.monotonic()
            phase, where = self._progress()
            if where > position:
                position = where
                limit = limits["time_per_call"] if phase[0] == "call" else limits["import_time"]
                deadline = now + limit + BACKSTOP
            timeout = min(deadline, self.end) - now
            if timeout <= 0:
                self._kill(pid)
                self._drain(out_r, fds, phase)
                if not self._catch_up(shared, started):
                    self._timeout(self._under_way())
                return
            if life_r not in fds:
                # The lifeline closed: the worker exited, or closed fd 3 and went on running.
                reaped = self.template.reaped(pid, block=False)
                if reaped is not None:
                    self.gone.add(pid)
                    status = reaped
                    break
            ready, _, _ = select.select(fds, [], [], min(timeout, POLL if life_r in fds else WAIT_POLL))
            if out_r in ready:
                data = os.read(out_r, 65536)
                if data:
                    # Output belongs to the import or call under way when it is read: the worker waits, after
                    # each one, until this server has read what it printed (worker.settle_output).
                    self._catch_up(shared, started)
                    self._keep_output(data, self._under_way())
                else:
                    fds.remove(out_r)
            if life_r in ready:
                if os.read(life_r, 1):  # nothing of ours writes here: student code wrote to fd 3
                    self._kill(pid)
                    self._drain(out_r, fds, self._under_way())
                    if not self._catch_up(shared, started):
                        self._crash(self._under_way(), "the worker's report was corrupted "
                                    "(did the code write to file descriptor 3?)")
                    return
                fds.remove(life_r)
        if self.round_ended:
            # Reported "end": nothing of it is needed any more, and a kill is faster than waiting for its exit.
            self._kill(pid)
            self._drain(out_r, fds, ("idle", None))
            return
        self._drain(out_r, fds, self._under_way())
        if self._catch_up(shared, started) or self.round_ended:
            return
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
            self._timeout(self._under_way())  # the worker's own timer: the import or call under way ran out
        else:
            self._crash(self._under_way(), _describe_death(status, limits))

    def _drain(self, out_r: int, fds: list[int], phase: tuple[str, Any]) -> None:
        while out_r in fds:
            ready, _, _ = select.select([out_r], [], [], 0)
            if not ready:
                return
            data = os.read(out_r, 65536)
            if not data:
                fds.remove(out_r)
                return
            self._keep_output(data, phase)

    def _next_task(self) -> int | None:
        """The task the worker must report next: the round's list in order, minus tasks already resolved."""
        for pos in range(self.cursor + 1, len(self.todo)):
            if self.results[self.todo[pos]] is None:
                return self.todo[pos]
        return None

    def _catch_up(self, shared: Any, started: float) -> bool:
        """Apply the events written since the last look, in order, each checked as this server's rules allow.
        The first one out of place ends the round: the next task is a crash, and True is returned (that
        task takes the blame for the round)."""
        how, problem, why = "corrupted", None, None
        elapsed = time.monotonic() - started
        try:
            for ev, offset in page.read_events(shared, self.page_offset, MAX_LINE):
                self.page_offset = offset
                self._event(ev, elapsed)
        except page.BadPage as exc:
            problem = str(exc)
        except BadReply as exc:
            problem, why = str(exc), malformed(exc)
        except OutOfPlace as exc:
            how, problem = "out of order", str(exc)[:200]
        if problem is None:
            return False
        self.round_ended = False
        self._crash(self._under_way(), why or f"the worker's report was {how} ({problem}; did the code write to its "
                    "grading channel?)")
        return True

    def _event(self, raw: Any, elapsed: float) -> None:
        """Apply one event, first checked against its declared shape (``grader.sandbox.reply``). The durations
        a worker claims cannot add up to more than the round's wall-clock time so far, so it cannot make a
        function look slower than the whole round was."""
        if self.round_ended:
            raise OutOfPlace("an event after the end")
        ev = check_event(raw)
        kind = ev["ev"]
        if kind == "internal" and not self.round_confined:
            self.internal = ev["traceback"][-4000:]
            return
        if kind == "confined" and not self.round_confined:
            self.round_confined = True
            layers = {k: bool(v) for k, v in ev.items() if k != "ev"}
            # A layer counts only if it took effect in every worker of this request.
            self.confinement = {k: v and self.confinement.get(k, True) for k, v in layers.items()}
            return
        if not self.round_confined:
            raise OutOfPlace(f"{kind!r} before confinement")
        nxt = self._next_task()
        if kind == "imported":
            module = ev["module"]
            if nxt is None or module != self.tasks[nxt]["module"] or module in self.round_imports:
                raise OutOfPlace("unexpected import")
            self.round_imports.add(module)
            if ev["ok"]:
                self.imports[module] = {"ok": True, "lines": ev["lines"]}
            else:
                self._fail_module(module, ev["error"])
            return
        if kind == "done":
            i = ev["task"]
            if i != nxt or self.tasks[i]["module"] not in self.round_imports:
                raise OutOfPlace(f"a result for task {i!r} when {nxt!r} is next")
            self.cursor = self.todo.index(i)
            result = done_result(ev)
            duration = max(0.0, min(ev.get("duration", 0.0), elapsed - self.claimed))
            self.claimed += duration
            result["duration"] = round(duration, 6)
            self._resolve(i, result)
            return
        if kind == "end":
            self.round_ended = True
            return
        raise OutOfPlace(f"unexpected {kind!r}")

    def _kill(self, pid: int) -> None:
        """End the worker and wait until the template has reaped it (a second call returns at once)."""
        if pid in self.gone:
            return
        try:  # through a pidfd the template opened before the worker could exit: never another process
            if self.pidfd >= 0:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.template.reaped(pid, block=True)
        self.gone.add(pid)


def _reply(data: bytes) -> None:
    """Write a whole line to the grader; if the grader has gone (``grader check`` stopped before it needed the
    sandbox, e.g. a folder that does not exist), end quietly instead of printing a traceback on its terminal."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(1, view):]
    except OSError:  # BrokenPipeError above all
        os._exit(0)


def _preload_figures(request: Any, forker: template.Template) -> None:
    """A course with a figure function: have the template import matplotlib, once, so that every worker
    inherits it (grader.sandbox.figure); a course without one never loads it. The template is told only
    that, never anything of the request."""
    tasks = request.get("tasks") if isinstance(request, dict) else None
    if forker.figures or not isinstance(tasks, list) or \
            not any(isinstance(t, dict) and t.get("returns") == "figure" for t in tasks):
        return
    forker.preload_figures()


def serve() -> None:
    """Answer requests until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when we stop
    # Done once here instead of in every worker: the same for every submission.
    landlock = kernel.Landlock(interpreter_dirs())
    network = private_network()
    ipc = private_ipc()
    mounts = "disk_tmpfs" not in kernel.disabled() and disk.private_mounts()
    # The template is forked now, before this process has read a request: every worker is forked from it,
    # so no worker's memory holds anything of an earlier submission (grader.sandbox.template).
    forker = template.Template()
    probe = {**landlock.describe(), "seccomp_available": forker.probe["seccomp_available"],
             "network_namespace": network, "ipc_namespace": ipc, "subreaper": forker.probe["subreaper"]}
    out = sys.stdout.buffer
    _reply((json.dumps({"ready": True, "confinement": probe}) + "\n").encode())
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        request: Any = None
        try:
            request = json.loads(line)
            _preload_figures(request, forker)
            response = Supervisor(request, forker, landlock, mounts).run()
            response["confinement"] = {**probe, **response.get("confinement", {})}
            response["id"] = request.get("id")
        except template.TemplateGone as exc:
            ident = request.get("id") if isinstance(request, dict) else None
            _reply((json.dumps({"fatal": f"the sandbox's {exc}", "id": ident}) + "\n").encode())
            os._exit(1)  # the grader starts a fresh fork server for the next submission
        except Exception:  # a bug of ours: its traceback goes back, as the answer to this very request
            response = {"fatal": traceback.format_exc()[-MAX_FATAL:],
                        "id": request.get("id") if isinstance(request, dict) else None}
        _reply((json.dumps(response) + "\n").encode())
    out.flush()
    sys.stderr.flush()
    forker.close()
    # Every reply is written with os.write and every worker is reaped: nothing is left to tear down, and
    # the interpreter's own teardown (NumPy's modules) would keep Sandbox.close() waiting for 20-70 ms.
    os._exit(0)


if __name__ == "__main__":
    serve()
