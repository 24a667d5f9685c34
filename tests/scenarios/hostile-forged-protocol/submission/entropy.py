"""Scenario hostile-forged-protocol: writes its own events to the worker's result pipe and to the fork server.

ATTACKS (issue 11): (1) `start` events for every task, again and again, which used to reset the
per-call deadline forever (a 2 s limit stretched to 30 s); (2) a `done` reply nested 900 lists deep,
which used to crash the grader; (3) a forged whole reply written into the fork server's own stdout
through /proc/<parent>/fd/1, so that the grader would take it as this submission's result.
ATTACKS (issue 12, the progress page): (4) finds the shared progress page through the worker's stack
frames and claims, ten times a second for 30 s, that it holds more than its size; (5) disarms the worker's
own per-call timer and sleeps 30 s. The first case makes attacks 1-3 (anything on fd 3 ends the worker),
the second attack 4 (the length is capped: the call is a crash), the others attack 5 (the fork server's
backstop ends the call 1 s past its limit).
The test's time bound (10 s) fails if the deadline could be stretched; entropy never passes.
"""
import json
import os
import signal
import struct
import sys
import time

import numpy as np


def _forge_reply():
    try:
        fake = {"results": [{"ok": True, "value": 1.0}] * 100, "outputs": [""] * 100, "imports": {}}
        with open(f"/proc/{os.getppid()}/fd/1", "w") as fh:
            fh.write(json.dumps(fake) + "\n")
    except Exception:
        pass


def _forge_fd3():
    try:
        deep = "[" * 900 + "1.0" + "]" * 900
        os.write(3, ('{"ev": "done", "task": 0, "ok": true, "value": ' + deep + "}\n").encode())
    except Exception:
        pass
    for _ in range(30):
        try:
            for task in range(200):
                os.write(3, json.dumps({"ev": "start", "task": task}).encode() + b"\n")
        except Exception:
            pass
        time.sleep(1)


def _disarm():
    try:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
    except Exception:
        pass


def _forge_page():
    _disarm()
    shared = None
    frame = sys._getframe()
    while frame is not None and shared is None:
        writer = getattr(frame.f_locals.get("self"), "writer", None)
        shared = getattr(writer, "page", None)
        frame = frame.f_back
    for _ in range(300):
        try:
            struct.pack_into("<Q", shared, 0, 2**63)  # claims more than the page holds
        except Exception:
            pass
        time.sleep(0.1)


def entropy(probs):
    """Never right: the point is whether grading can be stretched or crashed."""
    _forge_reply()
    if list(probs) == [0.25] * 4:
        _forge_fd3()
    elif probs[0] == 0.97:
        _forge_page()
    else:
        _disarm()
        time.sleep(30)
    return -1.0


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    p = [np.asarray(d, dtype=float) for d in distributions]
    return int(np.argmax([float(-np.sum(q[q > 0] * np.log2(q[q > 0]))) for q in p]))
