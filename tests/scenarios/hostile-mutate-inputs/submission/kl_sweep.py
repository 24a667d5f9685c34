"""Scenario hostile-mutate-inputs: correct KL functions, then the inputs are destroyed in place."""
import numpy as np

from vandal import scribble


def _kl(p, q):
    p = np.clip(np.asarray(p, dtype=float), 1e-10, 1.0)
    q = np.clip(np.asarray(q, dtype=float), 1e-10, 1.0)
    return float(np.sum(p * np.log2(p / q)))


def _sweep(q1):
    return np.array([q1, 0.75 * (1 - q1), 0.25 * (1 - q1)], dtype=float)


def _kl_sweep(p, q1_values):
    return np.array([_kl(p, _sweep(q1)) for q1 in q1_values])


def kl_divergence(p, q):
    result = _kl(p, q)
    scribble(p, q)
    return result


def sweep_distribution(q1):
    result = _sweep(q1)
    scribble(q1)
    return result


def kl_sweep(p, q1_values):
    result = _kl_sweep(p, q1_values)
    scribble(p, q1_values)
    return result


def best_q1(p, q1_values):
    values = np.array(q1_values, dtype=float)
    result = float(values[np.argmin(_kl_sweep(p, values))])
    scribble(p, q1_values)
    return result


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
