"""Figures in reports: the student's figure re-drawn by the grader from its extracted data, beside the reference's.

A ``returns: figure`` case carries both figures' plain descriptions on its first check (``details.figure``,
written by grader.judge.figures). Nothing the student made is shown as it came: the grader draws its own SVG
from the numbers and strings, every string is escaped by the template that shows it, colours are kept only
when they are plain ``#rrggbb`` values, and long lines are thinned to ``DRAWN`` points. Works on a record read
back from JSON, where a NaN arrives as ``"nan"``.

The same drawing serves the HTML report (inline SVG), the Markdown report (an SVG file beside it, linked) and
the grader's own sweep plot of an array answer (``functions.NAME.plot``), which is a figure of two lines.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from grader.record import Check, ExerciseResult, Status
from grader.spec.tolerance import fmt

W, H = 520, 320
LEFT, RIGHT, TOP, BOTTOM = 62, 16, 34, 46
DRAWN = 1500  # points of one line drawn; a longer line is thinned evenly (its first and last points kept)
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
DASHES = {"--": "7 4", ":": "2 3", "-.": "7 3 2 3", "dashed": "7 4", "dotted": "2 3", "dashdot": "7 3 2 3"}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def plain_float(v: Any) -> float:
    """A number from the record or a figure description: the strings JSON uses for NaN and infinities read back,
    anything else that is not a number NaN."""
    if isinstance(v, str):
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(v, math.nan)
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _text(v: Any, cap: int = 120) -> str:
    """A string from the record, on one line (a newline could start a workflow command in a CI log)."""
    return " ".join(str(v).split())[:cap] if isinstance(v, str) else ""


def _colour(v: Any, i: int) -> str:
    return v if isinstance(v, str) and _HEX.match(v) else PALETTE[i % len(PALETTE)]


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    out: list[float] = []
    t = math.ceil(lo / step) * step
    while t <= hi + step * 1e-9 and len(out) < 12:
        out.append(round(t, 12))
        t += step
    return out


def _thin(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    n = len(xs)
    if n <= DRAWN:
        return xs, ys
    keep = sorted({round(i * (n - 1) / (DRAWN - 1)) for i in range(DRAWN)})
    return [xs[i] for i in keep], [ys[i] for i in keep]


def _series(item: dict[str, Any]) -> tuple[list[float], list[float]] | None:
    xs, ys = item.get("x"), item.get("y")
    if not isinstance(xs, list) or not isinstance(ys, list) or len(xs) != len(ys):
        return None
    return _thin([plain_float(v) for v in xs], [plain_float(v) for v in ys])


def _span(values: list[float], limits: Any, log: bool) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v) and (not log or v > 0)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if isinstance(limits, list) and len(limits) == 2:
        a, b = sorted((plain_float(limits[0]), plain_float(limits[1])))
        if math.isfinite(a) and math.isfinite(b) and b > a and (not log or a > 0):
            lo, hi = a, b
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def draw(desc: Any, who: str, label: str = "") -> dict[str, Any] | None:
    """Screen geometry of a figure description's first axes (the template lays it out), or None."""
    if not isinstance(desc, dict) or not isinstance(desc.get("axes"), list) or not desc["axes"]:
        return None
    ax = desc["axes"][0]
    if not isinstance(ax, dict):
        return None
    series = []
    for i, item in enumerate(list(ax.get("lines") or []) + list(ax.get("scatter") or [])):
        if not isinstance(item, dict):
            continue
        data = _series(item)
        if data is not None:
            series.append((item, data, "style" not in item, i))
    xlog, ylog = ax.get("xscale") == "log", ax.get("yscale") == "log"
    x0, x1 = _span([x for _, (xs, _), _, _ in series for x in xs], ax.get("xlim"), xlog)
    y0, y1 = _span([y for _, (_, ys), _, _ in series for y in ys], ax.get("ylim"), ylog)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def tx(v: float) -> float:
        if xlog:
            v, a, b = math.log10(v) if v > 0 else -math.inf, math.log10(x0), math.log10(x1)
        else:
            a, b = x0, x1
        return round(LEFT + (min(max(v, a), b) - a) / (b - a) * pw, 1)

    def ty(v: float) -> float:
        if ylog:
            v, a, b = math.log10(v) if v > 0 else -math.inf, math.log10(y0), math.log10(y1)
        else:
            a, b = y0, y1
        return round(TOP + (b - min(max(v, a), b)) / (b - a) * ph, 1)

    lines, dots = [], []
    for item, (xs, ys), scatter, i in series:
        colour = _colour(item.get("color"), i)
        if scatter:
            dots.append({"colour": colour, "points": [(tx(x), ty(y)) for x, y in zip(xs, ys, strict=True)
                                                      if math.isfinite(x) and math.isfinite(y)]})
            continue
        segments, cur = [], []
        for x, y in zip(xs, ys, strict=True):
            if math.isfinite(x) and math.isfinite(y):
                cur.append(f"{tx(x)},{ty(y)}")
            elif cur:
                segments.append(" ".join(cur))
                cur = []
        if cur:
            segments.append(" ".join(cur))
        style = str(item["style"]) if isinstance(item.get("style"), str) else "-"
        if style in ("None", "none", "", " "):
            style = "-"  # markers only: drawn as a thin line, so the data is still seen
        cls = item.get("cls") if item.get("cls") in ("ref", "got") else ""  # the grader's own plot marks its two
        lines.append({"colour": colour, "dash": DASHES.get(style, ""), "segments": segments, "cls": cls})
    marks = []
    for key, vertical in (("vlines", True), ("hlines", False)):
        for m in list(ax.get(key) or [])[:16]:
            if isinstance(m, dict) and math.isfinite(plain_float(m.get("at"))):
                at = plain_float(m["at"])
                pos = tx(at) if vertical else ty(at)
                style = str(m["style"]) if isinstance(m.get("style"), str) else "-"
                marks.append({"vertical": vertical, "at": pos, "colour": _colour(m.get("color"), 3),
                              "dash": DASHES.get(style, ""), "value": fmt(at)})
    texts = []
    for t in list(ax.get("texts") or [])[:32]:
        if isinstance(t, dict) and math.isfinite(plain_float(t.get("x"))) and math.isfinite(plain_float(t.get("y"))):
            texts.append({"x": tx(plain_float(t["x"])), "y": ty(plain_float(t["y"])), "text": _text(t.get("text"), 60)})
    swatches: dict[str, tuple[str, str]] = {}
    for i, item in enumerate(list(ax.get("lines") or []) + list(ax.get("vlines") or []) + list(ax.get("hlines") or [])):
        if isinstance(item, dict) and isinstance(item.get("label"), str) and item["label"] not in swatches:
            line_style = str(item.get("style")) if isinstance(item.get("style"), str) else "-"
            swatches[item["label"]] = (_colour(item.get("color"), i if "n" in item else 3), DASHES.get(line_style, ""))
    legend = [{"text": _text(t, 40), "colour": swatches.get(t, ("", ""))[0], "dash": swatches.get(t, ("", ""))[1]}
              for t in ax.get("legend") or [] if isinstance(t, str)][:8] if ax.get("legend") is not None else None
    return {
        "who": who, "label": label, "width": W, "height": H, "left": LEFT, "top": TOP, "right": W - RIGHT, "bottom": H - BOTTOM,
        "title": _text(ax.get("title")) or _text(desc.get("suptitle")), "x_label": _text(ax.get("xlabel")),
        "y_label": _text(ax.get("ylabel")),
        "xticks": [{"at": tx(t), "label": fmt(t)} for t in _ticks(x0, x1) if not xlog or t > 0],
        "yticks": [{"at": ty(t), "label": fmt(t)} for t in _ticks(y0, y1) if not ylog or t > 0],
        "lines": lines, "dots": dots, "marks": marks, "texts": texts, "legend": legend,
        "more_axes": len(desc["axes"]) - 1,
    }


@dataclass
class FigureView:
    """One figure case of an exercise, as every report shows it."""

    exercise: str
    function: str
    name: str  # the case's name
    file_stem: str  # for the Markdown report's SVG files: "<exercise>-<function>-<n>"
    student_line: str
    reference_line: str
    student: dict[str, Any] | None  # geometry (draw), None when no figure came back
    reference: dict[str, Any] | None
    ok: bool


def figure_views(ex: ExerciseResult) -> list[FigureView]:
    """The figure cases of ``ex``, in order: the first check of each carries both figures."""
    out: list[FigureView] = []
    for check in ex.checks:
        data = (check.details or {}).get("figure")
        if not isinstance(data, dict):
            continue
        case = check.name.rsplit(": ", 1)[0]
        siblings = [c for c in ex.checks if c.kind == "figure" and c.name.rsplit(": ", 1)[0] == case]
        out.append(FigureView(
            exercise=ex.id, function=check.function or "", name=case.split(": ", 1)[-1],
            file_stem=f"{ex.id}-{check.function}-{len(out) + 1}", student_line=_text(data.get("student_line"), 600),
            reference_line=_text(data.get("reference_line"), 600),
            student=draw(data.get("student"), "yours"), reference=draw(data.get("reference"), "reference"),
            ok=all(c.status == Status.PASSED for c in siblings),
        ))
    return out


def figure_line(check: Check) -> str:
    """The one plain line a text report gives a figure (the student's), or ''."""
    data = (check.details or {}).get("figure")
    return _text(data.get("student_line"), 600) if isinstance(data, dict) else ""
