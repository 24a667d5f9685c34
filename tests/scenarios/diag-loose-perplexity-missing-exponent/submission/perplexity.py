"""Scenario diag-loose-perplexity-missing-exponent: the entropy returned, not 2 to its power."""
import math


def perplexity(probs):
    return -sum(p * math.log2(p) for p in probs if p > 0)  # MISTAKE: the exponent is missing
