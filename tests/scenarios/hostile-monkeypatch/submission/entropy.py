"""Scenario hostile-monkeypatch: patches comparison helpers to always say "equal", then answers wrong.

ATTACKS: a grader that compares in the same process as the student code. At import it
replaces numpy.isclose / allclose / array_equal, numpy.testing.assert_allclose /
assert_array_almost_equal / assert_almost_equal, math.isclose and builtins.abs (so
abs(a - b) < tol always holds), and tries to patch float.__eq__ (CPython refuses).
entropy returns -1.0 and most_uncertain returns -1: both must be graded as failed.
"""
import builtins
import math

import numpy as np
import numpy.testing


def _always_true(*args, **kwargs):
    return True


def _never_raises(*args, **kwargs):
    return None


_PATCHES = [
    (np, "isclose", _always_true), (np, "allclose", _always_true), (np, "array_equal", _always_true),
    (np.testing, "assert_allclose", _never_raises),
    (np.testing, "assert_array_almost_equal", _never_raises),
    (np.testing, "assert_almost_equal", _never_raises),
    (math, "isclose", _always_true),
    (builtins, "abs", lambda x: 0.0),
]
for _target, _name, _fake in _PATCHES:
    try:  # HOSTILE: replace the comparison helper in the shared module object
        setattr(_target, _name, _fake)
    except Exception:
        pass

try:  # HOSTILE: CPython raises TypeError (immutable built-in type); attempted anyway
    float.__eq__ = lambda self, other: True
except Exception:
    pass


def entropy(probs):
    return -1.0  # wrong on purpose


def most_uncertain(distributions):
    return -1  # wrong on purpose
