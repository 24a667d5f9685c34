"""Scenario figure-hostile-labels: Labels, title and legend that hold HTML, ANSI escapes and GitHub workflow commands."""
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
    plt.plot(q1_values, kl_sweep(p, q1_values), label="\x1b[2J\x1b[31mred\x1b[0m <img src=x onerror=alert(1)>")
    plt.axvline(x=p[0], linestyle="--", label="\n::error file=x.py::forged\n::add-mask::secret")
    plt.xlabel("q1 </svg><script>alert(1)</script>")
    plt.ylabel("KL \x1b]8;;http://evil\x07link\x1b]8;;\x07")
    plt.title("KL\n::set-output name=score::100\n::warning::forged")
    plt.legend()
    return plt.gcf()
