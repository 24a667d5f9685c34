"""Scenario diag-entropy-math-crash, entropy part."""
import math

import numpy as np


def entropy(probs):
    """Entropy in bits with the math module; forgets that 0 * log 0 counts as 0."""
    return -sum(p * math.log2(p) for p in probs)  # MISTAKE: math.log2(0) raises


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    return int(np.argmax([entropy(d) for d in distributions]))
