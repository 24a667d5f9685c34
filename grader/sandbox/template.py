"""The template: the process every worker is forked from, which has never held a submission's data.

Why a separate process: a worker is a copy of the process that forks it, including memory that process has
freed. When the fork server forked workers itself, a worker could read the previous submission's whole reply
(results, outputs, hidden cases' values) out of the server's freed memory with ``ctypes`` or
``/proc/self/mem``, and in a batch a stub scored 10/10 with a classmate's answers. Scrubbing Python objects
does not help: freed memory is still mapped. So the fork server (``grader.sandbox.zygote``) forks this
template once, at start-up, before it has read a single request, and from then on:

- the template holds code only: Python, NumPy, the worker and guard modules, the seccomp filter compiled
  once; its stdin and stdout are ``/dev/null``, so it cannot read a request or write a reply;
- for each worker, the server sends it one byte and the worker's file descriptors (``SCM_RIGHTS``): the
  lifeline and output pipes, the progress page (a memfd) and the request (a sealed memfd), and the
  Landlock ruleset. The template forks, closes its copies and never reads or maps any of them; only the
  worker does;
- the template is the worker's parent: it waits for it, kills any orphan the worker left behind (it is the
  child subreaper), and reports the exit status and the children's peak memory to the server.

Messages on the socket (``SOCK_SEQPACKET``, one message per packet): server to template ``b"f"`` with the
descriptors, or ``b"m"`` to import matplotlib for a course with a figure function (answered ``b"M"``);
template to server ``b"P"`` + pid when the worker is forked (or ``b"E"`` + errno when fork failed), then
``b"X"`` + pid, wait status and peak RSS (KiB) once it has been reaped and its orphans killed. The template
trusts nothing from the worker; the server trusts nothing from either beyond these fixed-size records.

Linux only (``socket.send_fds``, ``os.memfd_create``): imported by the fork server, never by the grader.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import gc
import json
import mmap
import os
import resource
import select
import signal
import socket
import struct
import sys
from typing import Any

from grader.sandbox import kernel, page

_FORKED = struct.Struct("<cq")  # b"P", pid  |  b"E", errno
_REAPED = struct.Struct("<cqqq")  # b"X", pid, wait status, peak RSS of the template's children (KiB)
PR_SET_PDEATHSIG = 1
try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:
    _LIBC = None


class TemplateGone(RuntimeError):
    """The template died (it never runs student code, so only the OOM killer or a grader bug does this)."""


def die_with(parent: int) -> None:
    """Have the kernel SIGKILL this process when ``parent`` dies (e.g. a batch stopped with Ctrl-C twice): a
    worker is in its own session, so nothing else would reach it."""
    if _LIBC is not None and sys.platform.startswith("linux"):
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(5)


def sealed(data: bytes) -> int:
    """A memfd holding ``data``, sealed against writes, growth and shrinking: the worker's request."""
    fd = os.memfd_create("grader-request", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK
                | fcntl.F_SEAL_SEAL)
    return fd


class Template:
    """The fork server's handle on its template process."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        server = os.getpid()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                _serve(theirs, server)
            finally:
                os._exit(0)
        theirs.close()
        self.pid = pid
        self.sock = ours
        self.peak_rss_kb = 0
        self.figures = False  # matplotlib imported in the template (grader.sandbox.figure)
        self._reaped: dict[int, int] = {}
        hello = self.sock.recv(4096)
        if not hello:
            raise TemplateGone("the template process did not start")
        self.probe: dict[str, Any] = json.loads(hello)

    def fork(self, fds: list[int]) -> tuple[int, int]:
        """A new worker holding ``fds`` (the caller closes its own copies): its pid and a pidfd for it, opened
        by the template before it could be reaped, so a kill through it never reaches another process (-1 on a
        kernel without pidfds)."""
        try:
            socket.send_fds(self.sock, [b"f"], fds)
            msg, got, _flags, _addr = socket.recv_fds(self.sock, _REAPED.size, 1)
        except OSError as exc:
            raise TemplateGone(f"the template process is gone ({exc})") from None
        if len(msg) != _FORKED.size:
            for fd in got:
                os.close(fd)
            raise TemplateGone("the template process is gone")
        kind, value = _FORKED.unpack(msg)
        if kind != b"P" or len(got) > 1:
            for fd in got:
                os.close(fd)
            raise OSError(value, f"fork failed: {os.strerror(value)}")
        return int(value), got[0] if got else -1

    def preload_figures(self) -> None:
        """Have the template import matplotlib (a course with a figure function), once: one byte, no data."""
        try:
            self.sock.send(b"m")
            msg = self.sock.recv(_REAPED.size)
        except OSError as exc:
            raise TemplateGone(f"the template process is gone ({exc})") from None
        if len(msg) != _FORKED.size or _FORKED.unpack(msg)[0] != b"M":
            raise TemplateGone("the template process sent a message out of place")
        self.figures = True

    def reaped(self, pid: int, block: bool) -> int | None:
        """The wait status of worker ``pid`` once the template has reaped it and killed its orphans; None if it
        has not yet (``block=False``)."""
        while pid not in self._reaped:
            if not block and not select.select([self.sock], [], [], 0)[0]:
                return None
            msg = self.sock.recv(_REAPED.size)
            if len(msg) != _REAPED.size:
                raise TemplateGone("the template process is gone")
            kind, child, status, rss = _REAPED.unpack(msg)
            if kind != b"X":
                raise TemplateGone("the template process sent a message out of place")
            self._reaped[child] = status
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
        return self._reaped.pop(pid)

    def close(self) -> None:
        self.sock.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _serve(sock: socket.socket, server: int) -> None:
    """The template's loop: fork a worker per message, wait for it, report. Never returns."""
    die_with(server)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)  # the grader's requests and the server's replies are out of reach from here on
    os.dup2(null, 1)
    os.close(null)
    subreaper = kernel.set_subreaper()
    available = kernel.seccomp_available()
    if available:  # compiled once here, inherited by every worker, which adds only the rules naming its pid
        kernel.seccomp_base(False)
        kernel.seccomp_base(True)
    me = os.getpid()
    # Objects that exist now are never collected by a worker's garbage collector, so a worker does not walk
    # (and copy-on-write) the whole inherited heap the first time it collects.
    gc.freeze()
    sock.send(json.dumps({"subreaper": subreaper, "seccomp_available": available}).encode())
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(sock, 16, 8)
        except OSError:
            os._exit(0)
        if not msg:
            os._exit(0)  # the server has gone
        if msg == b"m":
            for fd in fds:
                os.close(fd)
            sock.send(_FORKED.pack(b"M", int(_preload_figures())))
            continue
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            sock.send(_FORKED.pack(b"E", exc.errno or errno.EAGAIN))
            continue
        if pid == 0:
            _start_worker(sock, fds, me)
        for fd in fds:
            os.close(fd)
        try:
            pidfd = os.pidfd_open(pid)  # the worker cannot be reaped before this process waits for it
        except OSError:  # a kernel before 5.3: the server kills by pid
            sock.send(_FORKED.pack(b"P", pid))
        else:
            socket.send_fds(sock, [_FORKED.pack(b"P", pid)], [pidfd])
            os.close(pidfd)
        while True:
            try:
                _, status, _usage = os.wait4(pid, 0)
                break
            except ChildProcessError:
                status = 0
                break
        kernel.kill_children()  # orphans of the worker came back here (subreaper): nothing outlives it
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        sock.send(_REAPED.pack(b"X", pid, status, rss))


def _preload_figures() -> bool:
    """matplotlib with Agg and its font cache built, in the template, so that every worker inherits it."""
    from grader.sandbox import figure

    done = figure.preload(figure.cache_folder())
    if done:
        gc.freeze()
    return done


def _start_worker(sock: socket.socket, fds: list[int], template: int) -> None:
    """In the new worker: read its request, map its page, put its descriptors in place, run. Never returns."""
    try:
        os.close(sock.detach())
        die_with(template)
        life_w, out_w, page_fd, request_fd, *rest = fds
        ruleset = rest[0] if rest else None
        size = os.fstat(request_fd).st_size
        data = b""
        while len(data) < size:
            chunk = os.pread(request_fd, size - len(data), len(data))
            if not chunk:
                break
            data += chunk
        os.close(request_fd)
        request = json.loads(data)
        del data
        shared = mmap.mmap(page_fd, page.SIZE)
        os.close(page_fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.dup2(life_w, 3)
        if ruleset is not None:
            os.dup2(ruleset, 4, inheritable=False)
        os.closerange(5 if ruleset is not None else 4, 65536)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
            signal.signal(sig, signal.SIG_DFL)
        from grader.sandbox.worker import main

        main(request["dir"], request["tasks"], request["todo"], shared, request["limits"], request["forbidden"],
             4 if ruleset is not None else None, request["required"])
    finally:
        os._exit(4)
