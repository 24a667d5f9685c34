"""Scenario correct-loops: correct solution with explicit for-loops and helpers.py, cross-entropy part."""
from helpers import as_floats, clip, ln


def cross_entropy_loss(p, q):
    """Cross-entropy -sum(p * ln q) in nats, with q clipped to [1e-10, 1]."""
    p, q = as_floats(p), as_floats(q)
    total = 0.0
    for i in range(len(p)):
        total -= p[i] * ln(clip(q[i]))
    return total


def loss_change(p, q_before, q_after):
    """Loss after minus loss before: negative when the prediction improved."""
    return cross_entropy_loss(p, q_after) - cross_entropy_loss(p, q_before)
