"""Scenario untouched-stubs: the exercise template handed in unchanged."""


def kl_divergence(p, q):
    """KL(P || Q) in bits."""
    raise NotImplementedError("Write this function")


def sweep_distribution(q1):
    """[q1, 0.75 (1 - q1), 0.25 (1 - q1)]."""
    raise NotImplementedError("Write this function")


def kl_sweep(p, q1_values):
    """KL(P || sweep_distribution(q1)) for each q1."""
    raise NotImplementedError("Write this function")


def best_q1(p, q1_values):
    """The q1 with the smallest KL."""
    raise NotImplementedError("Write this function")
