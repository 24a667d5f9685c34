"""Fingerprints: generic relations between a student's answers and the expected ones, for undeclared mistakes.

When a function fails and no declared misconception fits, its answers may still stand in a simple
relation to the expected values: a constant factor (a log base, 1/n), a flipped sign, a constant offset,
an index where a value was asked, the values in another order, an array one value short. Each relation is
a hypothesis tested on *every* case of the function, element by element, with the tight bound of
:mod:`grader.judge.evidence` (never the exercise's grading tolerance, which may be loose, and never with an
infinite or NaN number); it is reported only when it fits them all, in one sentence with its evidence.
Relations with a fitted parameter (an unnamed factor, an offset) need at least ``FITTED_MIN_VALUES``
informative values, so that a single wrong number is never "explained" by a factor made up to fit it.

Runs in the grader's process on plain data (student values came back as JSON and were type-checked).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.judge.evidence import RELATION_RTOL, finite, holds
from grader.spec.course import Case, Function
from grader.spec.tolerance import Tolerance, close, fmt

Out = tuple[bool, Any]
FITTED_MIN_VALUES = 3
INFORMATIVE = 1e-9  # an expected value smaller than this says nothing about a factor

# (factor, how it is written, what it means). A factor f means: your answer = f × the expected one.
KNOWN_FACTORS: tuple[tuple[float, str, str], ...] = (
    (math.log(2), "ln 2", "ln where log2 was asked (nats instead of bits)"),
    (1 / math.log(2), "1/ln 2", "log2 where ln was asked (bits instead of nats)"),
    (math.log10(2), "log10 2", "log10 where log2 was asked"),
    (1 / math.log(10), "1/ln 10", "log10 where ln was asked"),
    (math.log2(10), "log2 10", "log2 where log10 was asked"),
    (math.log(10), "ln 10", "ln where log10 was asked"),
)


@dataclass(frozen=True)
class Relation:
    """A relation that fits every case: ``kind`` for counting, ``sentence`` for the student."""

    kind: str  # negation | mean-instead-of-sum | sum-instead-of-mean | log-base | constant-ratio | ...
    sentence: str


def _on(n: int) -> str:
    return "On its only case" if n == 1 else f"On all {n} cases"


def _length_param(fn: Function, case: Case) -> tuple[str, int] | None:
    """The first list argument and its length: the ``n`` of "divided by n"."""
    for name, arg in zip(fn.params, case.args, strict=False):
        if isinstance(arg, (list, tuple)) and len(arg) >= 2:
            return name, len(arg)
    return None


def _nonzero(arg: Any) -> int:
    try:
        return int(np.count_nonzero(np.asarray(arg, dtype=float)))
    except (TypeError, ValueError):
        return 0


def _flat_list(arg: Any) -> np.ndarray | None:
    if isinstance(arg, (list, tuple)) and arg and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                     for v in arg):
        return np.asarray(arg, dtype=float)
    return None


def wrong_end(fn: Function, cases: Sequence[Case], expected: Mapping[int, Any], student: Mapping[int, Out],
              ends: Mapping[int, Mapping[str, Any]]) -> Relation | None:
    """The other end: the answer where the score it builds on is smallest, while the largest was asked (or back).

    ``ends`` (per case, computed from the reference) holds the answer at the score's minimum and maximum.
    """
    if not cases or any(c.index not in ends for c in cases):
        return None
    asked = set()
    for c in cases:
        out, end = student.get(c.index), ends[c.index]
        if out is None or not out[0]:
            return None
        at_min = holds(end["min"], expected[c.index])
        at_max = holds(end["max"], expected[c.index])
        other = end["max"] if at_min else end["min"]
        if at_min == at_max or not holds(other, out[1]):
            return None
        asked.add("min" if at_min else "max")
    if len(asked) != 1:
        return None
    score = ends[cases[0].index]["by"]
    want, got = ("smallest", "largest") if asked == {"min"} else ("largest", "smallest")
    return Relation("wrong-end", f"{_on(len(cases))} your answer is the other end: where {score}() is {got}, while "
                                 f"the {want} was asked (argmax and argmin exchanged).")


def fingerprint(fn: Function, cases: Sequence[Case], expected: Mapping[int, Any],
                student: Mapping[int, Out], ends: Mapping[int, Mapping[str, Any]] | None = None) -> Relation | None:
    """The one generic relation that fits all of ``fn``'s cases, or None."""
    if ends:
        relation = wrong_end(fn, cases, expected, student, ends)
        if relation is not None:
            return relation
    if not cases or fn.returns == "int":
        return None
    exp, got = [], []
    for c in cases:
        out = student.get(c.index)
        if out is None or not out[0]:
            return None  # a crash or a case not run: no relation can fit every case
        try:
            e = np.asarray(expected[c.index], dtype=float)
            g = np.asarray(out[1], dtype=float)
        except (TypeError, ValueError):
            return None
        if not finite(e, g):
            return None
        exp.append(e)
        got.append(g)
    tol = Tolerance(fn.tolerance.rtol, fn.tolerance.atol, "fail")
    if all(e.shape == g.shape and bool(close(e, g, tol).all()) for e, g in zip(exp, got, strict=True)):
        return None  # every case passes: nothing to explain

    def fits(predict: Callable[..., np.ndarray | None]) -> bool:  # predict(i, expected_i) -> prediction
        with np.errstate(all="ignore"):
            return all((p := predict(i, e)) is not None and holds(p, got[i]) for i, e in enumerate(exp))

    n = len(cases)
    on = _on(n)
    same_shapes = all(e.shape == g.shape for e, g in zip(exp, got, strict=True))
    informative = sum(int(np.sum(np.abs(e) > INFORMATIVE)) for e in exp) if same_shapes else 0
    if same_shapes and informative >= 1:
        if fits(lambda i, e: -e):
            return Relation("negation", f"{on} your answer is exactly minus the expected value: a sign error "
                                        "(a minus sign missing, or one too many, or a difference taken the other way).")
        lengths = [_length_param(fn, c) for c in cases]
        if all(lengths):
            param = lengths[0][0]  # type: ignore[index]
            if all(ln[0] == param for ln in lengths):  # type: ignore[index]
                pos = fn.params.index(param)
                counts = {"entries": [ln[1] for ln in lengths],  # type: ignore[index]
                          "non-zero entries": [_nonzero(c.args[pos]) for c in cases]}
                for what, ns in counts.items():
                    if any(n < 1 for n in ns):
                        continue
                    if fits(lambda i, e, ns=ns: e / ns[i]):
                        return Relation("mean-instead-of-sum",
                                        f"{on} your answer is the expected value divided by n, the number of {what} "
                                        f"in {param}: that is a mean (np.mean) where a sum (np.sum) was asked.")
                    if fits(lambda i, e, ns=ns: e * ns[i]):
                        return Relation("sum-instead-of-mean",
                                        f"{on} your answer is the expected value times n, the number of {what} in "
                                        f"{param}: that is a sum where a mean was asked.")
        for factor, name, meaning in KNOWN_FACTORS:
            for sign in (1, -1):
                if fits(lambda i, e, k=sign * factor: k * e):
                    if sign == 1:
                        return Relation("log-base", f"{on} your answer is {factor:.3f} × the expected value, "
                                                    f"a factor of {name}: that is {meaning}.")
                    return Relation("log-base-and-sign",
                                    f"{on} your answer is {-factor:.3f} × the expected value, minus {name}: that is "
                                    f"{meaning}, and the sign is flipped as well.")
    if fn.returns == "float":
        relation = _index_for_value(fn, cases, exp, got)
        if relation is not None:
            return relation
    if fn.returns == "array" and all(e.ndim == 1 and g.ndim == 1 for e, g in zip(exp, got, strict=True)):
        if same_shapes and fits(lambda i, e: e[::-1]):
            return Relation("reversed", f"{on} your array holds the expected values in reverse order.")
        if same_shapes and fits(lambda i, e: np.sort(e)[np.argsort(np.argsort(got[i]))]):
            return Relation("permutation", f"{on} your array holds the expected values, but in another order.")
        if fits(lambda i, e: e[:-1]):
            return Relation("missing-last", f"{on} your array stops one value short: the last expected value is "
                                            "missing (a loop or range that ends one step too early?).")
        if fits(lambda i, e: e[1:]):
            return Relation("missing-first", f"{on} your array misses the first expected value and holds the rest.")
    if same_shapes and informative >= FITTED_MIN_VALUES:
        e_all = np.concatenate([e.ravel() for e in exp])
        g_all = np.concatenate([g.ravel() for g in got])
        with np.errstate(all="ignore"):
            # the median of the element ratios: no sum of squares to overflow on a huge (finite) answer
            ratio = float(np.median(g_all[np.abs(e_all) > INFORMATIVE] / e_all[np.abs(e_all) > INFORMATIVE]))
            d = float(np.median(g_all - e_all))
        shown = _quoted(ratio, lambda k: fits(lambda i, e: k * e))
        if shown and abs(ratio) > 1e-9 and abs(ratio - 1) > 0.01:
            return Relation("constant-ratio", f"{on} your answer is {shown} × the expected value: the "
                                              "method is right and one constant factor is off (a unit, a constant, "
                                              "a division).")
        scale = float(np.max(np.abs(e_all)))
        offset = _quoted(abs(d), lambda k: fits(lambda i, e: e + math.copysign(k, d)))
        if offset and abs(d) > RELATION_RTOL * max(scale, 1.0):
            plus_minus = "+" if d > 0 else "−"
            return Relation("constant-offset", f"{on} your answer is the expected value {plus_minus} {offset}:"
                                               " a constant offset, added or left out once.")
    return None


def _quoted(value: float, fits: Callable[[float], bool]) -> str:
    """A fitted constant as the sentence writes it: the fewest significant digits (4 to 17) whose number, read
    back, itself fits every case, so the sentence is true of the number it quotes (10001 is not "10000"); ''
    when none does or it is not finite (1.7977e308 written with 4 digits is 1.798e+308, beyond any float)."""
    if not math.isfinite(value):
        return ""
    for digits in (4, 6, 8, 10, 12, 17):
        text = format(value, f".{digits}g")
        if math.isfinite(float(text)) and fits(float(text)):
            return text.replace("e+", "e")
    return ""


def _index_for_value(fn: Function, cases: Sequence[Case], exp: list[np.ndarray], got: list[np.ndarray]
                     ) -> Relation | None:
    """An int returned where a value from an input list was asked: the position of the expected value."""
    shown = None
    for name_i, _ in enumerate(fn.params):
        ok, param = True, fn.params[name_i]
        for c, e, g in zip(cases, exp, got, strict=True):
            values = _flat_list(c.args[name_i]) if name_i < len(c.args) else None
            if values is None or e.ndim != 0 or g.ndim != 0 or not float(g).is_integer():
                ok = False
                break
            k = int(g)
            if not (0 <= k < values.size) or not holds(values[k], e) or holds(e, g):
                ok = False
                break
            if shown is None:
                shown = (k, float(values[k]))
        if ok and shown is not None:
            k, v = shown
            return Relation("index-instead-of-value",
                            f"{_on(len(cases))} your answer is the position of the expected value in {param} "
                            f"(you returned {k}, and {param}[{k}] = {fmt(v)} is the expected value): return the "
                            f"value {param}[i], not the index i.")
        shown = None
    return None
