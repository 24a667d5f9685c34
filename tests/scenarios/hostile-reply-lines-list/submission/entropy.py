"""Scenario hostile-reply-lines-list: correct NumPy code whose import makes the worker report its line map as a list.

ATTACK (issue 22): an `imported` event with `lines: []` (a list where the protocol has {name: line}) crashed the
grader (exit 70). The reply validator refuses it: the import of entropy.py is a crash charged to this student,
the other files are graded."""
import os
import sys

import numpy as np


def _worker():
    """The grader's worker object, found through the stack frames of the import under way."""
    frame = sys._getframe()
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if hasattr(candidate, "send") and hasattr(candidate, "tasks"):
            return candidate
        frame = frame.f_back
    return None


_me = _worker()
if _me is not None:
    _send = _me.send

    def _forged(event):
        if event.get("ev") == "imported" and event.get("module") == "entropy":
            event = {**event, "lines": []}
        _send(event)

    _me.send = _forged


def entropy(probs):
    """Shannon entropy in bits; outcomes with zero probability contribute 0."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    return int(np.argmax([entropy(d) for d in distributions]))
