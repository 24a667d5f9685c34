"""Scenario figure-wrong-type: Returns the list of values instead of a figure: a clear wrong-type message; the rest is graded."""
import matplotlib.pyplot as plt
import numpy as np


def kl_divergence(p, q):
    p = np.clip(np.asarray(p, dtype=float), 1e-10, 1.0)
    q = np.clip(np.asarray(q, dtype=float), 1e-10, 1.0)
    return float(np.sum(p * np.log2(p / q)))


def sweep_distribution(q1):
    return np.array([q1, 0.75 * (1 - q1), 0.25 * (1 - q1)])


def kl_sweep(p, q1_values):
    return np.array([kl_divergence(p, sweep_distribution(q1)) for q1 in q1_values])


def best_q1(p, q1_values):
    q1_values = np.asarray(q1_values, dtype=float)
    return float(q1_values[np.argmin(kl_sweep(p, q1_values))])


def plot_kl_sweep(p, q1_values):
    return list(kl_sweep(p, q1_values))
