"""The class summary: a picture of the class, not just a column of numbers.

Built from the compact per-student rows of the batch manifest, one row at a time, so its memory does
not grow with the class beyond a score per student and the names behind each misconception.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.classroom.layouts import TITLE as LAYOUT_TITLES
from grader.reports.render import environment

BINS = 10
MAX_PROBLEM_ROWS = 1000
STATUS_LETTER = {"passed": "p", "failed": "f", "error": "e"}
PROBLEM_ORDER = ("not graded", "grader error", "timeout", "crash", "error")


@dataclass
class CheckTally:
    exercise: str
    name: str
    passed: int = 0
    failed: int = 0
    error: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.error

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


@dataclass
class Summary:
    """Aggregates fed one row at a time (``add``); ``context`` is what the template needs."""

    meta: dict[str, Any]
    students: int = 0
    passed: int = 0
    percents: list[float] = field(default_factory=list)
    item_sums: dict[str, float] = field(default_factory=dict)
    checks: list[CheckTally] = field(default_factory=list)
    misconceptions: dict[str, list[str]] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    problem_count: int = 0
    problem_kinds: dict[str, int] = field(default_factory=dict)
    durations: list[float] = field(default_factory=list)
    no_sheet: dict[str, dict[str, int]] = field(default_factory=dict)  # quiz id -> {"missing"|"unusable": n}

    def __post_init__(self) -> None:
        self.checks = [CheckTally(ex, name) for ex, name, _points in self.meta["checks"]]

    def add(self, row: dict[str, Any]) -> None:
        self.students += 1
        self.passed += bool(row["passed"])
        max_score = row["max_score"] or self.meta["max_score"]
        self.percents.append(100.0 * row["score"] / max_score if max_score else 0.0)
        for key, score in row.get("items", {}).items():
            self.item_sums[key] = self.item_sums.get(key, 0.0) + score
        for tally, letter in zip(self.checks, row.get("checks", ""), strict=False):
            if letter == "p":
                tally.passed += 1
            elif letter == "f":
                tally.failed += 1
            elif letter == "e":
                tally.error += 1
        label = row["student"] + (f" ({row['name']})" if row.get("name") else "")  # the name, when the LMS gave it
        for mid in row.get("misconceptions", []):
            self.misconceptions.setdefault(mid, []).append(label)
        for quiz_id, why in row.get("no_sheet", {}).items():
            counts = self.no_sheet.setdefault(quiz_id, {})
            counts[why] = counts.get(why, 0) + 1
        if row.get("problems"):
            self.problem_count += 1
            kinds = sorted({p["kind"] for p in row["problems"]}, key=PROBLEM_ORDER.index)
            for kind in kinds:
                self.problem_kinds[kind] = self.problem_kinds.get(kind, 0) + 1
            if len(self.problems) < MAX_PROBLEM_ROWS:
                self.problems.append({"student": row["student"], "name": row.get("name") or "",
                                      "email": row.get("email") or "", "kinds": kinds, "score": row["score"],
                                      "max_score": row["max_score"], "problems": row["problems"]})
        if row.get("duration") is not None:
            self.durations.append(float(row["duration"]))

    def histogram(self) -> list[dict[str, Any]]:
        counts = [0] * BINS
        for pct in self.percents:
            counts[min(BINS - 1, max(0, int(pct // (100 / BINS))))] += 1
        width = 100 // BINS
        return [{"low": i * width, "high": (i + 1) * width, "count": c} for i, c in enumerate(counts)]

    def context(self, runs: list[dict[str, Any]]) -> dict[str, Any]:
        hist = self.histogram()
        peak = max((b["count"] for b in hist), default=0) or 1
        pcts = self.percents
        durations = sorted(self.durations)
        timing = {
            "graded_in": sum(r.get("graded", 0) for r in runs),
            "wall": sum(r.get("wall_seconds", 0.0) for r in runs),
            "mean": statistics.fmean(durations) if durations else 0.0,
            "p95": durations[min(len(durations) - 1, math.ceil(0.95 * len(durations)) - 1)] if durations else 0.0,
            "max": durations[-1] if durations else 0.0,
        }
        items = [{**it, "mean": (self.item_sums.get(it["id"], 0.0) / self.students) if self.students else 0.0}
                 for it in self.meta["items"]]
        order = {k: i for i, k in enumerate(PROBLEM_ORDER)}
        problems = sorted(self.problems, key=lambda p: (order[p["kinds"][0]], p["student"]))
        # "exercise/id" (rows before ids were per exercise hold the id alone)
        rows: list[dict[str, Any]] = [{"exercise": k.rpartition("/")[0], "id": k.rpartition("/")[2], "count": len(v),
                                       "students": sorted(v)} for k, v in self.misconceptions.items()]
        misconceptions = sorted(rows, key=lambda m: (-m["count"], m["exercise"], m["id"]))
        no_sheet = [{"quiz": quiz_id, "missing": n.get("missing", 0), "unusable": n.get("unusable", 0)}
                    for quiz_id, n in sorted(self.no_sheet.items())]
        return {
            "meta": self.meta, "students": self.students, "passed": self.passed,
            "mean": statistics.fmean(pcts) if pcts else 0.0, "median": statistics.median(pcts) if pcts else 0.0,
            "histogram": hist, "peak": peak, "items": items,
            "checks": sorted((c for c in self.checks if c.total), key=lambda c: (c.rate, c.exercise, c.name)),
            "no_sheet": no_sheet,
            "misconceptions": misconceptions, "problems": problems, "problem_count": self.problem_count,
            "problem_kinds": self.problem_kinds, "problems_cut": self.problem_count > len(problems),
            "runs": runs, "timing": timing, "layout_titles": LAYOUT_TITLES,
        }


def _source_templates() -> Path | None:
    """The checkout's own templates/ when running from source (an editable install may point elsewhere)."""
    local = Path(__file__).resolve().parents[2] / "templates"
    return local if (local / "summary.html.j2").is_file() else None


def render_summary(summary: Summary, runs: list[dict[str, Any]]) -> str:
    """summary.html, self-contained: inline CSS and an inline SVG histogram, no scripts, no requests."""
    env = environment(_source_templates())
    return env.get_template("summary.html.j2").render(**summary.context(runs))
