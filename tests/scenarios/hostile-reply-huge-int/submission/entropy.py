"""Scenario hostile-reply-huge-int: correct NumPy code that makes the worker report entropy() as 10**4000.

ATTACK (issue 22): a `done` value of 10**4000 is valid JSON but no float; it crashed the grader with an
OverflowError (exit 70). Now each such call fails with WrongType (an integer beyond float range)."""
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
        if event.get("ev") == "done" and event.get("ok") and _me.tasks[event["task"]]["function"] == "entropy":
            event = {**event, "value": 10**4000}
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
