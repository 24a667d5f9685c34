"""Scenario diag-loose-perplexity-e-power: e ** H where 2 ** H was asked (H in bits)."""
import numpy as np


def perplexity(probs):
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    h = -np.sum(p * np.log2(p))
    return float(np.e ** h)  # MISTAKE: base e, while the entropy is in bits
