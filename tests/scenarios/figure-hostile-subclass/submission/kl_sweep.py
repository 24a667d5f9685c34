"""Scenario figure-hostile-subclass: A Figure subclass whose methods lie (get_axes, get_lines, __getattribute__): refused, never read through its own methods."""
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


from matplotlib.figure import Figure


class Liar(Figure):
    """Draws like a Figure, then, once returned, lies to whoever reads it."""

    armed = False

    def __getattribute__(self, name):
        if object.__getattribute__(self, "armed") and not name.startswith("__"):
            if name in ("axes", "get_axes", "lines", "get_lines"):
                while True:  # a reader that trusts the object never comes back
                    pass
            raise SystemExit("the grader read me")
        return object.__getattribute__(self, name)


def plot_kl_sweep(p, q1_values):
    fig = plt.figure(FigureClass=Liar)
    fig.add_subplot().plot(q1_values, kl_sweep(p, q1_values))
    fig.armed = True
    return fig
