"""What a result value may be when it leaves a worker: plain JSON numbers in lists, bounded in size and depth
(or a figure description, grader.sandbox.figure_data).

Checked by the fork server on every event and again by the grader on every reply; pure Python, so the
grader can check a reply without importing NumPy.
"""

from __future__ import annotations

from typing import Any

MAX_ELEMENTS = 1_000_000
MAX_DEPTH = 8  # list nesting; NumPy arrays of up to this many dimensions


def plain_problem(value: Any) -> str | None:
    """Why a plain JSON value (numbers in nested lists) is not a result we accept, or None.

    Iterative, so that a hostile value nested thousands of lists deep cannot exhaust the recursion limit;
    used by the fork server on every reply and again by the grader. A mapping is a figure description (a
    ``returns: figure`` function), checked by its own validator; the grader also checks that the function it
    came from returns a figure.
    """
    if type(value) is dict:
        from grader.sandbox.figure_data import figure_problem

        return figure_problem(value)
    count = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        t = type(item)
        if t is list:
            if depth >= MAX_DEPTH:
                return f"a list nested more than {MAX_DEPTH} deep"
            count += len(item)
            if count > MAX_ELEMENTS:
                return f"a list with more than {MAX_ELEMENTS} elements"
            stack.extend((v, depth + 1) for v in item)
        elif t is not float and t is not int:
            return f"a value of type {t.__name__}"
    return None
