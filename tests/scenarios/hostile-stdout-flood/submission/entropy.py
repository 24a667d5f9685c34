"""Scenario hostile-stdout-flood: entropy() prints millions of lines, then returns the right value.

ATTACKS: a grader that buffers all student output in memory, parses stdout for its own
results, or lets a pipe fill up and deadlock. Each call writes 2,000,000 lines (~40 MB)
to stdout and some more to stderr.
"""
import sys

import numpy as np

_BLOCK = ("flood flood flood!\n") * 100_000  # 100,000 lines of 19 bytes


def entropy(probs):
    for _ in range(20):  # HOSTILE: 2 million lines on stdout per call
        print(_BLOCK, end="")
    sys.stdout.flush()
    sys.stderr.write(_BLOCK)  # HOSTILE: and 100,000 on stderr
    sys.stderr.flush()
    return _entropy(probs)


def _entropy(probs):
    """Honest helper, so that only the attacked function misbehaves."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Correct, and deliberately independent of entropy()."""
    return int(np.argmax([_entropy(d) for d in distributions]))
