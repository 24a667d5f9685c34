"""Scenario correct-math: pure Python with the math module only (no NumPy), cross-entropy part."""
import math


def _clip(x):
    return min(max(float(x), 1e-10), 1.0)


def cross_entropy_loss(p, q):
    """Cross-entropy -sum(p * ln q) in nats, with q clipped to [1e-10, 1]."""
    return float(-sum(float(pi) * math.log(_clip(qi)) for pi, qi in zip(p, q)))


def loss_change(p, q_before, q_after):
    """Loss after minus loss before: negative when the prediction improved."""
    return cross_entropy_loss(p, q_after) - cross_entropy_loss(p, q_before)
