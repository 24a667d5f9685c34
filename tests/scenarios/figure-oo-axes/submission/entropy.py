"""Scenario correct-numpy: idiomatic NumPy solution, entropy part."""
import numpy as np


def entropy(probs):
    """Shannon entropy in bits; outcomes with zero probability contribute 0."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    return int(np.argmax([entropy(d) for d in distributions]))
