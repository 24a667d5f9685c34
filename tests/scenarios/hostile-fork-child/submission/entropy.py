"""Scenario hostile-fork-child: entropy() leaves child processes behind, yet returns the right value.

ATTACKS: a grader that does not clean up descendants. Each call tries, each in its own
try/except: subprocess.Popen(["sleep", "1000"]) in a new session (escapes process-group
kills, and inherits stdout so a reader waiting for EOF hangs), os.fork() + setsid + exec
"sleep 1000", and a non-daemon multiprocessing.Process (interpreter exit waits for it).
The test checks that no such process survives grading.
"""
import os
import subprocess

import numpy as np


def _spawn_children():
    try:  # HOSTILE: detached sleep 1000
        subprocess.Popen(["sleep", "1000"], start_new_session=True)
    except Exception:
        pass
    try:  # HOSTILE: raw fork; the child becomes "sleep 1000" in its own session
        if os.fork() == 0:
            try:
                os.setsid()
                os.execvp("sleep", ["sleep", "1000"])
            finally:
                os._exit(0)  # never fall back into the grader's code in the child
    except Exception:
        pass
    try:  # HOSTILE: non-daemon multiprocessing child sleeping 1000 s
        import multiprocessing
        import time
        multiprocessing.Process(target=time.sleep, args=(1000,)).start()
    except Exception:
        pass


def entropy(probs):
    _spawn_children()
    return _entropy(probs)


def _entropy(probs):
    """Honest helper, so that only the attacked function misbehaves."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Correct, and deliberately independent of entropy()."""
    return int(np.argmax([_entropy(d) for d in distributions]))
