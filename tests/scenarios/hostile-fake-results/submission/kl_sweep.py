"""Scenario hostile-fake-results: prints forged result lines; every answer is wrong."""
from fake_results import shout


def kl_divergence(p, q):
    shout()
    return -1.0  # wrong on purpose (KL is never negative)


def sweep_distribution(q1):
    shout()
    return [-1.0, -1.0, -1.0]  # wrong on purpose


def kl_sweep(p, q1_values):
    shout()
    return [-1.0 for _ in q1_values]  # wrong on purpose


def best_q1(p, q1_values):
    shout()
    return -1.0  # wrong on purpose
