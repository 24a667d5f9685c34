"""Scenario hostile-memory-bomb: kl_divergence() allocates memory without bound.

ATTACKS: a grader without a memory limit lets this take the whole machine down
(or gets OOM-killed itself). It first asks NumPy for 800 GB in one go, then keeps
appending 100 MB bytes objects (which are really written, so the pages are committed).
The other KL functions are correct and do not call kl_divergence().
"""
import numpy as np


def kl_divergence(p, q):
    try:
        np.ones(10**11)  # HOSTILE: 800 GB in one allocation
    except MemoryError:
        pass
    hoard = []
    while True:  # HOSTILE: grow by 100 MB per iteration, forever
        hoard.append(b"x" * (100 * 1024 * 1024))


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
