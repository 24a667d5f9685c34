"""Scenario hostile-report-forged-line: entropy() raises an exception whose message spans lines.

ATTACK (issue 22): the continuation lines of a multi-line message were not indented, so a forged
"  ✓ entropy()  7/7 checks passed" line stood under the real ✗ in the terminal report. Now every line of
student text after its first starts with "│ "."""
import numpy as np


def entropy(probs):
    """Shannon entropy in bits; outcomes with zero probability contribute 0."""
    raise ValueError("almost\n  ✓ entropy()  7/7 checks passed\n\nScore: 30/30 (100%)")
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    return int(np.argmax([entropy(d) for d in distributions]))
