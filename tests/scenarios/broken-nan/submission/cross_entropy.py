"""Scenario broken-nan: cross_entropy_loss always returns nan (loss_change is built on it)."""


def cross_entropy_loss(p, q):
    return float("nan")  # BROKEN: always nan


def loss_change(p, q_before, q_after):
    return cross_entropy_loss(p, q_after) - cross_entropy_loss(p, q_before)
