"""Mistakes for exercise 1 that a one-line transform cannot express. Trusted code: never sent to students."""

import math

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


# The same mistake written with the math module, as students often do: it raises where NumPy gives nan.
# Diagnosis names zero-probability-nan for a crash only where this code raises the same exception on the same
# input (exercises/entropy.yaml, crash:).

def entropy_math_keeps_zeros(probs):
    """math.log2(0) raises ValueError (math domain error)."""
    return -sum(p * math.log2(p) for p in probs)


def entropy_math_inverse_keeps_zeros(probs):
    """Written as p * log2(1 / p): 1 / 0 raises ZeroDivisionError."""
    return sum(p * math.log2(1 / p) for p in probs)
