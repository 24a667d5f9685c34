"""Every sentence the diagnosis says is true of the numbers it is about: properties, proven with Hypothesis.

Hypothesis generates a reference's outputs (floats or arrays, zeros and tiny values included), a tolerance from
0 to loose (rtol 1), and a transformation of the outputs into a "student's" answers: a scale by any constant
(0, huge, a log base), an offset, a negation, a reversal, a permutation, an inf or NaN inserted, one case
changed, or several of these. For each, the diagnosis runs as grading runs it, and this file checks, with its
own code and never the grader's:

- a relation sentence (:func:`grader.judge.fingerprints.fingerprint`) holds on every case for the numbers it
  quotes, read back from the sentence, to the digits it shows; every number it involves is finite; no sentence
  says "inf" or "nan";
- a declared mistake is named only when its own outputs agree with the student's on every case: both finite
  and within the tolerance, or the same non-finite value (NaN against inf is a disagreement), or the same
  exception;
- a crash rule names its mistake only when its crashing implementation raised the same exception type on every
  input where the student's code raised.

``derandomize=True``: the same examples on every run (the suite is deterministic); no example database is
written. Each property runs ``EXAMPLES`` examples.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.judge.diagnose import CrashRule, Variant, diagnose, explain
from grader.judge.fingerprints import fingerprint
from grader.spec.course import Case, Function
from grader.spec.tolerance import Tolerance

EXAMPLES = 2000
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TIGHT = 1e-6  # the checker's own bound for "exactly", written here independently of grader.judge.evidence

# -- strategies -----------------------------------------------------------------------------------------------

MAGNITUDES = st.one_of(st.floats(-1e3, 1e3, allow_nan=False), st.sampled_from([0.0, 1e-9, -1e-12, 1.0, 2.0, 1e6]))
FACTORS = st.one_of(st.sampled_from([0.0, -1.0, 2.0, 0.5, math.log(2), 1 / math.log(2), math.log10(2),
                                     1 / math.log(10), math.log(10), math.log2(10), 1e300, -1e300, 1e-300, 1.443,
                                     1 + 1e-7, 0.3333]),
                    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
TOLERANCES = st.builds(lambda r, a: Tolerance(r, a),
                       st.one_of(st.sampled_from([0.0, 1e-9, 1e-5, 1e-2, 0.1, 0.5, 1.0]), st.floats(0, 1)),
                       st.sampled_from([0.0, 1e-12, 1e-6, 1e-3, 0.1]))


@st.composite
def exercises(draw: Any) -> tuple[Function, list[Case], dict[int, Any]]:
    """A function (float or array), 1 to 6 cases each with a list argument, and the reference's outputs."""
    returns = draw(st.sampled_from(["float", "array", "pick"]))  # pick: a float that is one of the inputs
    pick = returns == "pick"
    returns = "float" if pick else returns
    fn = Function("f", ("xs",), returns, "", "", draw(TOLERANCES))
    n = draw(st.integers(1, 6))
    width = draw(st.integers(1, 6))
    cases, expected = [], {}
    for i in range(n):
        size = draw(st.integers(2, 6))
        xs = draw(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0, 2.0]), min_size=size, max_size=size))
        cases.append(Case(i, f"case {i}", "f", (xs,), "public", 1.0))
        if pick:
            expected[i] = xs[draw(st.integers(0, size - 1))]
        elif returns == "float":
            expected[i] = draw(MAGNITUDES)
        else:
            expected[i] = draw(st.lists(MAGNITUDES, min_size=width, max_size=width))
    return fn, cases, expected


def _apply(kind: str, value: Any, param: Any, rng: np.random.Generator) -> Any:
    a = np.asarray(value, dtype=float)
    with np.errstate(all="ignore"):
        if kind == "scale":
            out = a * param
        elif kind == "offset":
            out = a + param
        elif kind == "negate":
            out = -a
        elif kind == "reverse":
            out = a[::-1] if a.ndim else a
        elif kind == "permute":
            out = a[rng.permutation(a.size)] if a.ndim else a
        elif kind == "mean":
            out = a / param
        elif kind == "huge":
            out = np.where(a != 0, 1.7976931348623157e308, a)
        else:
            out = a
    return out.tolist()


@st.composite
def answers(draw: Any, cases: list[Case], expected: dict[int, Any]) -> dict[int, tuple[bool, Any]]:
    """The reference's outputs, transformed as a mistaken student would, with perhaps a case broken on top."""
    kind = draw(st.sampled_from(["scale", "offset", "negate", "reverse", "permute", "mean", "huge", "index", "none"]))
    param = draw(FACTORS) if kind == "scale" else draw(MAGNITUDES) if kind == "offset" else \
        float(draw(st.integers(1, 5))) if kind == "mean" else None
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "index":  # a position in the input list, where a value was asked (its first such position)
        out = {c.index: (True, float(next((k for k, x in enumerate(c.args[0]) if x == expected[c.index]),
                                          draw(st.integers(0, 5))))) for c in cases}
    elif kind == "mean":  # divided by n, the number of entries (or of non-zero entries) of the list argument
        nonzero = draw(st.booleans())
        out = {c.index: (True, _apply(kind, expected[c.index], float(
            (sum(1 for x in c.args[0] if x != 0) or 1) if nonzero else len(c.args[0])), rng)) for c in cases}
    else:
        out = {c.index: (True, _apply(kind, expected[c.index], param, rng)) for c in cases}
    extra = draw(st.sampled_from(["none", "inf", "-inf", "nan", "changed", "crash", "none"]))
    if extra != "none":
        i = draw(st.sampled_from(sorted(out)))
        value = out[i][1]
        if extra == "crash":
            out[i] = (False, draw(st.sampled_from(["ValueError", "ZeroDivisionError", "TypeError"])))
        else:
            new = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}.get(extra, draw(MAGNITUDES))
            if isinstance(value, list):
                value = list(value)
                value[draw(st.integers(0, len(value) - 1))] = new
                out[i] = (True, value)
            else:
                out[i] = (True, new)
    return out


# -- the checker: what a sentence claims, read back from its words -------------------------------------------

def _close(predicted: float, got: float, slack: float = 0.0) -> bool:
    return math.isfinite(predicted) and math.isfinite(got) and \
        abs(got - predicted) <= TIGHT * max(abs(predicted), abs(got)) + slack + 1e-12


def _half_unit(shown: str) -> float:
    """Half a unit of the last digit of a number as written ("1.443" -> 0.0005, "1e+300" -> 0.5e300)."""
    mantissa, _, exponent = shown.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def _flat(value: Any) -> list[float]:
    return [float(x) for x in np.asarray(value, dtype=float).ravel()]


def assert_sentence_true(kind: str, sentence: str, cases: list[Case], expected: dict[int, Any],
                         student: dict[int, tuple[bool, Any]]) -> None:
    assert not re.search(r"\b(inf|nan)\b", sentence), sentence
    n = len(cases)
    assert sentence.startswith("On its only case" if n == 1 else f"On all {n} cases"), sentence
    pairs = []
    for c in cases:
        ok, got = student[c.index]
        assert ok, "a relation was said about a function that crashed"
        e, g = np.asarray(expected[c.index], dtype=float), np.asarray(got, dtype=float)
        assert np.all(np.isfinite(e)) and np.all(np.isfinite(g)), f"{kind} involves a non-finite number"
        pairs.append((c, e, g))
    if kind in ("negation", "log-base", "log-base-and-sign", "constant-ratio"):
        if kind == "negation":
            k, slack = -1.0, 0.0
        else:
            shown = re.search(r"your answer is (-?[0-9.e+-]+) ×", sentence)
            assert shown, sentence
            k, slack = float(shown.group(1)), _half_unit(shown.group(1))
        for _, e, g in pairs:
            assert e.shape == g.shape
            for ev, gv in zip(_flat(e), _flat(g), strict=True):
                assert _close(k * ev, gv, slack * abs(ev)), (sentence, ev, gv)
    elif kind == "constant-offset":
        shown = re.search(r"expected value ([+−]) ([0-9.e+-]+):", sentence)
        assert shown, sentence
        d = float(shown.group(2)) * (1 if shown.group(1) == "+" else -1)
        for _, e, g in pairs:
            for ev, gv in zip(_flat(e), _flat(g), strict=True):
                assert _close(ev + d, gv, _half_unit(shown.group(2))), (sentence, ev, gv)
    elif kind in ("mean-instead-of-sum", "sum-instead-of-mean"):
        nonzero = "non-zero entries" in sentence
        for c, e, g in pairs:
            xs = c.args[0]
            count = sum(1 for x in xs if x != 0) if nonzero else len(xs)
            for ev, gv in zip(_flat(e), _flat(g), strict=True):
                want = ev / count if kind == "mean-instead-of-sum" else ev * count
                assert _close(want, gv), (sentence, ev, gv, count)
    elif kind == "reversed":
        for _, e, g in pairs:
            assert all(_close(a, b) for a, b in zip(_flat(e)[::-1], _flat(g), strict=True)), sentence
    elif kind == "permutation":
        for _, e, g in pairs:
            assert all(_close(a, b) for a, b in zip(sorted(_flat(e)), sorted(_flat(g)), strict=True)), sentence
    elif kind in ("missing-last", "missing-first"):
        for _, e, g in pairs:
            kept = _flat(e)[:-1] if kind == "missing-last" else _flat(e)[1:]
            assert len(kept) == g.size and all(_close(a, b) for a, b in zip(kept, _flat(g), strict=True)), sentence
    elif kind == "index-instead-of-value":
        shown = re.search(r"in (\w+) \(you returned (\d+), and \1\[\2\] = ([-0-9.e+]+) is the expected value\)", sentence)
        assert shown, sentence
        first_k, first_v = int(shown.group(2)), float(shown.group(3))
        c0, _, g0 = pairs[0]
        assert float(g0) == first_k and _close(float(c0.args[0][first_k]), first_v, _half_unit(shown.group(3)))
        for c, e, g in pairs:
            k = float(g)
            assert k.is_integer() and 0 <= k < len(c.args[0]), sentence
            assert _close(float(c.args[0][int(k)]), float(e)) and not _close(float(e), k), (sentence, c.args, e, g)
    else:
        raise AssertionError(f"a relation this checker does not know: {kind}: add its check")


def agrees(a: tuple[bool, Any], b: tuple[bool, Any], tol: Tolerance) -> bool:
    """The declared-mistake rule, written independently: the same exception, or numbers of the same shape that
    are both finite and within max(atol, rtol × |b|), or the very same non-finite value."""
    if a[0] != b[0]:
        return False
    if not a[0]:
        return bool(a[1] == b[1])
    x, y = np.asarray(a[1], dtype=float), np.asarray(b[1], dtype=float)
    if x.shape != y.shape:
        return False
    for xv, yv in zip(x.ravel().tolist(), y.ravel().tolist(), strict=True):
        if math.isfinite(xv) and math.isfinite(yv):
            if abs(xv - yv) > max(tol.atol, tol.rtol * abs(yv)):
                return False
        elif not (xv == yv or (math.isnan(xv) and math.isnan(yv))):
            return False
    return True


def _failing(fn: Function, cases: list[Case], expected: dict[int, Any], student: dict[int, tuple[bool, Any]]) -> bool:
    tol = Tolerance(fn.tolerance.rtol, fn.tolerance.atol, "fail")
    return any(not student[c.index][0] or not agrees((True, expected[c.index]), student[c.index], tol)
               or any(math.isnan(v) for v in _flat(student[c.index][1])) for c in cases)


# -- the properties -------------------------------------------------------------------------------------------

@SETTINGS
@given(st.data())
def test_every_relation_sentence_is_true_of_the_numbers_it_quotes(data: Any) -> None:
    fn, cases, expected = data.draw(exercises())
    student = data.draw(answers(cases, expected))
    relation = fingerprint(fn, cases, expected, student)
    if relation is not None:
        assert_sentence_true(relation.kind, relation.sentence, cases, expected, student)


@SETTINGS
@given(st.data())
def test_a_declared_mistake_is_named_only_when_its_numbers_agree_on_every_case(data: Any) -> None:
    fn, cases, expected = data.draw(exercises())
    variant_out = data.draw(answers(cases, expected))  # the mistake's own outputs
    # The student: the mistake itself, or it with one more change (inf for nan, a huge finite for inf, ...).
    student = dict(variant_out)
    if data.draw(st.booleans()):
        student = {**student, **{i: o for i, o in data.draw(answers(cases, {
            c.index: v[1] if v[0] else expected[c.index] for c, v in zip(cases, variant_out.values(), strict=True)
        })).items() if data.draw(st.booleans())}}
    if not _failing(fn, cases, expected, student):
        return
    v = Variant("the-mistake", "It is the mistake.", "The idea.", ("f",), variant_out)
    found = diagnose({"f": fn}, tuple(cases), expected, student, {"f"}, (v,))
    finding = found.get("f")
    if finding is None:
        return
    words = explain(finding, {"f": fn})
    if finding.kind == "declared":
        assert all(agrees(student[c.index], variant_out[c.index], fn.tolerance) for c in cases), \
            "a declared mistake was named while its numbers disagree with the student's on some case"
        each = "its only case" if len(cases) == 1 else f"each of its {len(cases)} cases"
        # "the same numbers": within TIGHT, or below 5e-13 apart, which a report shows as 0 (tolerance.fmt)
        if all(agrees(student[c.index], variant_out[c.index], Tolerance(TIGHT, 5e-13)) for c in cases):
            assert words["evidence"] == f"your f() returns the same numbers as this mistake on {each}"
        else:  # "the same numbers" would be false: they agree only within the (perhaps loose) tolerance
            assert words["evidence"] == f"your f() returns numbers within the exercise's tolerance of this mistake's on {each}"
    elif finding.kind == "relation":
        assert finding.relation is not None
        assert_sentence_true(finding.relation.kind, finding.relation.sentence, cases, expected, student)
    assert not re.search(r"\b(inf|nan) ×", words["explanation"])


@SETTINGS
@given(st.data())
def test_a_crash_rule_names_its_mistake_only_where_its_code_raises_the_same_exception(data: Any) -> None:
    fn, cases, expected = data.draw(exercises())
    errors = st.sampled_from(["ValueError", "ZeroDivisionError", "TypeError"])
    # The mistake's crashing implementation: right numbers, or a crash, per case.
    crashing = {c.index: (False, data.draw(errors)) if data.draw(st.booleans()) else (True, expected[c.index])
                for c in cases}
    # The student: the same, or with some cases changed (another exception, a crash where it answers, or back).
    student = dict(crashing)
    for c in cases:
        if data.draw(st.integers(0, 3)) == 0:
            student[c.index] = data.draw(st.one_of(st.tuples(st.just(False), errors),
                                                   st.just((True, expected[c.index]))))
    if not _failing(fn, cases, expected, student):
        return
    when = data.draw(st.sampled_from(["len(xs) > 0", "min(xs) == 0"]))
    listed = tuple(data.draw(st.lists(errors, min_size=1, max_size=3, unique=True)))
    rule = CrashRule(listed, when, crashing)
    v = Variant("the-mistake", "It is the mistake.", "The idea.", ("f",),
                {c.index: (True, expected[c.index]) for c in cases}, (rule,))
    finding = diagnose({"f": fn}, tuple(cases), expected, student, {"f"}, (v,)).get("f")
    if finding is None or finding.kind != "crash":
        return
    raised = [c for c in cases if not student[c.index][0]]
    assert raised, "a crash rule named on a function that did not crash"
    for c in raised:
        assert crashing[c.index] == student[c.index], "named where the mistake's code does not raise the same way"
        assert student[c.index][1] in listed
        xs = c.args[0]
        assert len(xs) > 0 if when == "len(xs) > 0" else min(xs) == 0
    for c in cases:
        if student[c.index][0]:
            assert crashing[c.index][0], "named where the mistake's code raises but the student answered"
    words = explain(finding, {"f": fn})["explanation"]
    assert f"on {len(raised)} of {len(cases)} cases, each an input where {when}" in words
