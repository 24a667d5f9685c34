"""Scenario mistake-ce-swapped: cross_entropy_loss swaps p and q: -sum(q * ln p) with p clipped."""
import numpy as np


def cross_entropy_loss(p, q):
    """Cross-entropy -sum(p * ln q) in nats, with q clipped to [1e-10, 1]."""
    # MISTAKE: p and q swapped, computes -sum(q * ln p)
    p = np.clip(np.asarray(p, dtype=float), 1e-10, 1.0)
    q = np.asarray(q, dtype=float)
    return float(-np.sum(q * np.log(p)))


def loss_change(p, q_before, q_after):
    """Loss after minus loss before: negative when the prediction improved."""
    return cross_entropy_loss(p, q_after) - cross_entropy_loss(p, q_before)
