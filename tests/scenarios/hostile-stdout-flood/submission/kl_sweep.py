"""Scenario hostile-stdout-flood: correct KL module (the problem is in entropy.py)."""
import numpy as np


def kl_divergence(p, q):
    """KL(P || Q) in bits, with p and q clipped to [1e-10, 1]."""
    p = np.clip(np.asarray(p, dtype=float), 1e-10, 1.0)
    q = np.clip(np.asarray(q, dtype=float), 1e-10, 1.0)
    return float(np.sum(p * np.log2(p / q)))


def sweep_distribution(q1):
    """Three outcomes: q1, then the remaining mass split 75% / 25%."""
    return np.array([q1, 0.75 * (1 - q1), 0.25 * (1 - q1)])


def kl_sweep(p, q1_values):
    """KL(P || sweep_distribution(q1)) for every q1."""
    return np.array([kl_divergence(p, sweep_distribution(q1)) for q1 in q1_values])


def best_q1(p, q1_values):
    """The q1 whose sweep distribution is closest to P (smallest KL)."""
    q1_values = np.asarray(q1_values, dtype=float)
    return float(q1_values[np.argmin(kl_sweep(p, q1_values))])


def plot_kl_sweep(p, q1_values):
    """The lesson's figure (added when the course's figure exercise arrived)."""
    import matplotlib.pyplot as plt

    xs = list(q1_values)
    ys = kl_sweep(list(p), list(xs))
    plt.figure()
    plt.plot(xs, ys)
    plt.axvline(x=p[0], linestyle="--", label="Q = P")
    plt.xlabel("q1")
    plt.ylabel("KL(P || Q)")
    plt.title("KL divergence along the sweep")
    plt.legend()
    return plt.gcf()
