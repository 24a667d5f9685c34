"""Scenario broken-wrong-type: right numbers, wrong types.

entropy returns a formatted string such as "1.8464"; most_uncertain returns a
one-element list such as [0] instead of an int.
"""
import numpy as np


def _entropy(probs):
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def entropy(probs):
    return f"{_entropy(probs):.4f}"  # BROKEN: a str, not a number


def most_uncertain(distributions):
    return [int(np.argmax([_entropy(d) for d in distributions]))]  # BROKEN: a list, not an int
