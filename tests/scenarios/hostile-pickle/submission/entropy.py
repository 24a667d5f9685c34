"""Scenario hostile-pickle: entropy() returns an object whose unpickling runs a shell command.

ATTACKS: a grader that pickles the raw return value in the sandbox and unpickles it in the
trusted parent (e.g. multiprocessing result passing). Unpickling calls
os.system("touch /tmp/PWNED_pickle"). The test checks that file never appears.
The object is not a number (no __float__), so entropy must not pass.
"""
import os

import numpy as np


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/PWNED_pickle",))  # HOSTILE: runs on unpickling


def entropy(probs):
    return Payload()


def _entropy(probs):
    """Honest helper, so that only the attacked function misbehaves."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Correct, and deliberately independent of entropy()."""
    return int(np.argmax([_entropy(d) for d in distributions]))
