"""Scenario hostile-close-result-pipe: entropy() closes every inherited descriptor, the result pipe among them,
then sleeps.

ATTACKS: a supervisor that, once the result pipe reaches its end, waits for the process to exit without a
deadline: the call would run 30 s against a 2 s limit and be reported as a crash, not a timeout.
most_uncertain is correct and does not call entropy(), so it must still be graded.
"""
import os
import time

import numpy as np


def entropy(probs):
    os.closerange(3, 1024)  # HOSTILE: the result pipe (fd 3 in the confined worker) and any other descriptor
    time.sleep(30)


def _entropy(probs):
    """Honest helper, so that only the attacked function misbehaves."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Correct, and deliberately independent of entropy()."""
    return int(np.argmax([_entropy(d) for d in distributions]))
