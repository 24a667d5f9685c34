"""Scenario diag-kl-math-crash, KL part."""
import math

import numpy as np


def kl_divergence(p, q):
    """KL in bits with the math module, without clipping."""
    return sum(pi * math.log2(pi / qi) for pi, qi in zip(p, q))  # MISTAKE: zeros raise


def sweep_distribution(q1):
    """Three outcomes: q1, then the remaining mass split 75% / 25%."""
    return np.array([q1, 0.75 * (1 - q1), 0.25 * (1 - q1)])


def kl_sweep(p, q1_values):
    """KL(P || sweep_distribution(q1)) for every q1."""
    return np.array([kl_divergence(p, sweep_distribution(q1)) for q1 in q1_values])


def best_q1(p, q1_values):
    """The q1 whose sweep distribution is closest to P (smallest KL)."""
    q1_values = np.asarray(q1_values, dtype=float)
    return float(q1_values[np.argmin(kl_sweep(p, q1_values))])
