"""Compare an answer with the expected value the way pytest's ``approx`` does, and explain mismatches.

The tolerance of an element is ``max(atol, rtol * |expected|)``. A mismatch is described element by
element: how many differ, the largest absolute and relative difference, the worst index, and the first
NaN or infinity, so a student sees *how far off* the answer is, not just that it is wrong.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

FLOAT_MAX = sys.float_info.max


@dataclass(frozen=True)
class Tolerance:
    """How close an answer must be: max(atol, rtol * |expected|), and what NaN means."""

    rtol: float = 1e-5
    atol: float = 1e-6
    nan: str = "fail"

    def __post_init__(self) -> None:
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or math.isnan(value):
                raise ValueError(f"{name} must be a number, not {value!r}")
            if value < 0:
                raise ValueError(f"{name} must be non-negative, got {value!r}")
        if self.nan not in ("fail", "equal"):
            raise ValueError(f"nan must be 'fail' or 'equal', not {self.nan!r}")

    def describe(self) -> str:
        return f"max({fmt(self.atol)}, {fmt(self.rtol)} × |expected|)"


def fmt(x: Any) -> str:
    """A number as a person reads it: no -0.0000, no 17 digits."""
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(fmt(v) for v in x) + "]"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if not isinstance(x, (float, np.floating)):
        return str(x)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 or abs(x) < 5e-13:
        return "0"
    ax = abs(x)
    text = f"{x:.4g}" if (ax < 1e-4 or ax >= 1e6) else f"{x:.6g}"
    if text in ("-0", "0"):
        return "0"
    return text


def short(value: Any, items: int = 6) -> str:
    """Like :func:`fmt`, but a long flat list keeps its first and last items and says how many."""
    if isinstance(value, (list, tuple)) and len(value) > items and not any(isinstance(v, (list, tuple)) for v in value):
        head = ", ".join(fmt(v) for v in value[: items - 2])
        return f"[{head}, …, {fmt(value[-1])}] ({len(value)} values)"
    if value is None:
        return "nothing"
    return fmt(value)


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one answer; ``details`` feeds every report format."""

    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def _as_array(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def close(expected: Any, got: Any, tol: Tolerance) -> np.ndarray:
    """Element-wise closeness; shapes must already agree.

    The tolerance applies between finite numbers only: an infinite expected value would allow an infinite
    error (``rtol × |inf|``), so that 1.8e308 "matched" inf. An infinity matches only the same infinity, and
    NaN matches NaN only when ``tol.nan`` is ``"equal"``. Grading, ``grader validate`` and diagnosis all
    compare through this one function.
    """
    e = _as_array(expected)
    g = _as_array(got)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.isfinite(e) & np.isfinite(g) & (np.abs(g - e) <= np.maximum(tol.atol, tol.rtol * np.abs(e)))
        ok |= (g == e)  # equal infinities
        if tol.nan == "equal":
            ok |= np.isnan(g) & np.isnan(e)
    return ok


def compare(expected: Any, got: Any, returns: str, tol: Tolerance) -> Comparison:
    """Compare plain data (floats or nested lists) already checked for type by the caller."""
    if returns == "int":
        if isinstance(got, int) and not -FLOAT_MAX <= got <= FLOAT_MAX:
            return Comparison(False, "expected a number, got an integer beyond float range",
                              {"got_problem": "a number beyond float range"})
        same = int(got) == int(expected)
        msg = "" if same else f"expected {int(expected)}, got {int(got)}"
        return Comparison(same, msg, {"expected": int(expected), "got": int(got)})
    e = _as_array(expected)
    try:
        g = _as_array(got)
    except (OverflowError, ValueError) as exc:  # 10**4000 is JSON, not a float; ragged lists are not arrays
        why = "a number beyond float range" if isinstance(exc, OverflowError) else "lists of different lengths"
        return Comparison(False, f"expected numbers, got {why}", {"got_problem": why})
    if e.shape != g.shape:
        msg = f"wrong shape: expected an array of shape {e.shape}, got shape {g.shape}"
        return Comparison(False, msg, {"expected_shape": list(e.shape), "got_shape": list(g.shape)})
    ok = close(e, g, tol)
    if ok.all():
        return Comparison(True, "", {})
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        absdiff = np.abs(g - e)
        reldiff = np.where(e != 0, absdiff / np.abs(e), np.inf)
    details: dict[str, Any] = {"tolerance": tol.describe(), "rtol": tol.rtol, "atol": tol.atol}
    bad_values = ~np.isfinite(g)
    if e.ndim == 0:
        ev, gv = float(e), float(g)
        details.update(expected=ev, got=gv)
        if not math.isfinite(gv):
            details["nonfinite"] = fmt(gv)
            msg = f"expected {fmt(ev)}, got {fmt(gv)}"
        else:
            ad, rd = float(absdiff), float(reldiff)
            details.update(abs_diff=ad, rel_diff=rd if math.isfinite(rd) else None)
            rel = f", relative {fmt(rd)}" if math.isfinite(rd) else ""
            msg = (f"expected {fmt(ev)}, got {fmt(gv)} (off by {fmt(ad)}{rel}; "
                   f"allowed {fmt(max(tol.atol, tol.rtol * abs(ev)))})")
        return Comparison(False, msg, details)
    bad = np.flatnonzero(~ok.ravel())
    finite_bad = np.where(np.isfinite(absdiff.ravel()[bad]), absdiff.ravel()[bad], -1)
    worst_flat = int(bad[int(np.argmax(finite_bad))])
    worst = [int(i) for i in np.unravel_index(worst_flat, e.shape)]
    finite = np.isfinite(absdiff) & ~ok
    max_abs = float(absdiff[finite].max()) if finite.any() else None
    rel_f = reldiff[finite & np.isfinite(reldiff)]
    max_rel = float(rel_f.max()) if rel_f.size else None
    rows = []
    for flat in bad[:5]:
        idx = [int(i) for i in np.unravel_index(int(flat), e.shape)]
        rows.append({"index": idx, "got": float(g.ravel()[flat]), "expected": float(e.ravel()[flat])})
    details.update(
        mismatched=int(bad.size), total=int(e.size), worst_index=worst,
        max_abs_diff=max_abs, max_rel_diff=max_rel, rows=rows,
        worst_rel_diff=(float(reldiff.ravel()[worst_flat]) if np.isfinite(reldiff.ravel()[worst_flat])
                        and abs(float(e.ravel()[worst_flat])) > 5e-13 else None),
    )
    msg = f"{bad.size} of {e.size} elements differ"
    if max_abs is not None:
        msg += f"; max absolute difference {fmt(max_abs)}"
    if max_rel is not None:
        msg += f", max relative difference {fmt(max_rel)}"
    msg += f"; worst at index {_index(worst)}"
    if bad_values.any():
        first = [int(i) for i in np.unravel_index(int(np.flatnonzero(bad_values.ravel())[0]), e.shape)]
        details["first_nonfinite"] = {"index": first, "value": fmt(float(g[tuple(first)]))}
        msg += f"; first {fmt(float(g[tuple(first)]))} at index {_index(first)}"
    return Comparison(False, msg, details)


def passes(expected: Any, got: Any, returns: str, tol: Tolerance) -> bool:
    """Whether grading passes ``got``: :func:`compare`'s verdict, and False for a value it cannot compare. The one
    comparison that grading, ``grader validate`` (which cases a known mistake fails) and diagnosis share."""
    try:
        return compare(expected, got, returns, tol).ok
    except (TypeError, ValueError, OverflowError):
        return False


def _index(idx: list[int]) -> str:
    return "[" + ", ".join(map(str, idx)) + "]"


def half_unit(value: Any) -> float:
    """Half a unit of the last decimal a pinned figure is written with (3.596 -> 0.0005), the smallest over a
    list; 0 for whole numbers. YAML has already read the number, so 2.50 counts as 2.5."""
    if isinstance(value, (list, tuple)):
        halves = [h for h in (half_unit(v) for v in value) if h]
        return min(halves) if halves else 0.0
    if isinstance(value, bool) or not isinstance(value, float) or not math.isfinite(value):
        return 0.0
    exponent = Decimal(repr(value)).as_tuple().exponent
    return 0.5 * 10.0 ** exponent if isinstance(exponent, int) and exponent < 0 else 0.0
