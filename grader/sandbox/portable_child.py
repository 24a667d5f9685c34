"""The child of the portable runner: a fresh interpreter that runs one submission's calls, on any OS.

Started by ``grader.sandbox.portable`` with ``subprocess`` (no ``os.fork``), it imports NumPy, then
reads one JSON request on stdin, runs the calls with the same ``Worker`` as the confined runner and
reports the same JSON events. Only JSON crosses back. The parent enforces the wall-clock deadlines and
output caps from outside; this process adds what the OS offers without privileges (rlimits on
macOS/Linux, the audit hook where ``grader.sandbox.guard`` imports), and says which in its first event.

File descriptors: fd 1 (a pipe the parent reads) is kept for events under another number; fd 1 and 2
then both go to the output pipe, so whatever the student prints is counted and capped by the parent.
Before each event a sync marker goes to the output pipe, so the parent can tell which call printed what.
No module-level import here is Linux-only: this file must import on Windows.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from types import ModuleType
from typing import Any

MAX_REQUEST = 256 * 1024 * 1024


def _guard() -> ModuleType | None:
    """The confined runner's guard where it imports (it needs ``resource``: not on Windows)."""
    try:
        from grader.sandbox import guard
    except ImportError:
        return None
    return guard


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _rlimits(limits: dict[str, Any]) -> dict[str, bool]:
    """rlimits where the OS has them. Memory: RLIMIT_AS on top of what is mapped now, on Linux only
    (macOS accepts RLIMIT_AS but does not enforce it; Windows has no rlimits)."""
    done = {"memory_limit": False, "file_size_limit": False, "cpu_limit": False}
    try:
        import resource
    except ImportError:
        return done

    def cap(which: int, value: int) -> bool:
        try:
            _soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, hard))
            return True
        except (ValueError, OSError):
            return False

    done["file_size_limit"] = cap(resource.RLIMIT_FSIZE, limits["file_size_kb"] * 1024)
    cap(resource.RLIMIT_NOFILE, limits["open_files"])
    cap(resource.RLIMIT_CORE, 0)
    done["cpu_limit"] = True
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/statm") as fh:
                mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            return done
        size = mapped + limits["memory_mb"] * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
            done["memory_limit"] = True
        except (ValueError, OSError):
            pass
    return done


def confine(sandbox: str, forbidden: list[str], limits: dict[str, Any]) -> dict[str, Any]:
    """Best effort, without privileges; returns which layers took effect (the first event reports them)."""
    os.chdir(sandbox)
    tmp = os.path.join(sandbox, ".tmp")
    os.makedirs(tmp, exist_ok=True)
    for var in ("TMPDIR", "TEMP", "TMP"):
        os.environ[var] = tmp
    os.environ["HOME"] = sandbox
    tempfile.tempdir = tmp
    layers: dict[str, Any] = {"runner": "portable", **_rlimits(limits), "audit_hook": False}
    guard = _guard()
    if guard is not None:
        guard.scrub_imports(sandbox, forbidden)
        guard.install_audit_hook(sandbox, forbidden, limits["allow_subprocesses"])
        layers["audit_hook"] = True
    else:  # the same import path as the guard gives: the submission first, nothing that leads to the course
        real = [os.path.realpath(p) for p in forbidden]
        sys.path[:] = [sandbox] + [p for p in sys.path if p and os.path.realpath(p) != sandbox
                                   and not _inside(os.path.realpath(p), real)]
        sys.path_importer_cache.clear()
    return layers


def _worker_class() -> type:
    from grader.sandbox.worker import Worker

    class PortableWorker(Worker):
        """The confined runner's worker, with a sync marker before each event and CPU limits where they exist."""

        def __init__(self, *args: Any, out_fd: int, marker: bytes, rlimits: bool) -> None:
            super().__init__(*args)
            self.out_fd = out_fd
            self.marker = marker
            self.rlimits = rlimits

        def send(self, event: dict[str, Any]) -> None:
            try:
                os.write(self.out_fd, self.marker)
            except OSError:  # student code closed it: the parent stops waiting for markers
                pass
            super().send(event)

        def settle_output(self) -> None:
            pass  # the sync markers order output and events here

        def cpu_budget(self, seconds: float) -> None:
            if self.rlimits:
                super().cpu_budget(seconds)

    return PortableWorker


def main() -> None:
    """Entry point; never returns."""
    events = os.dup(1)
    out = os.dup(2)
    os.dup2(2, 1)  # print() and the student's writes to fd 1 go to the output pipe
    code = 0
    try:
        import numpy  # noqa: F401 - loaded before the request arrives, so a spare child is warm

        worker_class = _worker_class()
        line = sys.stdin.buffer.readline(MAX_REQUEST)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        if not line:
            os._exit(0)  # a spare child that was never used
        request = json.loads(line)
        layers = confine(request["dir"], request["forbidden"], request["limits"])
        worker = worker_class(request["dir"], request["tasks"], events, request["limits"], out_fd=out,
                              marker=request["marker"].encode("ascii"), rlimits=layers["cpu_limit"] and
                              _guard() is not None)
        worker.send({"ev": "confined", **layers})
        worker.run(request["indexes"])
    except BaseException:
        code = 3
        try:
            os.write(events, (json.dumps({"ev": "internal", "traceback": traceback.format_exc()}) + "\n").encode())
        except OSError:
            pass
    finally:
        os._exit(code)
