"""Scenario diag-entropy-recursive-array-crash: right on zeros, but `if not probs` fails on a NumPy array."""
import math


def entropy(probs):
    if not probs:  # MISTAKE: ValueError on a NumPy array (its truth value is ambiguous)
        return 0.0
    first, rest = probs[0], entropy(probs[1:])
    return rest if first == 0 else rest - first * math.log2(first)


def most_uncertain(distributions):
    scores = [entropy(list(d)) for d in distributions]
    return scores.index(max(scores))
