"""Scenario hostile-fake-results: prints forged result lines; every answer is wrong."""
from fake_results import shout


def cross_entropy_loss(p, q):
    shout()
    return -1.0  # wrong on purpose (a loss is never negative)


def loss_change(p, q_before, q_after):
    shout()
    return 1e9  # wrong on purpose
