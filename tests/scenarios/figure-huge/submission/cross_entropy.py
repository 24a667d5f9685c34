"""Scenario correct-numpy: idiomatic NumPy solution, cross-entropy part."""
import numpy as np


def cross_entropy_loss(p, q):
    """Cross-entropy -sum(p * ln q) in nats, with q clipped to [1e-10, 1]."""
    p = np.asarray(p, dtype=float)
    q = np.clip(np.asarray(q, dtype=float), 1e-10, 1.0)
    return float(-np.sum(p * np.log(q)))


def loss_change(p, q_before, q_after):
    """Loss after minus loss before: negative when the prediction improved."""
    return cross_entropy_loss(p, q_after) - cross_entropy_loss(p, q_before)
