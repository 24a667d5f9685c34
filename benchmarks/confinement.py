"""Cost of the kernel confinement per submission, and of each layer issue 21 added.

Run: python benchmarks/confinement.py [-n 200]   (Linux, as root for the namespaces; medians in milliseconds)

Printed, each the median of N:
- the fork server's Landlock ruleset, and the worker's own steps (no_new_privs, capset, landlock_restrict_self,
  seccomp load), as before;
- seccomp: the load of the whole filter against the same filter without the metadata, IPC and chattr rules;
- the template's mechanics: a worker that exits at once, forked by the template (descriptors over SCM_RIGHTS,
  the request and page memfds, the pid and pidfd back, the reap reported) against a plain fork and waitpid in
  this process; benchmarks/per_submission.py measures a whole request, before and after;
- the disk budget: mounting the tmpfs over a three-file copy, copying it in and detaching it, per request; the
  watcher's count of the same copy, per wake;
- the clean-up: grader.files.remove_tree against shutil.rmtree on a three-file copy.
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import grader.sandbox.worker  # noqa: F401 - imported before the template forks, as in the fork server
from grader.files import remove_tree
from grader.sandbox import disk, kernel, page, template
from grader.sandbox.guard import interpreter_dirs


def ms(xs: list[float]) -> float:
    return statistics.median(xs) * 1000


def timed(n: int, setup: Callable[[], object], step: Callable[[object], object]) -> list[float]:
    out = []
    for _ in range(n):
        arg = setup()
        t0 = time.perf_counter()
        step(arg)
        out.append(time.perf_counter() - t0)
    return out


def submission(base: str) -> str:
    """A sandbox copy like a student's: three modules of a few KiB."""
    folder = tempfile.mkdtemp(dir=base)
    for name in ("entropy.py", "cross_entropy.py", "kl_sweep.py"):
        Path(folder, name).write_text("import numpy as np\n" + "# a line of a student's code\n" * 120)
    return folder


def worker_steps(n: int, landlock: kernel.Landlock, box: str) -> tuple[list[float], list[float]]:
    build, worker = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        ruleset = landlock.ruleset(box)
        build.append(time.perf_counter() - t0)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            t0 = time.perf_counter()
            kernel.no_new_privs()
            kernel.drop_capabilities()
            kernel.restrict_self(ruleset)
            kernel.apply_seccomp(False)
            os.write(w, str(time.perf_counter() - t0).encode())
            os._exit(0)
        os.close(w)
        worker.append(float(os.read(r, 100)))
        os.close(r)
        os.close(ruleset)
        os.waitpid(pid, 0)
    return build, worker


def seccomp_loads(n: int, names: list[str] | None) -> list[float]:
    """The load of a filter in a fresh fork: the full one (``names`` None), or one denying only ``names``."""
    s = kernel._load_seccomp()
    if names is not None:
        flt = s.SyscallFilter(s.ALLOW)
        for name in names:
            kernel._deny(flt, s.ERRNO(errno.EPERM), name)
    else:
        flt = kernel.seccomp_base(False)
    out = []
    for _ in range(n):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            kernel.no_new_privs()
            t0 = time.perf_counter()
            flt.load()
            os.write(w, str(time.perf_counter() - t0).encode())
            os._exit(0)
        os.close(w)
        out.append(float(os.read(r, 100)))
        os.close(r)
        os.waitpid(pid, 0)
    return out


def template_forks(n: int) -> tuple[list[float], list[float]]:
    """The mechanics alone, for a worker that exits at once: through the template (pipes, the page and request
    memfds over SCM_RIGHTS, fork, pid and pidfd back, the reap reported; the request is not JSON, so the worker
    ends as soon as it has read it), and by a plain fork and waitpid of this process (as the fork server did)."""
    forker = template.Template()
    through, plain = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        life_r, life_w = os.pipe()
        out_r, out_w = os.pipe()
        shared, page_fd = page.create()
        fds = [life_w, out_w, page_fd, template.sealed(b"not a request")]
        pid, pidfd = forker.fork(fds)
        for fd in fds:
            os.close(fd)
        forker.reaped(pid, block=True)
        for fd in (pidfd, life_r, out_r):
            os.close(fd)
        shared.close()
        through.append(time.perf_counter() - t0)
    forker.close()
    for _ in range(n):
        t0 = time.perf_counter()
        life_r, life_w = os.pipe()
        out_r, out_w = os.pipe()
        shared = page.new()
        pid = os.fork()
        if pid == 0:
            os._exit(4)
        for fd in (life_w, out_w, life_r, out_r):
            os.close(fd)
        os.waitpid(pid, 0)
        shared.close()
        plain.append(time.perf_counter() - t0)
    return through, plain


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200)
    n = parser.parse_args().n
    landlock = kernel.Landlock(interpreter_dirs())
    kernel.seccomp_base(False)  # as the template does, once
    base = tempfile.mkdtemp(prefix="grader-bench-")
    try:
        box = submission(base)
        build, worker = worker_steps(n, landlock, box)
        print(f"Landlock ABI {landlock.abi}, seccomp {'available' if kernel.seccomp_available() else 'missing'}, "
              f"uid {os.getuid()}; medians of {n}, ms")
        print(f"ruleset built in the fork server:                        {ms(build):7.3f}")
        print(f"worker: no_new_privs + capset + restrict_self + seccomp: {ms(worker):7.3f}")
        full = seccomp_loads(n, None)
        old = seccomp_loads(n, [*kernel._DENY_ALWAYS, *kernel._PROCESS])
        print(f"seccomp load, whole filter:                              {ms(full):7.3f}")
        print(f"seccomp load, without the metadata/IPC/chattr rules:     {ms(old):7.3f}"
              f"   -> new rules {ms(full) - ms(old):+.3f}")
        through, plain = template_forks(n)
        print(f"worker forked by the template, exiting at once:          {ms(through):7.3f}")
        print(f"worker forked by the fork server itself, the same:       {ms(plain):7.3f}"
              f"   -> template {ms(through) - ms(plain):+.3f}")
        if disk.private_mounts():
            budget_ms = timed(n, lambda: submission(base),
                              lambda folder: disk.Budget(str(folder), 64, True).detach())
            print(f"disk budget: tmpfs mount + copy of 3 files + detach:     {ms(budget_ms):7.3f}  (per request)")
        else:
            print("disk budget: no mount namespace here (not root): the watcher only")
        watch = timed(n, lambda: box, lambda folder: disk.usage(str(folder), disk.MAX_INODES))
        print(f"disk watcher: one count of a 3-file copy:                {ms(watch):7.3f}  (per wake, no tmpfs)")
        ours, theirs = [], []
        for _ in range(n):  # alternately, so that the disk's state weighs on both alike
            ours += timed(1, lambda: submission(base), lambda folder: remove_tree(Path(str(folder))))
            theirs += timed(1, lambda: submission(base), lambda folder: shutil.rmtree(str(folder)))
        print(f"clean-up: remove_tree of a 3-file copy:                  {ms(ours):7.3f}")
        print(f"clean-up: shutil.rmtree of the same (as before):         {ms(theirs):7.3f}"
              f"   -> {ms(ours) - ms(theirs):+.3f}")
        t0 = time.perf_counter()
        from grader.sandbox.guard import private_ipc

        ipc = private_ipc()
        took = f"{(time.perf_counter() - t0) * 1000:.3f} ms" if ipc else "not available (not root)"
        print(f"IPC namespace, once per fork server: {took}")
    finally:
        remove_tree(Path(base))


if __name__ == "__main__":
    main()
