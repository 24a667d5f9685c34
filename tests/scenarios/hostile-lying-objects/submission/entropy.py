"""Scenario hostile-lying-objects: returns objects that claim to equal anything.

ATTACKS: a grader that trusts `result == expected`, abs(result - expected) < tol, repr/format,
or bool(). entropy returns a LyingNumber (== anything, - anything is 0, prints like 2.0),
but float() gives 42.0 and np.asarray() gives [42.0]. most_uncertain returns an int
subclass whose == is always True but whose value is out of range. (kl_sweep.py returns
a list subclass with a lying ==.) None of these may pass.
"""
import numpy as np


class LyingNumber:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = object.__hash__

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __abs__(self):
        return 0.0

    def __round__(self, ndigits=None):
        return self

    def __bool__(self):
        return True

    def __float__(self):
        return 42.0  # the real (wrong) value

    def __array__(self, dtype=None, copy=None):
        return np.array(42.0, dtype=dtype)

    def __repr__(self):
        return "2.0"

    def __format__(self, spec):
        return format(2.0, spec)


class LyingInt(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


def entropy(probs):
    return LyingNumber()  # HOSTILE


def most_uncertain(distributions):
    return LyingInt(len(distributions) + 7)  # HOSTILE: never a valid index
