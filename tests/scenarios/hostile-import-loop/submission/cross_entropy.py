"""Scenario hostile-import-loop: importing this module never finishes.

ATTACKS: a grader that imports student modules without a timeout hangs at import time.
"""
import numpy as np

while True:  # HOSTILE: infinite loop at import time
    pass


def cross_entropy_loss(p, q):
    p = np.asarray(p, dtype=float)
    q = np.clip(np.asarray(q, dtype=float), 1e-10, 1.0)
    return float(-np.sum(p * np.log(q)))


def loss_change(p, q_before, q_after):
    return cross_entropy_loss(p, q_after) - cross_entropy_loss(p, q_before)
