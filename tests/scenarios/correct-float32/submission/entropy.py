"""Scenario correct-float32: correct NumPy solution computed entirely in float32, entropy part."""
import numpy as np


def entropy(probs):
    """Shannon entropy in bits (np.float32); zero-probability outcomes contribute 0."""
    p = np.asarray(probs, dtype=np.float32)
    p = p[p > 0]
    return -np.sum(p * np.log2(p), dtype=np.float32)


def most_uncertain(distributions):
    """Index (a NumPy integer) of the distribution with the highest entropy."""
    return np.argmax(np.array([entropy(d) for d in distributions], dtype=np.float32))
