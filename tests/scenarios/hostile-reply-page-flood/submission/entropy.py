"""Scenario hostile-reply-page-flood: ten million lines written where the worker reports.

ATTACK (issue 22): 10 M lines on the progress page made the fork server parse them all before checking any
(1.3 GiB, 19 s). Lines are now read one at a time and reading stops at the first bad one. On the confined
runner the lines go on the shared page; on the portable one down the result pipe."""
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


_FLOOD = b"1\n" * 10_000_000
_me = _worker()
if _me is not None:
    writer = getattr(_me, "writer", None)
    if writer is not None:  # the confined runner: the progress page
        end = 64 + writer.used + len(_FLOOD)
        writer.page[64 + writer.used:end] = _FLOOD
        writer.used += len(_FLOOD)
        writer.page[0:8] = writer.used.to_bytes(8, "little")
    else:  # the portable runner: the result pipe
        try:
            os.write(_me.fd, _FLOOD)
        except OSError:
            pass


def entropy(probs):
    """Shannon entropy in bits; outcomes with zero probability contribute 0."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    return int(np.argmax([entropy(d) for d in distributions]))
