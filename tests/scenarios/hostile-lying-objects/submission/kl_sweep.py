"""Scenario hostile-lying-objects: kl_sweep returns a list subclass whose == is always True.

ATTACKS: `result == expected` on lists. The contents are the correct values plus 1.0, so
any honest numeric comparison fails. The other KL functions are correct.
"""
import numpy as np


class LyingList(list):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None


def kl_divergence(p, q):
    p = np.clip(np.asarray(p, dtype=float), 1e-10, 1.0)
    q = np.clip(np.asarray(q, dtype=float), 1e-10, 1.0)
    return float(np.sum(p * np.log2(p / q)))


def sweep_distribution(q1):
    return np.array([q1, 0.75 * (1 - q1), 0.25 * (1 - q1)])


def _kls(p, q1_values):
    return [kl_divergence(p, sweep_distribution(q1)) for q1 in q1_values]


def kl_sweep(p, q1_values):
    return LyingList(v + 1.0 for v in _kls(p, q1_values))  # HOSTILE: wrong values, lying ==


def best_q1(p, q1_values):
    q1_values = np.asarray(q1_values, dtype=float)
    return float(q1_values[np.argmin(_kls(p, q1_values))])
