"""Mistakes for exercise 2 that a one-line transform cannot express. Trusted code: never sent to students."""

import math

import numpy as np


def cross_entropy_loss_unclipped(p, q):
    """No clipping: ln(0) = -inf, so a zero prediction gives inf (p > 0) or nan (0 * -inf)."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    return float(-np.sum(p * np.log(q)))


# The same mistake written with the math module: it raises where NumPy gives inf or nan (exercises/cross_entropy.yaml,
# crash:).

def cross_entropy_loss_math_unclipped(p, q):
    """math.log(0) raises ValueError (math domain error)."""
    return -sum(pi * math.log(qi) for pi, qi in zip(p, q, strict=True))


def cross_entropy_loss_math_inverse_unclipped(p, q):
    """Written as p * ln(1 / q): 1 / 0 raises ZeroDivisionError."""
    return sum(pi * math.log(1 / qi) for pi, qi in zip(p, q, strict=True))
