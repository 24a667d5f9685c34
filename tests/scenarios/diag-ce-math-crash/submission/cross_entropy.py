"""Scenario diag-ce-math-crash, cross-entropy part."""
import math

import numpy as np


def cross_entropy_loss(p, q):
    """Cross-entropy in nats with the math module, without clipping."""
    return -sum(pi * math.log(qi) for pi, qi in zip(p, q))  # MISTAKE: math.log(0) raises


def loss_change(p, q_before, q_after):
    """Loss after minus loss before: negative when the prediction improved."""
    return cross_entropy_loss(p, q_after) - cross_entropy_loss(p, q_before)
