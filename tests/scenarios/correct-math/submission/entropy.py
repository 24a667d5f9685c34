"""Scenario correct-math: pure Python with the math module only (no NumPy), entropy part."""
import math


def entropy(probs):
    """Shannon entropy in bits; outcomes with zero probability contribute 0."""
    return float(-sum(p * math.log2(p) for p in map(float, probs) if p > 0))


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    entropies = [entropy(d) for d in distributions]
    return entropies.index(max(entropies))
