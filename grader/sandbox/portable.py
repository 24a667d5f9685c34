"""The portable runner: one fresh interpreter per submission, started with ``subprocess``, on any OS.

For a student's own laptop (macOS, Windows, or Linux without the confined runner): no ``os.fork``,
``resource``, ``fcntl`` or ``select`` here, only ``subprocess``, reader threads and a queue. It speaks
the confined runner's worker protocol (``grader.sandbox.worker`` runs the calls in the child) and keeps
its rules, from this process: a wall-clock deadline per call (the child is killed on timeout and the
remaining calls go on in a new interpreter), the same output cap, the same messages. What it does not
have is kernel confinement; README "Platforms" says which limits each OS enforces.

A spare interpreter is started ahead (it imports NumPy and waits for its request) while the grader loads
the course or judges a round, so the next round does not wait for all of Python and NumPy to start; it has
seen nothing of the course until it gets a request.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, Any

import grader
from grader.sandbox.client import SandboxCrashed
from grader.sandbox.ledger import EXCERPT, Ledger
from grader.sandbox.reply import BadReply, check_event, done_result, load_line, malformed

HEAD = 4 * EXCERPT + 8  # bytes of a stretch of output that can hold EXCERPT characters of UTF-8
STARTUP = 30.0  # seconds for a fresh interpreter to import NumPy on a slow laptop, on top of the import limit
MAX_EVENT_LINE = 32 * 1024 * 1024  # an array of 10**6 floats is about 25 MB of JSON (the fork server's cap too)
SYNC_WAIT = 0.5  # how long a quiet output pipe may keep an event waiting for its marker; then markers are ignored
_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "TEMP", "TMP",
             "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
WINDOWS = sys.platform == "win32"


def _read_events(stream: IO[bytes], q: queue.Queue) -> None:
    while True:
        line = stream.readline(MAX_EVENT_LINE + 1)
        if not line:
            q.put(("ev-eof", None))
            return
        if len(line) > MAX_EVENT_LINE:
            q.put(("ev-bad", None))
            return
        q.put(("ev", line))


def _read_output(stream: IO[bytes], q: queue.Queue, marker: bytes) -> None:
    """Printed output as ("out", (first bytes, size)) between sync markers ("mark"), in pipe order.

    Only the first HEAD bytes of a stretch are kept (the parent never shows more than EXCERPT characters of
    a call) and stretches are passed on at each marker or every 50 ms, so a flood costs the parent counting,
    not a queue item per read. A marker split across reads is held back until complete.
    """
    tail = b""
    head = bytearray()
    size = 0
    last = time.monotonic()

    def add(data: bytes) -> None:
        nonlocal size
        size += len(data)
        if len(head) < HEAD:
            head.extend(data[:HEAD - len(head)])

    def flush() -> None:
        nonlocal size, last
        if size:
            q.put(("out", (bytes(head), size)))
            head.clear()
            size = 0
        last = time.monotonic()

    while True:
        data = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not data:
            add(tail)
            flush()
            q.put(("out-eof", None))
            return
        buf = tail + data
        while True:
            k = buf.find(marker)
            if k < 0:
                break
            add(buf[:k])
            flush()
            q.put(("mark", None))
            buf = buf[k + len(marker):]
        cut = max(0, len(buf) - (len(marker) - 1))
        add(buf[:cut])
        tail = buf[cut:]
        if time.monotonic() - last > 0.05:
            flush()


def enforced_here() -> dict[str, bool]:
    """Which limits the portable child enforces on this OS (it reports the same in its first event).

    Deadlines and output caps are the parent's and hold everywhere. RLIMIT_AS: Linux only (macOS accepts it
    but does not enforce it; Windows has no rlimits). The audit hook comes with grader.sandbox.guard, which
    needs ``resource``: macOS and Linux, not Windows.
    """
    rlimits = importlib.util.find_spec("resource") is not None
    return {"memory_limit": rlimits and sys.platform.startswith("linux"), "file_size_limit": rlimits,
            "cpu_limit": rlimits, "audit_hook": rlimits}


def child_argv() -> list[str]:
    """A fresh, isolated (-I) interpreter in UTF-8 mode that runs ``portable_child.main``."""
    pkg_parent = str(Path(grader.__file__).resolve().parent.parent)
    code = f"import sys; sys.path.insert(0, {pkg_parent!r}); from grader.sandbox.portable_child import main; main()"
    return [sys.executable, "-I", "-B", "-X", "utf8", "-c", code]


class _Child:
    """One fresh interpreter with its reader threads; started before it is needed."""

    def __init__(self) -> None:
        env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"  # as in the fork server: the same timings, and batch parallelises across submissions
        kwargs: dict[str, Any] = {}
        if WINDOWS:
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]  # Ctrl-C is the grader's to handle
        else:
            kwargs["start_new_session"] = True  # its own process group, killed as a whole
        self.marker = f"\x00grader-sync-{secrets.token_hex(12)}\x00".encode("ascii")
        try:
            self.proc = subprocess.Popen(
                child_argv(), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tempfile.gettempdir(), **kwargs,
            )
        except OSError as exc:
            raise SandboxCrashed(f"could not start a Python interpreter for the portable runner: {exc}") from exc
        self.queue: queue.Queue = queue.Queue(maxsize=256)  # bounded: a flood waits for the parent to count it
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.threads = [
            threading.Thread(target=_read_events, args=(self.proc.stdout, self.queue), daemon=True),
            threading.Thread(target=_read_output, args=(self.proc.stderr, self.queue, self.marker), daemon=True),
        ]
        for t in self.threads:
            t.start()

    def send(self, request: dict[str, Any]) -> None:
        data = json.dumps({**request, "marker": self.marker.decode("ascii")}).encode() + b"\n"

        def write() -> None:
            stdin = self.proc.stdin
            assert stdin is not None
            try:
                stdin.write(data)
                stdin.close()
            except OSError:
                pass  # the child died; its result pipe says so

        threading.Thread(target=write, daemon=True).start()

    def kill(self) -> None:
        """Kill the child and whatever it started, and reap it."""
        proc = self.proc
        if WINDOWS:
            if proc.poll() is None:
                subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
        else:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            proc.kill()
        except OSError:
            pass
        proc.wait()

    def finish(self) -> None:
        """After the kill: let the reader threads reach the end of their pipes (draining what they queue)."""
        # Not long: a process the code started (and that outlived the kill) may hold the pipes open.
        until = time.monotonic() + 0.5
        while any(t.is_alive() for t in self.threads) and time.monotonic() < until:
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass
        # A pipe whose reader is still blocked stays open (closing it would wait for the reader's lock); the
        # reader ends when the last process holding the other end does.
        for stream, reader in ((self.proc.stdin, None), (self.proc.stdout, self.threads[0]),
                               (self.proc.stderr, self.threads[1])):
            try:
                if stream is not None and (reader is None or not reader.is_alive()):
                    stream.close()
            except OSError:
                pass


def describe_exit(code: int, limits: dict[str, Any]) -> str:
    """The confined runner's words for a death, from a subprocess return code (negative: a POSIX signal)."""
    if code < 0:
        sig = -code
        if sig == getattr(signal, "SIGXCPU", None):
            return f"CPU time limit exceeded ({limits['cpu_per_call']:g} s)"
        if sig == getattr(signal, "SIGXFSZ", None):
            return f"file size limit exceeded ({limits['file_size_kb']} KiB)"
        if sig == signal.SIGSEGV:
            return "the process crashed (segmentation fault; often runaway recursion)"
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"the process was killed by {name}"
    if WINDOWS and code in (0xC00000FD, 0xC0000005):  # stack overflow, access violation
        return "the process crashed (segmentation fault; often runaway recursion)"
    return f"the process exited with status {code} (sys.exit or os._exit in student code ends grading early)"


class PortableSandbox:
    """The portable runner, with the confined one's interface: ``run(sandbox_dir, tasks, limits, forbidden)``."""

    runner = "portable"

    def __init__(self) -> None:
        self._spare: _Child | None = None
        self._current: _Child | None = None

    def spawn(self) -> None:
        """Start a spare interpreter without waiting for it, so its NumPy import overlaps the caller's work."""
        if self._spare is None or self._spare.proc.poll() is not None:
            if self._spare is not None:
                self._spare.kill()
                self._spare.finish()
            self._spare = _Child()

    def prestart(self) -> None:
        self.spawn()

    def take(self) -> _Child:
        """A started interpreter for a round. The next spare starts when the round is over (``spawn``), so
        that its start-up does not compete with the student's calls for the CPU while they are timed."""
        self.spawn()
        child, self._spare = self._spare, None
        assert child is not None
        self._current = child
        return child

    def run(self, sandbox_dir: Path, tasks: list[dict[str, Any]], limits: dict[str, Any],
            forbidden: list[str], isolation: str = "best-effort") -> dict[str, Any]:
        """``isolation`` is the confined runner's policy; this runner has no kernel layers to require (the
        choice of runner, grader.sandbox.backends, already applied the course's policy)."""
        given = str(sandbox_dir)
        resolved = str(Path(sandbox_dir).resolve())
        response = Supervisor(self, resolved, tasks, limits, forbidden).run()
        if resolved != given:  # e.g. macOS: /var is /private/var; the judge strips the folder it gave
            response = json.loads(json.dumps(response).replace(json.dumps(resolved)[1:-1], json.dumps(given)[1:-1]))
        return response

    def signal_kill(self) -> None:
        """From a signal handler: kill the children without waiting."""
        for child in (self._current, self._spare):
            if child is not None:
                try:
                    if WINDOWS:
                        child.proc.kill()
                    else:
                        os.killpg(child.proc.pid, signal.SIGKILL)
                except OSError:
                    pass

    def close(self) -> None:
        for child in (self._current, self._spare):
            if child is not None and child.proc.returncode is None:
                child.kill()
                child.finish()
        self._current = self._spare = None

    def __enter__(self) -> PortableSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Supervisor(Ledger):
    """Per request: rounds of calls, each in a fresh interpreter; the same rules and words as
    ``grader.sandbox.zygote.Supervisor`` (which cannot be imported here: it needs fork and rlimits)."""

    def __init__(self, sandbox: PortableSandbox, directory: str, tasks: list[dict[str, Any]],
                 limits: dict[str, Any], forbidden: list[str]) -> None:
        super().__init__(tasks, limits)
        self.sandbox = sandbox
        self.dir = directory
        self.forbidden = forbidden

    # -- one interpreter -------------------------------------------------------------------
    def _round(self, todo: list[int]) -> None:
        child = self.sandbox.take()
        child.send({"dir": self.dir, "tasks": self.tasks, "indexes": todo, "limits": self.limits,
                    "forbidden": self.forbidden})
        try:
            self._watch(child)
        finally:
            child.kill()
            child.finish()
            self.sandbox._current = None
        self.sandbox.spawn()

    def _watch(self, child: _Child) -> None:
        """Merge the two pipes in the child's order: output up to a sync marker belongs to the phase before the
        marker's event, so a marker waits for its event and an event for its marker (each at most SYNC_WAIT
        while the other pipe is quiet, for code that closed or forged its copy of the output pipe)."""
        limits = self.limits
        self._phase: tuple[str, Any] = ("idle", None)
        self._deadline = time.monotonic() + STARTUP + limits["import_time"] + 5
        self._started = 0.0
        events: deque[tuple[bytes, float]] = deque()  # events not handled yet, with their arrival time
        output: deque[tuple[str, Any]] = deque()  # ("out", (first bytes, size)) and ("mark", arrival time), in pipe order
        sync = True
        last_out = 0.0
        out_open = ev_open = True
        while True:
            now = time.monotonic()
            # -- apply what is in order ------------------------------------------------------
            while True:
                if output and output[0][0] == "out":
                    data, size = output.popleft()[1]
                    self._keep_output(data, self._phase, size)
                elif output and events:  # a marker and its event
                    output.popleft()
                    if not self._handle(child, *events.popleft()):
                        return
                elif output:  # a marker without its event yet
                    if now - output[0][1] < SYNC_WAIT:
                        break
                    output.popleft()  # not ours: dropped
                elif events and (not sync or not out_open or now >= self._deadline
                                 or now - max(events[0][1], last_out) >= SYNC_WAIT):
                    if sync and out_open and now < self._deadline:
                        sync = False  # the marker did not come (the code closed its copy of the pipe)
                    if not self._handle(child, *events.popleft()):
                        return
                else:
                    break
            if not ev_open and not events:
                # The result pipe closed before "end": the worker died. Its output comes first.
                try:
                    code = child.proc.wait(timeout=max(0.1, self._deadline - now))
                except subprocess.TimeoutExpired:  # it closed its result pipe and went on running
                    child.kill()
                    self._timeout(self._phase)
                    return
                until = time.monotonic() + 1
                while out_open and time.monotonic() < until:
                    try:
                        kind, data = child.queue.get(timeout=max(0.0, until - time.monotonic()))
                    except queue.Empty:
                        break
                    if kind == "out":
                        self._keep_output(data[0], self._phase, data[1])
                    out_open = kind != "out-eof"
                for kind, data in output:
                    if kind == "out":
                        self._keep_output(data[0], self._phase, data[1])
                self._crash(self._phase, describe_exit(code, limits))
                return
            if now >= self._deadline and not events:  # an event that came in time is handled first
                child.kill()
                self._timeout(self._phase)
                return
            wake = self._deadline if not (events or output) else min(self._deadline, now + 0.05)
            try:
                kind, data = child.queue.get(timeout=max(0.0, wake - now))
            except queue.Empty:
                continue
            if kind == "out":
                output.append(("out", data))
                last_out = time.monotonic()
            elif kind == "mark":
                output.append(("mark", time.monotonic()))
            elif kind == "out-eof":
                out_open = False
            elif kind == "ev":
                events.append((data, time.monotonic()))
            elif kind == "ev-eof":
                ev_open = False
            elif kind == "ev-bad":
                child.kill()
                self._crash(self._phase, "the worker's report was corrupted (did the code write to its result pipe?)")
                return

    def _handle(self, child: _Child, line: bytes, at: float) -> bool:
        """One event, timed by when it arrived (not when its output was drained); False when the round is over.
        An event that is not JSON or not of its declared shape (``grader.sandbox.reply``) ends the round: the
        import or call under way is a crash, as on the confined runner."""
        try:
            ev = check_event(load_line(line))
        except (ValueError, RecursionError) as exc:  # BadReply is a ValueError
            child.kill()
            self._crash(self._phase, malformed(exc) if isinstance(exc, BadReply) else
                        "the worker's report was corrupted (did the code write to its result pipe?)")
            return False
        self._phase, self._deadline, self._started, ended = self._event(ev, self._phase, self._deadline,
                                                                         self._started, at)
        return not ended

    def _event(self, ev: dict[str, Any], phase: tuple[str, Any], deadline: float, started: float, now: float):
        """Apply one checked event (``reply.check_event``); one out of order is ignored (its call's deadline
        still holds)."""
        limits = self.limits
        kind = ev["ev"]
        if kind == "importing" and any(t["module"] == ev["module"] for t in self.tasks):
            return ("import", ev["module"]), now + limits["import_time"], now, False
        if kind == "imported" and phase[0] == "import" and ev["module"] == phase[1]:
            module: str = phase[1]
            if ev["ok"]:
                self.imports[module] = {"ok": True, "lines": ev["lines"]}
            else:
                self._fail_module(module, ev["error"])
            return ("idle", None), now + 5 + limits["import_time"], now, False
        if kind == "start" and ev["task"] < len(self.tasks):
            return ("call", ev["task"]), now + limits["time_per_call"], now, False
        if kind == "done" and phase[0] == "call" and ev["task"] == phase[1]:
            i = phase[1]
            result = done_result(ev)
            result["duration"] = round(now - started, 6)
            self._resolve(i, result)
            return ("idle", None), now + 5 + limits["import_time"], now, False
        if kind == "confined" and phase[0] == "idle" and not self.confinement:
            self.confinement = {k: v for k, v in ev.items() if k != "ev"}
            return phase, now + 5 + limits["import_time"], started, False
        if kind == "internal":
            self.internal = ev["traceback"][-4000:]
            return phase, deadline, started, False
        if kind == "end":
            return phase, deadline, started, True
        return phase, deadline, started, False  # out of order: student code writing to the pipe
