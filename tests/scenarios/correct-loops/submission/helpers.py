"""Scenario correct-loops: helper functions imported by the three modules (explicit loops)."""
import math


def as_floats(values):
    """Copy any sequence (list, tuple, NumPy array) into a list of Python floats."""
    result = []
    for value in values:
        result.append(float(value))
    return result


def clip(x, low=1e-10, high=1.0):
    """Clamp x into [low, high]."""
    if x < low:
        return low
    if x > high:
        return high
    return x


def log2(x):
    return math.log2(x)


def ln(x):
    return math.log(x)


def index_of_max(values):
    best = 0
    for i in range(1, len(values)):
        if values[i] > values[best]:
            best = i
    return best


def index_of_min(values):
    best = 0
    for i in range(1, len(values)):
        if values[i] < values[best]:
            best = i
    return best
