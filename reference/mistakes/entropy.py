"""Mistakes for exercise 1 that a one-line transform cannot express. Trusted code: never sent to students."""

import numpy as np


def _entropy(probs):
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def entropy_keeps_zeros(probs):
    """0 * log2(0) is left to NumPy, which gives nan."""
    p = np.asarray(probs, dtype=float)
    return float(-np.sum(p * np.log2(p)))


def most_uncertain_argmin(distributions):
    """Picks the distribution with the smallest entropy."""
    return int(np.argmin([_entropy(d) for d in distributions]))
