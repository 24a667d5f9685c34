"""Evidence: is a relation a sentence claims between two sets of numbers true of those numbers?

A diagnosis sentence ("On all 6 cases your answer is 0.434 × the expected value") is a claim about the numbers
the report shows beside it. It is checked here, element by element, against a bound of its own,
``RELATION_RTOL``, and never against the exercise's grading tolerance: that tolerance says how close an answer
must be to *pass*, which can be loose (``rtol: 0.5`` lets 1.85 pass for 1.443), while a sentence must be true.
Every number involved must be finite: an infinite value fits any ratio under a relative bound (``rtol × |inf|``
is inf), so it fits none here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: How far (relative) a value may be from what a relation predicts and the relation still be "exact": rounding
#: noise of float64 sums and of a float32 answer (about 1e-7), far below any mistake a sentence names.
RELATION_RTOL = 1e-6
#: Differences below this are rounding noise around 0; reports show such a number as 0 (``tolerance.fmt``).
NOISE = 5e-13


def finite(*values: Any) -> bool:
    """Whether every number in every value is a finite float (a value that is not numeric is not)."""
    try:
        return all(bool(np.all(np.isfinite(np.asarray(v, dtype=float)))) for v in values)
    except (TypeError, ValueError, OverflowError):
        return False


def holds(predicted: Any, got: Any) -> bool:
    """``got`` is what the relation predicts, element by element, within ``RELATION_RTOL`` (plus ``NOISE``).

    Shapes must be equal and every number finite; nothing about the exercise's tolerance enters.
    """
    try:
        p = np.asarray(predicted, dtype=float)
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return False
    if p.shape != g.shape or not (np.all(np.isfinite(p)) and np.all(np.isfinite(g))):
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        diff = np.abs(g - p)
        bound = RELATION_RTOL * np.maximum(np.abs(p), np.abs(g)) + NOISE
        return bool(np.all(np.isfinite(diff)) and np.all(diff <= bound))
