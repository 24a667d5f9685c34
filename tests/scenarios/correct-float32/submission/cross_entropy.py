"""Scenario correct-float32: correct NumPy solution computed entirely in float32, cross-entropy part."""
import numpy as np

LOW, HIGH = np.float32(1e-10), np.float32(1.0)


def cross_entropy_loss(p, q):
    """Cross-entropy -sum(p * ln q) in nats (np.float32), q clipped to [1e-10, 1]."""
    p = np.asarray(p, dtype=np.float32)
    q = np.clip(np.asarray(q, dtype=np.float32), LOW, HIGH)
    return -np.sum(p * np.log(q), dtype=np.float32)


def loss_change(p, q_before, q_after):
    """Loss after minus loss before (np.float32): negative when the prediction improved."""
    return cross_entropy_loss(p, q_after) - cross_entropy_loss(p, q_before)
