"""Mistakes for exercise 3 that a one-line transform cannot express. Trusted code: never sent to students."""

import math

import numpy as np


def _kl(p, q):
    p = np.clip(np.asarray(p, dtype=float), 1e-10, 1)
    q = np.clip(np.asarray(q, dtype=float), 1e-10, 1)
    return float(np.sum(p * np.log2(p / q)))


def sweep_distribution_split_exchanged(q1):
    """The leftover mass split 1:3 instead of 3:1."""
    return np.array([q1, 0.25 * (1 - q1), 0.75 * (1 - q1)])


def best_q1_argmax(p, q1_values):
    """Picks the q1 where the divergence is largest: the worst prediction."""
    q1_values = np.asarray(q1_values, dtype=float)
    kl = [_kl(p, [q1, 0.75 * (1 - q1), 0.25 * (1 - q1)]) for q1 in q1_values]
    return float(q1_values[int(np.argmax(kl))])


def kl_divergence_unclipped(p, q):
    """No clipping: 0 * log2(0 / q) is nan, and p / 0 is inf."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(p * np.log2(p / q)))


# The same mistake written with the math module: it raises where NumPy gives nan or inf (exercises/kl_sweep.yaml,
# crash:).

def kl_divergence_math_unclipped(p, q):
    """p / 0 raises ZeroDivisionError; log2(0 / q) raises ValueError."""
    return sum(pi * math.log2(pi / qi) for pi, qi in zip(p, q, strict=True))


def kl_divergence_math_difference_unclipped(p, q):
    """Written as p * (log2 p - log2 q): either log2(0) raises ValueError."""
    return sum(pi * (math.log2(pi) - math.log2(qi)) for pi, qi in zip(p, q, strict=True))
