"""Scenario hostile-mutate-inputs: correct cross-entropy, then the inputs are destroyed in place."""
import numpy as np

from vandal import scribble


def _loss(p, q):
    p = np.asarray(p, dtype=float)
    q = np.clip(np.asarray(q, dtype=float), 1e-10, 1.0)
    return float(-np.sum(p * np.log(q)))


def cross_entropy_loss(p, q):
    result = _loss(p, q)
    scribble(p, q)
    return result


def loss_change(p, q_before, q_after):
    result = _loss(p, q_after) - _loss(p, q_before)
    scribble(p, q_before, q_after)
    return result
