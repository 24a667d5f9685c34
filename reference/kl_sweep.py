"""Reference for exercise 3: KL divergence in bits, swept along a one-parameter family of Q."""

import numpy as np


def kl_divergence(p, q):
    p = np.clip(np.asarray(p, dtype=float), 1e-10, 1)
    q = np.clip(np.asarray(q, dtype=float), 1e-10, 1)
    return float(np.sum(p * np.log2(p / q)) + 0.0)


def sweep_distribution(q1):
    return np.array([q1, 0.75 * (1 - q1), 0.25 * (1 - q1)])


def kl_sweep(p, q1_values):
    return np.array([kl_divergence(p, sweep_distribution(q1)) for q1 in q1_values])


def best_q1(p, q1_values):
    q1_values = np.asarray(q1_values, dtype=float)
    return float(q1_values[np.argmin(kl_sweep(p, q1_values))])


def plot_kl_sweep(p, q1_values):
    """The lesson's figure: the KL curve over q1, a dashed line where Q = P, labels, a title and a legend."""
    # Imported here, not at the top: the grader loads this module to diagnose numeric answers too, and
    # those never need matplotlib (about 0.4 s to import).
    import matplotlib.pyplot as plt

    q1_values = np.asarray(q1_values, dtype=float)
    plt.figure(figsize=(8, 5))
    plt.plot(q1_values, kl_sweep(p, q1_values), color="steelblue", linewidth=2)
    plt.axvline(x=p[0], color="red", linestyle="--", label="Q = P")
    plt.xlabel("q1")
    plt.ylabel("KL(P || Q)")
    plt.title("KL divergence is smallest when Q matches P")
    plt.legend()
    plt.grid(alpha=0.3)
    return plt.gcf()
