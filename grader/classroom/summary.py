"""The class summary: a picture of the class, not just a column of numbers.

Built from the compact per-student rows of the batch manifest, one row at a time, so its memory does
not grow with the class beyond a score per student and the names behind each misconception.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from grader.classroom.layouts import TITLE as LAYOUT_TITLES
from grader.reports.render import environment

#: Sorts the student table by the column whose header button is pressed (again: the other way). Each cell
#: carries its sort key in data-sort; ties keep the order they had. Allowed by its hash in the page's CSP.
SORT_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    var button = th.querySelector('button');
    if (!button) { return; }
    button.addEventListener('click', function () {
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var numeric = th.getAttribute('data-type') === 'number';
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-sort'), y = b.cells[col].getAttribute('data-sort');
        var d = numeric ? Number(x) - Number(y) : (x < y ? -1 : (x > y ? 1 : 0));
        return asc ? d : -d;  // Array.prototype.sort is stable: ties keep their order
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode()).digest()).decode()

BINS = 10
MAX_PROBLEM_ROWS = 1000
STATUS_LETTER = {"passed": "p", "failed": "f", "error": "e"}
PROBLEM_ORDER = ("grader error", "timeout", "crash", "error")


@dataclass
class CheckTally:
    exercise: str
    name: str
    points: float = 1.0
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
    pending_students: int = 0  # students with written answers awaiting review
    pending_points: float = 0.0
    reports: Path | None = None  # OUT/reports: a student's row links to their report when it is there
    students_table: list[dict[str, Any]] = field(default_factory=list)
    quiz_blank: Counter[str] = field(default_factory=Counter)  # "quiz/question" -> students who left it blank
    quiz_wrong: dict[str, Counter[str]] = field(default_factory=dict)  # "quiz/question" -> wrong answers written

    def __post_init__(self) -> None:
        self.checks = [CheckTally(ex, name, float(points)) for ex, name, points in self.meta["checks"]]

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
        if row.get("pending"):
            self.pending_students += 1
            self.pending_points += float(row["pending"])
        if row.get("duration") is not None:
            self.durations.append(float(row["duration"]))
        self.quiz_blank.update(row.get("quiz_blank", []))
        for key, text in row.get("quiz_wrong", {}).items():
            self.quiz_wrong.setdefault(key, Counter())[" ".join(text.lower().split())] += 1
        self.students_table.append(self._student(row, max_score))

    def _student(self, row: dict[str, Any], max_score: float) -> dict[str, Any]:
        """One row of the student table: what an instructor sorts by, and the way to the student's report."""
        student = row["student"]
        kinds = sorted({p["kind"] for p in row.get("problems", [])}, key=PROBLEM_ORDER.index)
        status = ("passed" if row["passed"] else "below the pass mark") + (f" · {', '.join(kinds)}" if kinds else "")
        if row.get("pending"):  # written answers not reviewed yet: the verdict is on the graded points
            status += f" · {row['pending']:g} points awaiting review"
        report = self.reports is not None and (self.reports / f"{student}.html").is_file()
        return {"student": student, "name": row.get("name") or "", "score": row["score"], "max_score": max_score,
                "percent": round(100.0 * row["score"] / max_score, 1) if max_score else 0.0, "status": status,
                "passed": bool(row["passed"]), "problems": kinds, "pending": row.get("pending", 0.0),
                # a relative link, each path segment percent-encoded: opens from the folder, without a server
                "report": f"reports/{quote(student, safe='')}.html" if report else None}

    def quiz_stats(self) -> list[dict[str, Any]]:
        """Per quiz question: how many answered (a readable or unreadable answer, not blank), how many were
        right, and the most common wrong answer as written (ties: the first in alphabetical order)."""
        quizzes = {it["id"]: it["title"] for it in self.meta["items"] if it["kind"] == "quiz"}
        out = []
        for tally in self.checks:
            if tally.exercise not in quizzes or not tally.total:
                continue
            key = f"{tally.exercise}/{tally.name}"
            wrong = self.quiz_wrong.get(key, Counter())
            common = min(wrong.items(), key=lambda kv: (-kv[1], kv[0])) if wrong else None
            out.append({"quiz": tally.exercise, "question": tally.name, "graded": tally.total,
                        "answered": tally.total - self.quiz_blank[key], "right": tally.passed,
                        "common_wrong": common[0] if common else None, "common_wrong_count": common[1] if common else 0})
        return out

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
        graded = [c for c in self.checks if c.total]
        hardest = sorted(graded, key=lambda c: (c.rate, c.exercise, c.name))
        course_hashes = sorted({r["environment"]["course_hash"] for r in runs
                                if isinstance(r.get("environment"), dict) and r["environment"].get("course_hash")})
        return {
            # the hash the reports' footers show (grader.spec.provenance.course_hash, in each run's environment)
            "course_hash": ", ".join(course_hashes) or self.meta["spec_hash"],
            "student_rows": sorted(self.students_table, key=lambda r: r["student"]),
            "quiz_stats": self.quiz_stats(),
            "advisory": [c for c in hardest if c.points == 0],
            "meta": self.meta, "students": self.students, "passed": self.passed,
            "mean": statistics.fmean(pcts) if pcts else 0.0, "median": statistics.median(pcts) if pcts else 0.0,
            "histogram": hist, "peak": peak, "items": items,
            "checks": [c for c in hardest if c.points != 0],
            "no_sheet": no_sheet, "pending_students": self.pending_students, "pending_points": self.pending_points,
            "misconceptions": misconceptions, "problems": problems, "problem_count": self.problem_count,
            "problem_kinds": self.problem_kinds, "problems_cut": self.problem_count > len(problems),
            "runs": runs, "timing": timing, "layout_titles": LAYOUT_TITLES,
            "sort_script": SORT_SCRIPT, "script_hash": SCRIPT_HASH,
        }


def _source_templates() -> Path | None:
    """The checkout's own templates/ when running from source (an editable install may point elsewhere)."""
    local = Path(__file__).resolve().parents[2] / "templates"
    return local if (local / "summary.html.j2").is_file() else None


def render_summary(summary: Summary, runs: list[dict[str, Any]]) -> str:
    """summary.html, self-contained: inline CSS, an inline SVG histogram, and one inline script that sorts the
    student table; it loads nothing, so it opens from the folder without a server."""
    env = environment(_source_templates())
    return env.get_template("summary.html.j2").render(**summary.context(runs))


def summary_json(summary: Summary, runs: list[dict[str, Any]]) -> str:
    """summary.json: the figures summary.html shows, for scripts."""
    ctx = summary.context(runs)
    data = {
        "version": 1, "course": ctx["meta"]["course"], "course_hash": ctx["course_hash"],
        "pass_threshold": ctx["meta"]["pass_threshold"], "max_score": ctx["meta"]["max_score"],
        "students": ctx["students"], "passed": ctx["passed"], "mean_percent": ctx["mean"],
        "median_percent": ctx["median"], "histogram": ctx["histogram"],
        "items": [{k: it[k] for k in ("id", "title", "kind", "max_score", "mean")} for it in ctx["items"]],
        "checks": [asdict(c) | {"rate": c.rate} for c in ctx["checks"]],
        "advisory": [asdict(c) | {"rate": c.rate} for c in ctx["advisory"]],
        "quiz": ctx["quiz_stats"], "no_sheet": ctx["no_sheet"], "misconceptions": ctx["misconceptions"],
        "student_rows": ctx["student_rows"], "problems": ctx["problems"], "timing": ctx["timing"],
        "pending": {"students": ctx["pending_students"], "points": ctx["pending_points"]},
    }
    return json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
