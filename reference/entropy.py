"""Reference for exercise 1: entropy in bits, and which distribution is most uncertain."""

import numpy as np


def entropy(probs):
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]  # an impossible outcome adds no uncertainty: 0 * log 0 is taken as 0
    return float(-np.sum(p * np.log2(p)) + 0.0)


def most_uncertain(distributions):
    return int(np.argmax([entropy(d) for d in distributions]))
