"""The YAML expression language: approx-style comparisons, NaN never passes, and nothing outside the whitelist."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.spec.expr import ExprError, evaluate, parse, random_dist
from grader.spec.tolerance import Tolerance

TOL = Tolerance(rtol=1e-5, atol=1e-6, nan="fail")


def ev(text: str, **env):
    return evaluate(parse(text, known=env), env, tol=TOL)


@pytest.mark.parametrize(("text", "env", "holds"), [
    ("h >= 0", {"h": -0.0}, True),
    ("h >= 0", {"h": -5e-7}, True),            # within atol
    ("h >= 0", {"h": -1e-4}, False),
    ("0 <= h <= log2(n)", {"h": 2.0000001, "n": 4}, True),
    ("x == 1", {"x": 1.000001}, True),
    ("x == 1", {"x": 1.001}, False),
    ("a != b", {"a": 0.4384, "b": 0.4807}, True),
    ("a != b", {"a": 0.4384, "b": 0.4384}, False),
    ("h >= 0", {"h": math.nan}, False),       # NaN never satisfies an invariant
    ("a != b", {"a": math.nan, "b": 1.0}, False),
    ("q[argmin(k)] == p[0]", {"q": [0.1, 0.6, 0.9], "k": [1.08, 0.0, 0.45], "p": [0.6, 0.3, 0.1]}, True),
    ("loss / ln(2) == h + kl", {"loss": math.log(2) * 1.5, "h": 1.0, "kl": 0.5}, True),
])
def test_comparisons_use_the_tolerance(text, env, holds):
    assert ev(text, **env) is holds


@pytest.mark.parametrize(("text", "message"), [
    ("__import__('os')", "unknown function __import__()"),
    ("p.__class__", "Attribute is not allowed"),
    ("(lambda: 1)()", "unknown function lambda"),
    ("'text'", "only numbers are allowed"),
    ("[x for x in p]", "ListComp is not allowed"),
    ("dist(3)", "random inputs are drawn only under given:"),
    ("h >= undefined", "unknown name 'undefined'"),
    ("h >=", "cannot parse"),
])
def test_anything_else_is_refused(text, message):
    with pytest.raises(ExprError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text, known={"h", "p"})


def test_random_inputs_are_seeded_and_readable():
    a = random_dist(np.random.Generator(np.random.PCG64([7, 0])), 5, zeros=1)
    b = random_dist(np.random.Generator(np.random.PCG64([7, 0])), 5, zeros=1)
    assert list(a) == list(b)
    assert math.isclose(a.sum(), 1.0) and (a == 0).sum() == 1
    assert all(round(v, 2) == v for v in a) and (a[a > 0] >= 0.01).all()


def test_scale_expressions_see_the_parameters():
    assert ev("1/len(p)", p=np.array([0.5, 0.25, 0.25])) == pytest.approx(1 / 3)


def test_numbers_compare_as_arrays_do():
    """Two plain numbers skip NumPy; the verdict is the array path's, edge cases included."""
    import ast
    import itertools
    import math

    import numpy as np

    from grader.spec.expr import compare
    from grader.spec.tolerance import Tolerance

    values = [0.0, -0.0, 1.0, -1.0, 1e-7, 1.0000001, 2, 0, math.inf, -math.inf, math.nan, np.float64(1.5), 1e308,
              5e-324]
    ops = [ast.Eq(), ast.NotEq(), ast.Lt(), ast.LtE(), ast.Gt(), ast.GtE()]
    tolerances = [Tolerance(rtol=1e-5, atol=1e-6, nan="fail"), Tolerance(rtol=0.0, atol=0.0, nan="fail")]
    for a, b, op, tol in itertools.product(values, values, ops, tolerances):
        assert compare(op, a, b, tol) == compare(op, [a], [b], tol), (a, b, type(op).__name__, tol)

