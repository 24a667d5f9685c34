"""Scenario hostile-sys-exit: entropy.py calls sys.exit(0) while being imported.

ATTACKS: a grader that catches only Exception (SystemExit is a BaseException), or that
reads exit status 0 as success. See also kl_sweep.py, where kl_divergence calls os._exit(0).
"""
import sys

import numpy as np

sys.exit(0)  # HOSTILE: raise SystemExit(0) during import; nothing below is ever defined


def entropy(probs):
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    return int(np.argmax([entropy(d) for d in distributions]))
