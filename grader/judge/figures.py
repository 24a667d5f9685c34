"""Grading a figure (``returns: figure``): the declared checks of a case, each a check of the record.

The student's figure arrives as the plain description of grader.sandbox.figure_data, read in the sandbox;
it is checked again here as hostile data before anything reads it. The reference's figure is described the
same way, in the grader's process, and is the expected value of the case. Every check compares data, never
pixels, colours or drawing order:

- ``curve``: each of the reference's curves has a line (or scatter) of the student's with the same x values
  (in any order) and y values within the function's tolerance;
- ``marker``: a vertical (or horizontal) line wherever the reference draws one, within the tolerance; an
  ``axvline``, an ``ax.vlines`` segment or a plotted line of constant x all count;
- ``labels``: the words the author lists in the x label, y label and title, case-insensitive, each with
  its alternatives;
- ``legend``: a legend with at least one entry;
- ``curves``: how many curves the figure draws.

The curve's y data is also what diagnosis reads (``curve_output``), through the same misconceptions and
generic relations as a numeric answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.record import Check, Status
from grader.sandbox.figure_data import figure_problem
from grader.spec.course import Case, Exercise, FigureCheck, Function
from grader.spec.tolerance import Tolerance, compare, fmt

if TYPE_CHECKING:
    from grader.judge.diagnose import Out, Variant

Curve = dict[str, Any]  # {"x": [...], "y": [...], "n": int, "label": str, "axes": int}


def curves(desc: dict[str, Any]) -> list[Curve]:
    """The data curves of a figure: lines that are not markers, and scatter plots, in drawing order."""
    out: list[Curve] = []
    for a, ax in enumerate(desc.get("axes", [])):
        for item in ax["lines"] + ax["scatter"]:
            if _vertical(item) is None and _horizontal(item) is None:
                out.append({**item, "axes": a})
    return out


def _vertical(item: dict[str, Any]) -> float | None:
    xs, ys = item.get("x"), item.get("y")
    if "style" in item and xs and len(xs) >= 2 and len(set(xs)) == 1 and ys and len(set(ys)) > 1:
        return float(xs[0])
    return None


def _horizontal(item: dict[str, Any]) -> float | None:
    xs, ys = item.get("x"), item.get("y")
    if "style" in item and ys and len(ys) >= 2 and len(set(ys)) == 1 and xs and len(set(xs)) > 1:
        return float(ys[0])
    return None


def markers(desc: dict[str, Any], axis: str) -> list[float]:
    """Where the figure draws vertical (axis x) or horizontal (axis y) reference lines."""
    out: list[float] = []
    for ax in desc.get("axes", []):
        out.extend(float(m["at"]) for m in ax["vlines" if axis == "x" else "hlines"])
        for line in ax["lines"]:
            at = _vertical(line) if axis == "x" else _horizontal(line)
            if at is not None:
                out.append(at)
    return out


def _sorted(curve: Curve) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(curve["x"], dtype=float)
    y = np.asarray(curve["y"], dtype=float)
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def _same_x(ref: Curve, other: Curve, tol: Tolerance) -> bool:
    if other.get("x") is None or other["n"] != ref["n"]:
        return False
    rx, _ = _sorted(ref)
    ox, _ = _sorted(other)
    return bool(compare(rx.tolist(), ox.tolist(), "array", tol).ok)


def match_curve(ref: Curve, student: list[Curve], tol: Tolerance) -> tuple[Curve | None, Curve | None]:
    """(the student's curve that matches ``ref``, else None; the closest one with the same x values, else None)."""
    candidates = [c for c in student if _same_x(ref, c, tol)]
    _, ry = _sorted(ref)
    for c in candidates:
        _, cy = _sorted(c)
        if compare(ry.tolist(), cy.tolist(), "array", tol).ok:
            return c, c
    return None, (candidates[0] if len(candidates) == 1 else None)


def curve_output(desc: Any, ref: dict[str, Any], tol: Tolerance) -> tuple[bool, Any]:
    """What diagnosis reads of a figure: the y values (sorted by x) of the one curve with the reference's x
    values, or an error name when there is none, or more than one (nothing is guessed)."""
    ref_curves = curves(ref)
    if not ref_curves or not isinstance(desc, dict) or figure_problem(desc) is not None:
        return False, "NoCurve"
    matched, closest = match_curve(ref_curves[0], curves(desc), tol)
    found = matched or closest
    if found is None:
        return False, "NoCurve"
    return True, _sorted(found)[1].tolist()


def reference_curve(ref: dict[str, Any]) -> list[float] | None:
    ref_curves = curves(ref)
    return _sorted(ref_curves[0])[1].tolist() if ref_curves and ref_curves[0].get("y") is not None else None


def curves_as_numbers(ex: Exercise, expected: Mapping[int, Any], student: Mapping[int, Out],
                      variants: tuple[Variant, ...]
                      ) -> tuple[dict[str, Function], dict[int, Any], dict[int, Out], tuple[Variant, ...]]:
    """An exercise's figure cases as diagnosis sees them: the y values of the curve, an array answer like any
    other, for the reference (``expected``), the student and each misconception. A figure function reads as
    returning an array. Nothing else changes; an exercise without figures comes back as it is."""
    drawn = {c.index: ex.functions[c.function].tolerance for c in ex.cases if c.figure}
    if not drawn:
        return dict(ex.functions), dict(expected), dict(student), variants
    functions = {name: replace(fn, returns="array") if fn.returns == "figure" else fn
                 for name, fn in ex.functions.items()}
    new_expected = dict(expected)
    new_student = dict(student)
    for i, tol in drawn.items():
        if i not in expected:
            continue
        if i in student and student[i][0]:
            new_student[i] = curve_output(student[i][1], expected[i], tol)
        new_expected[i] = reference_curve(expected[i])
    shown = []
    for v in variants:
        outputs = dict(v.outputs)
        for i, tol in drawn.items():
            if i in outputs and i in expected and outputs[i][0]:
                outputs[i] = curve_output(outputs[i][1], expected[i], tol)
        shown.append(replace(v, outputs=outputs))
    return functions, new_expected, new_student, tuple(shown)


# -- one plain line per figure ---------------------------------------------------------------------

def _quote(text: str) -> str:
    return "'" + text.replace("\n", " ")[:60] + "'"


STYLE_WORDS = {"--": "dashed", ":": "dotted", "-.": "dash-dot", "-": "solid"}


def summary(desc: dict[str, Any], x_name: str = "x") -> str:
    """A figure in one plain line: "1 line of 200 points from q1 = 0.1 to 0.9; x label 'q1'; ..."."""
    axes = desc.get("axes", [])
    if not axes:
        return "an empty figure (no axes)"
    parts = []
    found = curves(desc)
    for c in found[:3]:
        what = "scatter" if "style" not in c else "line"
        if c.get("x") is None:
            parts.append(f"1 {what} of {c['n']} points (too many to read)")
        elif c["n"]:
            xs = [v for v in c["x"] if v == v]
            span = f" from {x_name} = {fmt(min(xs))} to {fmt(max(xs))}" if xs else ""
            parts.append(f"1 {what} of {c['n']} point{'s' if c['n'] != 1 else ''}{span}")
        else:
            parts.append(f"1 empty {what}")
    if len(found) > 3:
        parts.append(f"{len(found) - 3} more curves")
    if not found:
        parts.append("no curve")
    ax = axes[0]
    for key, name in (("xlabel", "x label"), ("ylabel", "y label"), ("title", "title")):
        parts.append(f"{name} {_quote(ax[key])}" if ax[key] else f"no {name}")
    for axis, word in (("x", "vertical"), ("y", "horizontal")):
        for at in markers(desc, axis)[:3]:
            style = next((STYLE_WORDS.get(m["style"], "") for a in axes for m in a["vlines" if axis == "x" else "hlines"]
                          if m["at"] == at), "")
            parts.append(f"a {style + ' ' if style else ''}{word} line at {fmt(at)}")
    legend = [t for a in axes for t in (a["legend"] or [])]
    if any(a["legend"] is not None for a in axes):
        parts.append("a legend (" + ", ".join(_quote(t) for t in legend[:3]) + ")" if legend else "an empty legend")
    if len(axes) > 1:
        parts.append(f"{len(axes)} axes")
    return "; ".join(parts)


# -- the checks ------------------------------------------------------------------------------------

def _main_axes(desc: dict[str, Any], matched: Curve | None) -> dict[str, Any] | None:
    axes = desc.get("axes", [])
    if matched is not None:
        return axes[matched["axes"]]
    return axes[0] if axes else None


def _words(text: str, groups: tuple[tuple[str, ...], ...]) -> list[str]:
    """The word groups ``text`` misses, each written as its alternatives ("'KL' or 'divergence'")."""
    low = text.lower()
    return [" or ".join(f"'{w}'" for w in group) for group in groups if not any(w.lower() in low for w in group)]


def _curve_check(check: Check, spec: FigureCheck, got: dict[str, Any], ref: dict[str, Any], tol: Tolerance,
                 x_name: str) -> Curve | None:
    ref_curves = curves(ref)
    student = curves(got)
    first: Curve | None = None
    for k, rc in enumerate(ref_curves):
        matched, closest = match_curve(rc, student, tol)
        if k == 0:
            first = matched or closest
        if matched is not None:
            continue
        which = f"the reference's curve {k + 1} of {len(ref_curves)}" if len(ref_curves) > 1 else "the reference's curve"
        _, ry = _sorted(rc)
        check.expected = ry.tolist()
        if closest is not None:
            _, cy = _sorted(closest)
            outcome = compare(ry.tolist(), cy.tolist(), "array", tol)
            check.got, check.details = cy.tolist(), {**outcome.details}
            check.status, check.message = Status.FAILED, f"your curve has {which}'s x values, but {outcome.message}"
        else:
            long = [c for c in student if c.get("x") is None]
            xs = [v for v in rc["x"] if v == v]
            check.status = Status.FAILED
            check.message = (f"no line of yours has {which}'s x values ({rc['n']} points from {x_name} = "
                             f"{fmt(min(xs))} to {fmt(max(xs))})" if xs else f"no line of yours matches {which}")
            if long:
                check.message += (f"; your line of {long[0]['n']} points is more than the grader reads "
                                  f"({_max_points()} per line)")
            check.got = f"{len(student)} curve{'s' if len(student) != 1 else ''}" + \
                (": " + "; ".join(f"{c['n']} points" for c in student[:4]) if student else "")
        return first
    check.status, check.score, check.message = Status.PASSED, check.max_score, "ok"
    check.expected = check.got = f"{len(ref_curves)} curve{'s' if len(ref_curves) != 1 else ''} matching the reference"
    return first


def _max_points() -> int:
    from grader.sandbox.figure_data import MAX_POINTS

    return MAX_POINTS


def _marker_check(check: Check, spec: FigureCheck, got: dict[str, Any], ref: dict[str, Any], tol: Tolerance) -> None:
    word = "vertical" if spec.axis == "x" else "horizontal"
    wanted = markers(ref, spec.axis)
    have = markers(got, spec.axis)
    missing = [w for w in wanted if not any(compare(w, h, "float", tol).ok for h in have)]
    check.expected = wanted[0] if len(wanted) == 1 else wanted
    check.got = (have[0] if len(have) == 1 else have) if have else f"no {word} line"
    if not missing:
        check.status, check.score, check.message = Status.PASSED, check.max_score, "ok"
        return
    check.status = Status.FAILED
    at = ", ".join(fmt(w) for w in missing)
    if not have:
        check.message = f"no {word} line; the reference draws one at {at}"
    else:
        near = min(have, key=lambda h: abs(h - missing[0]))
        outcome = compare(missing[0], near, "float", tol)
        check.details = {**outcome.details}
        check.message = f"your {word} line is at {fmt(near)}; the reference draws it at {at}"


def _labels_check(check: Check, spec: FigureCheck, ax: dict[str, Any] | None, suptitle: str) -> None:
    names = {"x": ("xlabel", "x label"), "y": ("ylabel", "y label"), "title": ("title", "title")}
    expected, got, problems = [], [], []
    for part, groups in spec.words:
        key, name = names[part]
        text = (ax or {}).get(key, "") or ""
        if part == "title" and suptitle:
            text = f"{text} {suptitle}".strip()
        expected.append(f"{name} with " + " and ".join(" or ".join(f"'{w}'" for w in g) for g in groups))
        got.append(f"{name} {_quote(text)}" if text else f"no {name}")
        miss = _words(text, groups)
        if miss:
            problems.append(f"the {name} " + (f"{_quote(text)} lacks " if text else "is missing; it needs ")
                            + " and ".join(miss))
    check.expected, check.got = "; ".join(expected), "; ".join(got)
    if problems:
        check.status, check.message = Status.FAILED, "; ".join(problems)
    else:
        check.status, check.score, check.message = Status.PASSED, check.max_score, "ok"


def _legend_check(check: Check, got: dict[str, Any]) -> None:
    texts = [t for ax in got.get("axes", []) if ax["legend"] is not None for t in ax["legend"] if t.strip()]
    check.expected = "a legend"
    check.got = "a legend (" + ", ".join(_quote(t) for t in texts[:3]) + ")" if texts else "no legend"
    if texts:
        check.status, check.score, check.message = Status.PASSED, check.max_score, "ok"
    else:
        check.status, check.message = Status.FAILED, "no legend: label what you draw and call legend()"


def _count_check(check: Check, spec: FigureCheck, got: dict[str, Any], ref: dict[str, Any]) -> None:
    want = spec.count if spec.count is not None else len(curves(ref))
    have = len(curves(got))
    check.expected, check.got = want, have
    if have == want:
        check.status, check.score, check.message = Status.PASSED, check.max_score, "ok"
    else:
        check.status = Status.FAILED
        check.message = f"{have} curve{'s' if have != 1 else ''} where {want} {'are' if want != 1 else 'is'} expected"


def figure_checks(ex: Exercise, case: Case, result: dict[str, Any] | None, ref: dict[str, Any], output: str,
                  line: int | None, call: str, error_message: Callable[[dict[str, Any]], str]) -> list[Check]:
    """The record's checks for one case of a figure function: one per declared figure check, in order.

    The first carries both figures' descriptions (``details.figure``) for the reports to re-draw."""
    fn = ex.functions[case.function]
    out: list[Check] = []
    x_name = _x_name(ref, fn.params)
    for spec, (name, _) in zip(case.figure, case.checks, strict=True):
        out.append(Check(
            name=name, status=Status.ERROR, score=0.0, max_score=spec.points,
            message="", function=case.function, visibility=case.visibility, kind="figure", input=call,
            output=output if not out else "", file=ex.file, line=line, intuition=fn.intuition or None,
            details={"figure_check": spec.kind},
        ))
    if result is None:
        for c in out:
            c.message = "not run (grader error)"
        return out
    if not result.get("ok"):
        error = result.get("error") or {}
        message = error_message(error)
        for c in out:
            c.message, c.expected = message, summary(ref, x_name)
            c.details["exception"] = error.get("exception")
            if error.get("line"):
                c.file, c.line = error.get("file") or ex.file, error["line"]
        if out:
            out[0].duration = result.get("duration")
        return out
    got = result.get("value")
    problem = figure_problem(got) if type(got) is dict else "not a figure description"
    if problem:  # a forged reply: the worker's own code never sends one
        for c in out:
            c.message = f"{case.function}() returned the wrong type: {problem}"
            c.details["exception"] = "WrongType"
        return out
    assert isinstance(got, dict)
    out[0].duration = result.get("duration")
    if not got["axes"] or (not curves(got) and not markers(got, "x") and not markers(got, "y") and \
            not any(ax["xlabel"] or ax["ylabel"] or ax["title"] for ax in got["axes"])):
        for c in out:
            c.status, c.message = Status.FAILED, "your figure is empty: nothing is drawn on it"
            c.expected, c.got = summary(ref, x_name), "an empty figure"
        _attach(out[0], got, ref, x_name)
        return out
    matched: Curve | None = None
    tol = fn.tolerance
    for c, spec in zip(out, case.figure, strict=True):
        if spec.kind == "curve":
            matched = _curve_check(c, spec, got, ref, tol, x_name)
    if matched is None:
        ref_curves = curves(ref)
        if ref_curves:
            matched = match_curve(ref_curves[0], curves(got), tol)[1]
    for c, spec in zip(out, case.figure, strict=True):
        if spec.kind == "marker":
            _marker_check(c, spec, got, ref, tol)
        elif spec.kind == "labels":
            _labels_check(c, spec, _main_axes(got, matched), got["suptitle"])
        elif spec.kind == "legend":
            _legend_check(c, got)
        elif spec.kind == "curves":
            _count_check(c, spec, got, ref)
    _attach(out[0], got, ref, x_name)
    return out


def _x_name(ref: Any, params: tuple[str, ...]) -> str:
    """What the x values are called in sentences: the reference's x label when it is a short name, else the
    function's last parameter ("q1 = 0.1", not "q1_values = 0.1")."""
    axes = ref.get("axes") if isinstance(ref, dict) else None
    label = axes[0].get("xlabel", "") if axes and isinstance(axes[0], dict) else ""
    if isinstance(label, str) and 0 < len(label) <= 20 and label.replace("_", "").isalnum():
        return label
    return params[-1] if params else "x"


def _attach(check: Check, got: dict[str, Any], ref: dict[str, Any], x_name: str) -> None:
    check.details["figure"] = {"student": got, "reference": ref, "student_line": summary(got, x_name),
                               "reference_line": summary(ref, x_name), "x_name": x_name}


def curve_changers(ex: Exercise, case: Case, ref: dict[str, Any], variants: dict[str, Any]) -> list[str]:
    """The misconceptions (ids) whose figure draws a curve other than the reference's, within the tolerance."""
    tol = ex.functions[case.function].tolerance
    ref_y = reference_curve(ref)
    out = []
    for vid, desc in variants.items():
        got = curve_output(desc, ref, tol)
        if ref_y is not None and got[0] and not compare(ref_y, got[1], "array", tol).ok:
            out.append(vid)
    return out


def reference_problems(ex: Exercise, case: Case, ref: dict[str, Any], variants: dict[str, Any]) -> list[str]:
    """For ``grader validate``: the reference's own figure passes every check of the case, and the figure of
    each misconception whose curve differs from the reference's fails the curve check."""
    problems = []
    fake = {"ok": True, "value": ref}
    checks = figure_checks(ex, case, fake, ref, "", None, "", lambda e: "")
    for c, spec in zip(checks, case.figure, strict=True):
        if c.status != Status.PASSED:
            problems.append(f"the reference's own figure fails {spec.label}: {c.message}")
    for spec in case.figure:
        if spec.kind == "marker" and not markers(ref, spec.axis):
            problems.append(f"the reference draws no {'vertical' if spec.axis == 'x' else 'horizontal'} line, so "
                            "the marker check has nothing to compare with")
        if spec.kind == "legend" and not any(ax["legend"] for ax in ref.get("axes", [])):
            problems.append("the reference's figure has no legend, so the legend check cannot ask for one")
        if spec.kind == "curve" and not curves(ref):
            problems.append("the reference's figure draws no curve, so the curve check has nothing to match")
    if not any(spec.kind == "curve" for spec in case.figure):
        return problems
    tol = ex.functions[case.function].tolerance
    ref_y = reference_curve(ref)
    for vid, desc in variants.items():
        out = curve_output(desc, ref, tol)
        if not out[0] or ref_y is None or compare(ref_y, out[1], "array", tol).ok:
            continue  # this mistake does not change the curve (or draws none): nothing to prove
        checks = figure_checks(ex, case, {"ok": True, "value": desc}, ref, "", None, "", lambda e: "")
        curve = next(c for c, spec in zip(checks, case.figure, strict=True) if spec.kind == "curve")
        if curve.status == Status.PASSED:
            problems.append(f"misconception {vid} draws a different curve, but its figure passes the curve check")
    return problems
