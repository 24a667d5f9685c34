"""Scenario mistake-zero-nan: entropy does not drop zero probabilities, so 0 * log2(0) = nan."""
import numpy as np


def entropy(probs):
    """Shannon entropy in bits; outcomes with zero probability contribute 0."""
    p = np.asarray(probs, dtype=float)
    # MISTAKE: zeros are not filtered out, so 0 * log2(0) = 0 * -inf = nan
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    return int(np.argmax([entropy(d) for d in distributions]))
