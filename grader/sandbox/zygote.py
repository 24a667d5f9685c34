"""The fork server: a fresh interpreter that imports NumPy once, then forks a worker per submission.

It is started by the grader with a scrubbed environment and has never loaded a reference solution,
a hidden case or an expected value, so nothing a worker inherits from it is secret. It supervises
each worker from outside: per-call wall-clock deadlines, output caps, and a kill of the worker's
whole process group when a call or the submission is over. When a worker dies or is killed, the
remaining calls continue in a new worker, so one broken function never costs the others.

Protocol with the grader (stdin/stdout of this process, one JSON document per line): a request
``{"id", "dir", "tasks", "limits", "forbidden", "isolation"}`` gets a response
``{"id", "results", "outputs", "imports", "output_bytes", "internal", "worker_peak_rss_kb", "confinement"}``
with the same ``id``; the grader caps the line's length and restarts this server on any mismatch.

Protocol with a worker (its file descriptor 3, one JSON event per line). Student code can write to that
pipe too, so nothing on it is trusted, and anything out of place ends the worker (the call under way
is reported as a crash and the remaining calls continue in a fresh worker):

- ``confined`` once, first; ``internal`` (a traceback from our own code) only before ``confined``;
- ``importing`` only for the module of the next expected task, then ``imported`` for it;
- ``start`` exactly once per task, in the order of the round's task list, for the task that is next
  (tasks of a module that failed to import are skipped), and only between calls;
- ``done`` only for the call under way; ``end`` only between calls.

Every deadline is measured on this server's clock from when it read the event, so the worker cannot
stretch a call by repeating ``start``. A request also has a total wall-clock budget (imports plus
calls at their limits, plus slack); past it every pending call is reported as a timeout. Each line is
capped at ``MAX_LINE`` bytes and a round's results at ``MAX_RESULTS`` bytes.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import resource
import select
import signal
import sys
import time
from typing import Any

# Single-threaded BLAS: forking a process with BLAS threads is unsafe, and batch grading parallelises
# across submissions instead.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy  # noqa: E402,F401 - pre-warm: every worker inherits it instead of importing it again

import grader.sandbox.guard  # noqa: E402 - imported before the fork: workers cannot import from the course
import grader.sandbox.worker  # noqa: E402,F401
from grader.sandbox import kernel  # noqa: E402
from grader.sandbox.guard import interpreter_dirs, private_network  # noqa: E402
from grader.sandbox.ledger import Ledger  # noqa: E402
from grader.sandbox.worker import plain_problem  # noqa: E402

EXCERPT = 2000
MAX_LINE = 32 * 1024 * 1024  # one event; a value of 1M floats is about 20 MB of JSON
MAX_RESULTS = 64 * 1024 * 1024  # all the events of one request
SLACK = 10.0  # seconds on top of the sum of the limits, for forks and bookkeeping
WAIT_POLL = 0.01  # seconds between checks for a worker's exit once its result pipe is closed


class OutOfPlace(Exception):
    """An event the worker's own code would never send at this point: student code wrote to the pipe."""
PR_SET_PDEATHSIG = 1
try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:
    _LIBC = None


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker if the fork server dies (e.g. a batch stopped with Ctrl-C twice):
    a worker is in its own session, so nothing else would reach it."""
    if _LIBC is not None and sys.platform.startswith("linux"):
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the server died before prctl took effect
        os._exit(5)


def _cap_error(result: dict[str, Any]) -> dict[str, Any]:
    """An error from the worker keeps only short plain fields: student code may have written it."""
    error = result.get("error")
    if isinstance(error, dict):
        result["error"] = {k: (v[:2000] if isinstance(v, str) else v if v is None or type(v) in (int, bool)
                               else str(v)[:200]) for k, v in list(error.items())[:8] if isinstance(k, str)}
    if "type" in result:
        result["type"] = str(result["type"])[:100]
    return result


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
    def __init__(self, request: dict[str, Any], landlock: kernel.Landlock | None = None) -> None:
        self.landlock = landlock
        self.required = request.get("isolation", "required") == "required"
        self.dir: str = request["dir"]
        self.tasks: list[dict[str, Any]] = request["tasks"]
        self.limits: dict[str, Any] = request["limits"]
        self.forbidden: list[str] = request.get("forbidden", [])
        n = len(self.tasks)
        self.results: list[dict[str, Any] | None] = [None] * n
        self.outputs: list[str] = [""] * n
        self.output_sizes: list[int] = [0] * n
        self.imports: dict[str, dict[str, Any]] = {}
        self.timed_out: set[tuple[str, str]] = set()
        self.crashed: set[tuple[str, str]] = set()  # their "after_cases" calls (invariant trials) are not run
        self.output_cap = self.limits["output_kb"] * 1024
        self.output_bytes = 0
        self.output_kept = 0
        self.internal = ""
        self.confinement: dict[str, Any] = {}
        modules = len({t["module"] for t in self.tasks})
        self.budget = modules * self.limits["import_time"] + n * self.limits["time_per_call"] + SLACK
        self.end = time.monotonic() + self.budget
        self.result_bytes = 0
        self.todo: list[int] = []
        self.cursor = -1  # position in self.todo of the last task started in this round

    # -- running -----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        rounds = 0
        while True:
            todo = self._pending()
            if not todo:
                break
            rounds += 1
            if time.monotonic() >= self.end:
                for i in todo:
                    self._resolve(i, {"ok": False, "error": {
                        "exception": "Timeout", "file": None, "line": None,
                        "message": f"not run: this submission's total time budget ({self.budget:g} s) is used up"}})
                break
            if rounds > len(self.tasks) + 2:  # every round resolves at least one task; this is a backstop
                self._give_up(todo)
                break
            self._round(todo)
        self._note_truncated()
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        return {"results": self.results, "outputs": self.outputs, "imports": self.imports,
                "output_bytes": self.output_bytes, "internal": self.internal, "worker_peak_rss_kb": peak,
                "confinement": self.confinement}

    def _keep_output(self, data: bytes, phase: tuple[str, Any]) -> None:
        self.output_bytes += len(data)
        if phase[0] == "call":
            self.output_sizes[phase[1]] += len(data)
        room = self.output_cap - self.output_kept
        if room <= 0:
            return
        chunk = data[:room]
        self.output_kept += len(chunk)
        if phase[0] == "call":
            i = phase[1]
            if len(self.outputs[i]) < EXCERPT:
                self.outputs[i] += chunk.decode("utf-8", "replace")[: EXCERPT - len(self.outputs[i])]

    def _round(self, todo: list[int]) -> None:
        self.todo, self.cursor = todo, -1
        self.round_confined = False
        self.round_imports: set[str] = set()  # a fresh worker imports again
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        server = os.getpid()
        ruleset = self.landlock.ruleset(self.dir) if self.landlock is not None else None
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                _die_with(server)
                os.close(res_r)
                os.close(out_r)
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(out_w, 1)
                os.dup2(out_w, 2)
                os.dup2(res_w, 3)
                if ruleset is not None:
                    os.dup2(ruleset, 4, inheritable=False)
                os.closerange(5 if ruleset is not None else 4, 65536)
                signal.signal(signal.SIGPIPE, signal.SIG_DFL)
                for sig in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(sig, signal.SIG_DFL)
                from grader.sandbox.worker import main

                main(self.dir, self.tasks, todo, 3, self.limits, self.forbidden,
                     4 if ruleset is not None else None, self.required)
            finally:
                os._exit(4)
        if ruleset is not None:
            os.close(ruleset)
        os.close(res_w)
        os.close(out_w)
        try:
            self._watch(pid, res_r, out_r)
        finally:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            os.close(res_r)
            os.close(out_r)
            kernel.kill_children()  # orphans of the worker came back to us (subreaper): nothing outlives it

    def _watch(self, pid: int, res_r: int, out_r: int) -> None:
        limits = self.limits
        phase: tuple[str, Any] = ("idle", None)
        deadline = time.monotonic() + limits["import_time"] + 5
        started = 0.0
        buf = b""
        fds = [res_r, out_r]
        ended = False
        while res_r in fds:
            timeout = min(deadline, self.end) - time.monotonic()
            if timeout <= 0:
                self._kill(pid)
                self._drain(out_r, fds, phase)  # what the call printed before its deadline is still its own
                self._timeout(phase)
                return
            ready, _, _ = select.select(fds, [], [], timeout)
            if out_r in ready and res_r not in ready:
                data = os.read(out_r, 65536)
                if data:
                    self._keep_output(data, phase)
                else:
                    fds.remove(out_r)
            if res_r in ready:
                data = os.read(res_r, 65536)
                if not data:
                    fds.remove(res_r)
                    break
                buf += data
                self.result_bytes += len(data)
                if self.result_bytes > MAX_RESULTS or (b"\n" not in buf and len(buf) > MAX_LINE):
                    self._kill(pid)
                    self._crash(phase, "the worker's report was too large (more than "
                                       f"{(MAX_LINE if len(buf) > MAX_LINE else MAX_RESULTS) >> 20} MiB)")
                    return
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    try:
                        if len(line) > MAX_LINE:
                            raise ValueError("line too long")
                        ev = json.loads(line)
                        if not isinstance(ev, dict):
                            raise ValueError("not an event")
                    except (ValueError, RecursionError):
                        self._kill(pid)
                        self._crash(phase, "the worker's report was corrupted (did the code write to file "
                                           "descriptor 3?)")
                        return
                    if ev.get("ev") != "start" and b'"ev": "start"' not in buf:
                        # Output written before this event belongs to the phase it closes. When a later call's
                        # start is already buffered, the pipe may hold that call's output too, so it waits.
                        self._drain(out_r, fds, phase)
                    try:
                        phase, deadline, started, ended = self._event(ev, phase, deadline, started)
                    except (OutOfPlace, KeyError, TypeError, ValueError) as exc:
                        self._kill(pid)
                        self._crash(phase, f"the worker's report was out of order ({exc}; did the code write to "
                                           "file descriptor 3?)")
                        return
                    if ended:
                        self._kill(pid)
                        return
        # The result pipe closed before "end": the worker died, or closed its end and went on running, so
        # its exit is awaited under the same deadline, with its output still counted.
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            timeout = min(deadline, self.end) - time.monotonic()
            if timeout <= 0:
                self._kill(pid)
                self._drain(out_r, fds, phase)
                self._timeout(phase)
                return
            ready, _, _ = select.select(fds, [], [], min(timeout, WAIT_POLL))
            if ready:
                data = os.read(out_r, 65536)
                if data:
                    self._keep_output(data, phase)
                else:
                    fds.remove(out_r)
        self._drain(out_r, fds, phase)
        self._crash(phase, _describe_death(status, limits))

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
        """The task the worker must start next: the round's list in order, minus tasks already resolved."""
        for pos in range(self.cursor + 1, len(self.todo)):
            if self.results[self.todo[pos]] is None:
                return self.todo[pos]
        return None

    def _event(self, ev: dict[str, Any], phase: tuple[str, Any], deadline: float, started: float):
        limits = self.limits
        now = time.monotonic()
        kind = ev.get("ev")
        if kind != "internal" and not self.round_confined and kind != "confined":
            raise OutOfPlace(f"{kind!r} before confinement")
        if kind == "importing":
            nxt = self._next_task()
            if phase[0] != "idle" or nxt is None or ev.get("module") != self.tasks[nxt]["module"] \
                    or ev["module"] in self.round_imports:
                raise OutOfPlace("unexpected import")
            return ("import", ev["module"]), now + limits["import_time"], now, False
        if kind == "imported":
            if phase[0] != "import" or ev.get("module") != phase[1]:
                raise OutOfPlace("unexpected end of import")
            module = phase[1]
            self.round_imports.add(module)
            if ev.get("ok"):
                self.imports[module] = {"ok": True, "lines": ev.get("lines", {})}
            else:
                self._fail_module(module, ev.get("error", {}))
            return ("idle", None), now + 5 + limits["import_time"], now, False
        if kind == "start":
            i = ev.get("task")
            nxt = self._next_task()
            if phase[0] != "idle" or type(i) is not int or i != nxt or self.tasks[i]["module"] not in self.round_imports:
                raise OutOfPlace(f"start of task {i!r} when {nxt!r} is next")
            self.cursor = self.todo.index(i)
            return ("call", i), now + limits["time_per_call"], now, False
        if kind == "done" and phase[0] == "call" and ev.get("task") == phase[1]:
            i = phase[1]
            result = {k: ev[k] for k in ("ok", "value", "type", "error") if k in ev}
            problem = plain_problem(result.get("value", 0.0)) if result.get("ok") else None
            if problem or not isinstance(result.get("error", {}), dict):
                result = {"ok": False, "error": {"exception": "WrongType", "file": None, "line": None,
                                                 "message": f"expected numbers, got {problem or 'a malformed error'}"}}
            else:
                result = _cap_error(result)
            result["duration"] = round(now - started, 6)
            self._resolve(i, result)
            return ("idle", None), now + 5 + limits["import_time"], now, False
        if kind == "confined" and phase[0] == "idle" and not self.round_confined:
            self.round_confined = True
            layers = {k: bool(v) for k, v in list(ev.items())[:20] if k != "ev" and len(k) < 40}
            # A layer counts only if it took effect in every worker of this request.
            self.confinement = {k: v and self.confinement.get(k, True) for k, v in layers.items()}
            return phase, deadline, started, False
        if kind == "internal" and not self.round_confined:
            self.internal = str(ev.get("traceback", ""))[-4000:]
            return phase, deadline, started, False
        if kind == "end" and phase[0] == "idle":
            return phase, deadline, started, True
        raise OutOfPlace(f"unexpected {str(kind)[:40]!r}")

    def _kill(self, pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

def serve() -> None:
    """Answer requests until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when we stop
    # Done once here instead of in every worker: both are the same for every submission.
    landlock = kernel.Landlock(interpreter_dirs())
    network = private_network()
    if kernel.seccomp_available():
        kernel.seccomp_base(False)
        kernel.seccomp_base(True)
    probe = {**landlock.describe(), "seccomp_available": kernel.seccomp_available(), "network_namespace": network,
             "subreaper": kernel.set_subreaper()}
    # Objects that exist now are never collected by a worker's garbage collector, so a worker does not
    # walk (and copy-on-write) the whole inherited heap the first time it collects.
    gc.collect()
    gc.freeze()
    out = sys.stdout.buffer
    os.write(1, (json.dumps({"ready": True, "confinement": probe}) + "\n").encode())
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            response = Supervisor(request, landlock).run()
            response["confinement"] = {**probe, **response.get("confinement", {})}
            response["id"] = request.get("id")
        except Exception as exc:
            response = {"fatal": f"{type(exc).__name__}: {exc}"}
        data = (json.dumps(response) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(1, view):]
    out.flush()
    sys.stderr.flush()
    # Every reply is written with os.write and every worker is reaped: nothing is left to tear down, and
    # the interpreter's own teardown (NumPy's modules) would keep Sandbox.close() waiting for 20-70 ms.
    os._exit(0)


if __name__ == "__main__":
    serve()
