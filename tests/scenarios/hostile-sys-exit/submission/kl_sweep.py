"""Scenario hostile-sys-exit: kl_divergence() kills the whole process with os._exit(0).

ATTACKS: os._exit skips every finally/except/atexit; exit status 0 looks like success.
The other KL functions are correct and do not call kl_divergence().
"""
import os

import numpy as np


def kl_divergence(p, q):
    os._exit(0)  # HOSTILE: immediate process exit with status 0


def _kl(p, q):
    """Honest helper, so that only kl_divergence misbehaves."""
    p = np.clip(np.asarray(p, dtype=float), 1e-10, 1.0)
    q = np.clip(np.asarray(q, dtype=float), 1e-10, 1.0)
    return float(np.sum(p * np.log2(p / q)))


def sweep_distribution(q1):
    return np.array([q1, 0.75 * (1 - q1), 0.25 * (1 - q1)])


def kl_sweep(p, q1_values):
    """Correct, and deliberately independent of kl_divergence()."""
    return np.array([_kl(p, sweep_distribution(q1)) for q1 in q1_values])


def best_q1(p, q1_values):
    q1_values = np.asarray(q1_values, dtype=float)
    return float(q1_values[np.argmin(kl_sweep(p, q1_values))])
