"""Mistakes for exercise 2 that a one-line transform cannot express. Trusted code: never sent to students."""

import numpy as np


def cross_entropy_loss_unclipped(p, q):
    """No clipping: ln(0) = -inf, so a zero prediction gives inf (p > 0) or nan (0 * -inf)."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    return float(-np.sum(p * np.log(q)))
