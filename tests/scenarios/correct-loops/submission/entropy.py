"""Scenario correct-loops: correct solution with explicit for-loops and helpers.py, entropy part."""
from helpers import as_floats, index_of_max, log2


def entropy(probs):
    """Shannon entropy in bits; outcomes with zero probability contribute 0."""
    total = 0.0
    for p in as_floats(probs):
        if p > 0:
            total -= p * log2(p)
    return total


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    entropies = []
    for dist in distributions:
        entropies.append(entropy(dist))
    return index_of_max(entropies)
