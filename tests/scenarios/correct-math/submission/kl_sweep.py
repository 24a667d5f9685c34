"""Scenario correct-math: pure Python with the math module only (no NumPy), KL part."""
import math


def _clip(x):
    return min(max(float(x), 1e-10), 1.0)


def kl_divergence(p, q):
    """KL(P || Q) in bits, with p and q clipped to [1e-10, 1]."""
    pairs = zip(map(_clip, p), map(_clip, q))
    return float(sum(pi * math.log2(pi / qi) for pi, qi in pairs))


def sweep_distribution(q1):
    """Three outcomes: q1, then the remaining mass split 75% / 25%."""
    q1 = float(q1)
    return [q1, 0.75 * (1 - q1), 0.25 * (1 - q1)]


def kl_sweep(p, q1_values):
    """KL(P || sweep_distribution(q1)) for every q1, as a list."""
    return [kl_divergence(p, sweep_distribution(q1)) for q1 in q1_values]


def best_q1(p, q1_values):
    """The q1 whose sweep distribution is closest to P (smallest KL)."""
    q1_values = [float(q1) for q1 in q1_values]
    kls = kl_sweep(p, q1_values)
    return q1_values[kls.index(min(kls))]


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
