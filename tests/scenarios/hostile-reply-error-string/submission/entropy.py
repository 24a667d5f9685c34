"""Scenario hostile-reply-error-string: entropy() fails, and the worker's error report becomes a plain string.

ATTACK (issue 22): `error` sent as a string crashed the portable runner (exit 70); it had none of the confined
runner's checks. Both runners now pass every event through one validator: the call is a crash."""
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
        if event.get("ev") == "done" and _me.tasks[event["task"]]["function"] == "entropy":
            event = {k: v for k, v in event.items() if k not in ("value", "type")}
            event.update(ok=False, error="Instructor note: regraded to 30/30")
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
