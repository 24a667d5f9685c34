"""Scenario broken-wrong-shape: kl_sweep returns a scalar and sweep_distribution two elements.

kl_divergence and best_q1 are correct (best_q1 does not rely on the broken functions).
"""
import numpy as np


def kl_divergence(p, q):
    """KL(P || Q) in bits, with p and q clipped to [1e-10, 1]."""
    p = np.clip(np.asarray(p, dtype=float), 1e-10, 1.0)
    q = np.clip(np.asarray(q, dtype=float), 1e-10, 1.0)
    return float(np.sum(p * np.log2(p / q)))


def _sweep(q1):
    return np.array([q1, 0.75 * (1 - q1), 0.25 * (1 - q1)])


def sweep_distribution(q1):
    return np.array([q1, 1 - q1])  # BROKEN: 2 elements instead of 3


def kl_sweep(p, q1_values):
    return float(sum(kl_divergence(p, _sweep(q1)) for q1 in q1_values))  # BROKEN: a scalar (the sum)


def best_q1(p, q1_values):
    q1_values = np.asarray(q1_values, dtype=float)
    kls = [kl_divergence(p, _sweep(q1)) for q1 in q1_values]
    return float(q1_values[np.argmin(kls)])
