"""Cost of the kernel confinement per submission: the fork server's ruleset, and the worker's own steps.

Run: python benchmarks/confinement.py   (Linux; prints medians over 200 forks, in milliseconds)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.sandbox import kernel
from grader.sandbox.guard import interpreter_dirs

N = 200


def main() -> None:
    landlock = kernel.Landlock(interpreter_dirs())
    kernel.seccomp_base(False)  # as the fork server does, once
    build, worker = [], []
    with tempfile.TemporaryDirectory() as box:
        for _ in range(N):
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
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"Landlock ABI {landlock.abi}, seccomp {'available' if kernel.seccomp_available() else 'missing'}")
    print(f"ruleset built in the fork server: {ms(build):.3f} ms (median of {N})")
    print(f"worker: no_new_privs + capset + landlock_restrict_self + seccomp load: {ms(worker):.3f} ms (median)")
    print(f"total per submission: {ms(build) + ms(worker):.3f} ms")


if __name__ == "__main__":
    main()
