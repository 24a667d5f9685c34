"""Scenario hostile-infinite-loop: entropy() never returns.

ATTACKS: a grader without a per-call timeout hangs forever. most_uncertain is correct
and does not call entropy(), so it must still be graded.
"""
import numpy as np


def entropy(probs):
    while True:  # HOSTILE: busy loop, never returns
        pass


def _entropy(probs):
    """Honest helper, so that only the attacked function misbehaves."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Correct, and deliberately independent of entropy()."""
    return int(np.argmax([_entropy(d) for d in distributions]))
