"""What a figure may be when it leaves a worker: a plain JSON description, bounded in every part.

A function declared ``returns: figure`` hands back a matplotlib figure; the worker (grader.sandbox.figure)
turns it into this description, and only the description leaves the sandbox: never a pickle, never an
image. Everything in it was read inside the student's process, so the fork server and the grader check it
again here, as hostile data, before anything reads it. Pure Python (no NumPy, no matplotlib), so the grader
and the fork server check a reply without importing either; self-contained, so a shared reply validator can
call it.

The shape (every key always present; ``x``/``y`` are None when a line holds more points than ``MAX_POINTS``,
and ``n`` then says how many it had)::

    {"kind": "figure", "suptitle": str, "axes": [
        {"title": str, "xlabel": str, "ylabel": str, "xscale": str, "yscale": str,
         "xlim": [float, float], "ylim": [float, float], "legend": [str, ...] or None,
         "lines": [{"label", "style", "color", "marker": str, "n": int, "x": [float...] or None, "y": ...}],
         "vlines": [{"at": float, "label": str, "style": str, "color": str}], "hlines": [same],
         "scatter": [{"label": str, "color": str, "n": int, "x": [float...] or None, "y": ...}],
         "texts": [{"text": str, "x": float, "y": float}]}]}
"""

from __future__ import annotations

from typing import Any

FORMAT = "figure"
MAX_AXES = 8
MAX_LINES = 32  # data lines per axes; scatter collections count as well
MAX_MARKS = 16  # vertical and horizontal reference lines per axes, each
MAX_TEXTS = 32  # text annotations per axes
MAX_TEXT = 200  # characters of any one label, title or text
MAX_POINTS = 20_000  # points of one line that are read; a longer line keeps only its count
MAX_TOTAL = 200_000  # points of the whole figure

AXES_KEYS = frozenset({"title", "xlabel", "ylabel", "xscale", "yscale", "xlim", "ylim", "legend", "lines", "vlines",
                       "hlines", "scatter", "texts"})
LINE_KEYS = frozenset({"label", "style", "color", "marker", "n", "x", "y"})
MARK_KEYS = frozenset({"at", "label", "style", "color"})
SCATTER_KEYS = frozenset({"label", "color", "n", "x", "y"})
TEXT_KEYS = frozenset({"text", "x", "y"})


class Bad(Exception):
    """Why a description is refused."""


def _text(value: Any, where: str) -> None:
    if type(value) is not str:
        raise Bad(f"{where} is not text")
    if len(value) > MAX_TEXT:
        raise Bad(f"{where} is longer than {MAX_TEXT} characters")


def _number(value: Any, where: str) -> None:
    if type(value) is not float and type(value) is not int:
        raise Bad(f"{where} is not a number")


def _keys(item: Any, keys: frozenset[str], where: str) -> None:
    if type(item) is not dict or set(item) != keys:
        raise Bad(f"{where} does not have the expected fields")


def _points(item: dict[str, Any], where: str, budget: list[int]) -> None:
    n = item["n"]
    if type(n) is not int or n < 0:
        raise Bad(f"{where}.n is not a count")
    if item["x"] is None and item["y"] is None:
        if n <= MAX_POINTS:
            raise Bad(f"{where} has no data but only {n} points")
        return
    for axis in ("x", "y"):
        data = item[axis]
        if type(data) is not list or len(data) != n or n > MAX_POINTS:
            raise Bad(f"{where}.{axis} does not hold its {n} points")
        for v in data:
            if type(v) is not float and type(v) is not int:
                raise Bad(f"{where}.{axis} holds a value that is not a number")
    budget[0] -= n
    if budget[0] < 0:
        raise Bad(f"the figure holds more than {MAX_TOTAL} points")


def _list(value: Any, cap: int, where: str) -> list[Any]:
    if type(value) is not list:
        raise Bad(f"{where} is not a list")
    if len(value) > cap:
        raise Bad(f"{where} has more than {cap} entries")
    return value


def figure_problem(value: Any) -> str | None:
    """Why ``value`` is not a figure description we accept, or None. Never raises, never recurses deeply."""
    try:
        _check(value)
    except Bad as exc:
        return f"a figure description where {exc}"
    return None


def _check(value: Any) -> None:
    if type(value) is not dict or set(value) != {"kind", "suptitle", "axes"} or value["kind"] != FORMAT:
        raise Bad("the top level does not have the expected fields")
    _text(value["suptitle"], "the figure title")
    budget = [MAX_TOTAL]
    for a, ax in enumerate(_list(value["axes"], MAX_AXES, "axes")):
        where = f"axes[{a}]"
        _keys(ax, AXES_KEYS, where)
        for key in ("title", "xlabel", "ylabel", "xscale", "yscale"):
            _text(ax[key], f"{where}.{key}")
        for key in ("xlim", "ylim"):
            lim = ax[key]
            if type(lim) is not list or len(lim) != 2:
                raise Bad(f"{where}.{key} is not a pair")
            _number(lim[0], f"{where}.{key}")
            _number(lim[1], f"{where}.{key}")
        if ax["legend"] is not None:
            for i, t in enumerate(_list(ax["legend"], MAX_LINES + 2 * MAX_MARKS, f"{where}.legend")):
                _text(t, f"{where}.legend[{i}]")
        lines = _list(ax["lines"], MAX_LINES, f"{where}.lines")
        scatter = _list(ax["scatter"], MAX_LINES, f"{where}.scatter")
        if len(lines) + len(scatter) > MAX_LINES:
            raise Bad(f"{where} has more than {MAX_LINES} lines and scatter plots")
        for i, line in enumerate(lines):
            _keys(line, LINE_KEYS, f"{where}.lines[{i}]")
            for key in ("label", "style", "color", "marker"):
                _text(line[key], f"{where}.lines[{i}].{key}")
            _points(line, f"{where}.lines[{i}]", budget)
        for i, sc in enumerate(scatter):
            _keys(sc, SCATTER_KEYS, f"{where}.scatter[{i}]")
            _text(sc["label"], f"{where}.scatter[{i}].label")
            _text(sc["color"], f"{where}.scatter[{i}].color")
            _points(sc, f"{where}.scatter[{i}]", budget)
        for key in ("vlines", "hlines"):
            for i, mark in enumerate(_list(ax[key], MAX_MARKS, f"{where}.{key}")):
                _keys(mark, MARK_KEYS, f"{where}.{key}[{i}]")
                _number(mark["at"], f"{where}.{key}[{i}].at")
                for k in ("label", "style", "color"):
                    _text(mark[k], f"{where}.{key}[{i}].{k}")
        for i, t in enumerate(_list(ax["texts"], MAX_TEXTS, f"{where}.texts")):
            _keys(t, TEXT_KEYS, f"{where}.texts[{i}]")
            _text(t["text"], f"{where}.texts[{i}].text")
            _number(t["x"], f"{where}.texts[{i}].x")
            _number(t["y"], f"{where}.texts[{i}].y")
