"""Scenario hostile-recursion: most_uncertain() recurses forever after lifting the recursion limit.

ATTACKS: with sys.setrecursionlimit(10**9) the RecursionError never comes, so the C stack
overflows (segfault) or memory runs out. A grader running student code in-process dies.
"""
import sys

import numpy as np


def entropy(probs):
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    try:
        sys.setrecursionlimit(10**9)  # HOSTILE: remove the safety net
    except Exception:
        pass
    return most_uncertain(list(distributions))  # HOSTILE: infinite recursion
