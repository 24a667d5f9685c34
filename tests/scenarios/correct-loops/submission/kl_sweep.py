"""Scenario correct-loops: correct solution with explicit for-loops and helpers.py, KL part."""
from helpers import as_floats, clip, index_of_min, log2


def kl_divergence(p, q):
    """KL(P || Q) in bits, with p and q clipped to [1e-10, 1]."""
    p, q = as_floats(p), as_floats(q)
    total = 0.0
    for i in range(len(p)):
        pi, qi = clip(p[i]), clip(q[i])
        total += pi * log2(pi / qi)
    return total


def sweep_distribution(q1):
    """List [q1, 0.75 (1 - q1), 0.25 (1 - q1)]."""
    q1 = float(q1)
    return [q1, 0.75 * (1 - q1), 0.25 * (1 - q1)]


def kl_sweep(p, q1_values):
    """List of KL(P || sweep_distribution(q1)) for every q1."""
    result = []
    for q1 in q1_values:
        result.append(kl_divergence(p, sweep_distribution(q1)))
    return result


def best_q1(p, q1_values):
    """The q1 whose sweep distribution is closest to P (smallest KL)."""
    q1_values = as_floats(q1_values)
    return q1_values[index_of_min(kl_sweep(p, q1_values))]


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
