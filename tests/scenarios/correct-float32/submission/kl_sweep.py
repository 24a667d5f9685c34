"""Scenario correct-float32: correct NumPy solution computed entirely in float32, KL part."""
import numpy as np

LOW, HIGH = np.float32(1e-10), np.float32(1.0)


def kl_divergence(p, q):
    """KL(P || Q) in bits (np.float32), p and q clipped to [1e-10, 1]."""
    p = np.clip(np.asarray(p, dtype=np.float32), LOW, HIGH)
    q = np.clip(np.asarray(q, dtype=np.float32), LOW, HIGH)
    return np.sum(p * np.log2(p / q), dtype=np.float32)


def sweep_distribution(q1):
    """float32 array [q1, 0.75 (1 - q1), 0.25 (1 - q1)]."""
    q1 = np.float32(q1)
    one = np.float32(1)
    return np.array([q1, np.float32(0.75) * (one - q1), np.float32(0.25) * (one - q1)],
                    dtype=np.float32)


def kl_sweep(p, q1_values):
    """float32 array of KL(P || sweep_distribution(q1)) for every q1."""
    return np.array([kl_divergence(p, sweep_distribution(q1)) for q1 in q1_values],
                    dtype=np.float32)


def best_q1(p, q1_values):
    """The q1 (as np.float32) with the smallest KL."""
    q1_values = np.asarray(q1_values, dtype=np.float32)
    return q1_values[np.argmin(kl_sweep(p, q1_values))]


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
