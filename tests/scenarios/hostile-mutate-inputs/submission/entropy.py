"""Scenario hostile-mutate-inputs: correct answers, then the inputs are destroyed in place.

ATTACKS: every function computes the right answer first, then sets array entries to 999
and empties lists it was given (see vandal.py). Each call must get fresh inputs.
"""
import numpy as np

from vandal import scribble


def _entropy(probs):
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def entropy(probs):
    result = _entropy(probs)
    scribble(probs)
    return result


def most_uncertain(distributions):
    result = int(np.argmax([_entropy(d) for d in distributions]))
    scribble(distributions)
    return result
