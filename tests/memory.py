"""The peak resident memory of this process, for tests that measure the grader's memory in a fresh interpreter.

``VmHWM`` from ``/proc/self/status``, not ``ru_maxrss``: Linux carries ``ru_maxrss`` across ``execve``, so a child
started by a large pytest process would report the parent's size.
"""

from __future__ import annotations


def peak_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")
