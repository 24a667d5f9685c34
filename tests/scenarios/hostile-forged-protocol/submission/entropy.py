"""Scenario hostile-forged-protocol: writes its own events to the worker's result pipe and to the fork server.

ATTACKS (issue 11): (1) `start` events for every task, again and again, which used to reset the
per-call deadline forever (a 2 s limit stretched to 30 s); (2) a `done` reply nested 900 lists deep,
which used to crash the grader; (3) a forged whole reply written into the fork server's own stdout
through /proc/<parent>/fd/1, so that the grader would take it as this submission's result.
The test's time bound (10 s) fails if the deadline could be stretched; entropy never passes.
"""
import json
import os
import time

import numpy as np


def _forge():
    try:
        fake = {"results": [{"ok": True, "value": 1.0}] * 100, "outputs": [""] * 100, "imports": {}}
        with open(f"/proc/{os.getppid()}/fd/1", "w") as fh:
            fh.write(json.dumps(fake) + "\n")
    except Exception:
        pass
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


def entropy(probs):
    """Never right: the point is whether grading can be stretched or crashed."""
    _forge()
    return -1.0


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    p = [np.asarray(d, dtype=float) for d in distributions]
    return int(np.argmax([float(-np.sum(q[q > 0] * np.log2(q[q > 0]))) for q in p]))
