"""The fork server: a fresh interpreter that imports NumPy once, then forks a worker per submission.

It is started by the grader with a scrubbed environment and has never loaded a reference solution,
a hidden case or an expected value, so nothing a worker inherits from it is secret. It supervises
each worker from outside: per-call wall-clock deadlines, output caps, and a kill of the worker's
whole process group when a call or the submission is over. When a worker dies or is killed, the
remaining calls continue in a new worker, so one broken function never costs the others.

Protocol (stdin/stdout of this process, one JSON document per line): a request
``{"dir", "tasks", "limits", "forbidden"}`` gets a response ``{"results", "imports", "output_bytes"}``.
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

EXCERPT = 2000
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


class Supervisor:
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

    # -- bookkeeping -------------------------------------------------------------------------
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
            if key in self.timed_out:
                self._resolve(i, {"ok": False, "error": {
                    "exception": "Skipped", "file": None, "line": None,
                    "message": f"not run: {task['function']}() already exceeded the time limit on an earlier case"}})
                continue
            if key in self.crashed and task.get("after_cases") is not None:
                self._resolve(i, {"ok": False, "error": {
                    "exception": "Skipped", "file": None, "line": None,
                    "message": f"not run: {task['function']}() crashed on an earlier case"}})
                continue
            todo.append(i)
        return todo

    # -- running -----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        rounds = 0
        while True:
            todo = self._pending()
            if not todo:
                break
            rounds += 1
            if rounds > len(self.tasks) + 2:  # every round resolves at least one task; this is a backstop
                for i in todo:
                    self._resolve(i, {"ok": False, "error": {"exception": "GraderError", "file": None,
                                                             "line": None, "message": "worker kept failing"}})
                break
            self._round(todo)
        for i, text in enumerate(self.outputs):
            shown = len(text.encode("utf-8", "replace"))
            if self.output_sizes[i] > shown:
                self.outputs[i] = text + f"\n[… output truncated: {self.output_sizes[i] - shown} more bytes not shown]"
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
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                self._kill(pid)
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
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        self._kill(pid)
                        self._crash(phase, "the worker's report was corrupted (did the code write to file "
                                           "descriptor 3?)")
                        return
                    if ev.get("ev") != "start" and b'"ev": "start"' not in buf:
                        # Output written before this event belongs to the phase it closes. When a later call's
                        # start is already buffered, the pipe may hold that call's output too, so it waits.
                        self._drain(out_r, fds, phase)
                    phase, deadline, started, ended = self._event(ev, phase, deadline, started)
                    if ended:
                        self._kill(pid)
                        return
        # The result pipe closed before "end": the worker died.
        _, status = os.waitpid(pid, 0)
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

    def _event(self, ev: dict[str, Any], phase: tuple[str, Any], deadline: float, started: float):
        limits = self.limits
        now = time.monotonic()
        kind = ev.get("ev")
        if kind == "importing":
            return ("import", ev["module"]), now + limits["import_time"], now, False
        if kind == "imported":
            module = phase[1] if phase[0] == "import" else ev.get("module")
            if ev.get("ok"):
                self.imports[module] = {"ok": True, "lines": ev.get("lines", {})}
            else:
                self._fail_module(module, ev.get("error", {}))
            return ("idle", None), now + 5 + limits["import_time"], now, False
        if kind == "start":
            i = int(ev["task"])
            return ("call", i), now + limits["time_per_call"], now, False
        if kind == "done" and phase[0] == "call" and ev.get("task") == phase[1]:
            i = phase[1]
            result = {k: ev[k] for k in ("ok", "value", "type", "error") if k in ev}
            result["duration"] = round(now - started, 6)
            self._resolve(i, result)
            return ("idle", None), now + 5 + limits["import_time"], now, False
        if kind == "confined" and phase[0] == "idle" and not self.confinement:
            self.confinement = {k: v for k, v in ev.items() if k != "ev"}
            return phase, deadline, started, False
        if kind == "internal":
            self.internal = str(ev.get("traceback", ""))[-4000:]
            return phase, deadline, started, False
        if kind == "end":
            return phase, deadline, started, True
        # An event out of order can only come from student code writing to the pipe: ignore it.
        return phase, deadline, started, False

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

    def _timeout(self, phase: tuple[str, Any]) -> None:
        limits = self.limits
        if phase[0] == "call":
            i = phase[1]
            task = self.tasks[i]
            self.timed_out.add((task["module"], task["function"]))
            self._resolve(i, {"ok": False, "error": {
                "exception": "Timeout", "file": None, "line": None,
                "message": f"time limit exceeded: {task['function']}() ran for more than "
                           f"{limits['time_per_call']:g} s"}})
        elif phase[0] == "import":
            module = phase[1]
            file = next(t["file"] for t in self.tasks if t["module"] == module)
            self._fail_module(module, {"exception": "Timeout", "file": file, "line": None,
                                       "message": f"time limit exceeded: importing {file} took more than "
                                                  f"{limits['import_time']:g} s"})
        else:
            self._crash(phase, "the worker stopped responding")

    def _crash(self, phase: tuple[str, Any], why: str) -> None:
        if phase[0] == "call":
            i = phase[1]
            task = self.tasks[i]
            self.crashed.add((task["module"], task["function"]))
            self._resolve(i, {"ok": False, "error": {
                "exception": "Crash", "file": None, "line": None,
                "message": f"{why} while running {task['function']}()"}})
        elif phase[0] == "import":
            module = phase[1]
            file = next(t["file"] for t in self.tasks if t["module"] == module)
            self._fail_module(module, {"exception": "Crash", "file": file, "line": None,
                                       "message": f"{why} while importing {file}"})
        else:
            # Died between calls (e.g. in our own reporting): the next pending task takes the blame.
            todo = self._pending()
            if todo:
                task = self.tasks[todo[0]]
                self._resolve(todo[0], {"ok": False, "error": {
                    "exception": "Crash", "file": None, "line": None,
                    "message": f"{why} before {task['function']}() could run"}})


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
            response = Supervisor(json.loads(line), landlock).run()
            response["confinement"] = {**probe, **response.get("confinement", {})}
        except Exception as exc:
            response = {"fatal": f"{type(exc).__name__}: {exc}"}
        data = (json.dumps(response) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(1, view):]
    out.flush()


if __name__ == "__main__":
    serve()
