"""Scenario hostile-reply-huge-lines: the worker's line map for entropy.py holds two 15 MB names.

ATTACK (issue 22): `lines` holding two 15 MB strings made a 150 MB report and a grader of 648 MiB. A line map
is {name: small int} with names of at most 200 characters: the import is a crash, and nothing of it is kept."""
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
            event = {**event, "lines": {"a" * 15_000_000: 1, "b" * 15_000_000: 2}}
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
