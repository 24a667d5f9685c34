"""What the report templates show, computed once from the result record so every format says the same.

Templates stay declarative: they ask for ``sections(ex)``, ``facts(check)`` or ``plot(check)`` and only
lay the strings out. All numbers are formatted here with :func:`grader.spec.tolerance.fmt` (no ``-0.0000``,
no 17 digits), and all of it works on a record read back from JSON, where NaN arrives as ``"nan"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from grader.record import Check, ExerciseResult, GradeResult, QuestionResult, QuizResult, Status
from grader.reports.figures import plain_float as _float
from grader.spec.quiz.sheet import SHEET_FILE
from grader.spec.tolerance import fmt, short


def _index(idx: Any) -> str:
    return "[" + ", ".join(str(i) for i in idx) + "]" if isinstance(idx, list) else str(idx)


def _at(value: Any, idx: list[int]) -> Any:
    for i in idx:
        if not isinstance(value, list) or i >= len(value):
            return None
        value = value[i]
    return value


@dataclass
class Facts:
    """Expected against got, and by how much, for one failed check."""

    input: str | None
    expected: str
    got: str
    off: str = ""  # "0.0423 (relative 0.0965)" or "3 of 19 values differ; ..."
    allowed: str = ""
    nonfinite: str = ""
    error: str = ""
    rows: list[dict[str, str]] = field(default_factory=list)


def facts(check: Check) -> Facts:
    d = check.details or {}
    f = Facts(input=check.input, expected=short(check.expected), got=short(check.got))
    if check.status == Status.ERROR:
        # a wrong type still shows what came back, as the type it came back as: 2.0 is not the index 2
        f.got = "no answer" if check.got is None else \
            repr(check.got) if isinstance(check.got, float) and check.got.is_integer() else f.got
        f.error = check.message
        return f
    if "expected_shape" in d:
        f.off = (f"wrong shape: expected {fmt(d['expected_shape'])}, got {fmt(d['got_shape'])}")
        return f
    if "mismatched" in d:
        parts = [f"{d['mismatched']} of {d['total']} values differ"]
        if d.get("max_abs_diff") is not None:
            # The relative difference at the same index as the largest absolute one, so the pair reads true.
            worst_rel = d.get("worst_rel_diff", d.get("max_rel_diff"))
            rel = f" (relative {fmt(worst_rel)})" if worst_rel is not None else ""
            parts.append(f"largest difference {fmt(d['max_abs_diff'])}{rel} at index {_index(d['worst_index'])}")
        f.off = "; ".join(parts)
        f.allowed = f"{d['tolerance']} for each value"
        if d.get("first_nonfinite"):
            nf = d["first_nonfinite"]
            f.nonfinite = f"first {nf['value']} at index {_index(nf['index'])}"
        rows = list(d.get("rows", []))
        worst = d.get("worst_index")
        if worst is not None and all(r["index"] != worst for r in rows):
            rows.append({"index": worst, "got": _at(check.got, worst), "expected": _at(check.expected, worst)})
        f.rows = [{"index": _index(r["index"]), "got": fmt(r["got"]), "expected": fmt(r["expected"])} for r in rows]
        return f
    if "tolerance" in d:
        allowed = max(_float(d.get("atol", 0)), _float(d.get("rtol", 0)) * abs(_float(d.get("expected", 0))))
        f.allowed = f"{fmt(allowed)} = {d['tolerance']}"
    if "nonfinite" in d:
        f.nonfinite = f"{d['nonfinite']} never counts as close to a number"
    elif "abs_diff" in d:
        rel = f" (relative {fmt(d['rel_diff'])})" if d.get("rel_diff") is not None else ""
        f.off = f"{fmt(d['abs_diff'])}{rel}"
    elif not {"expected", "got"} <= set(d) and check.message and check.message != "ok":
        f.off = check.message
    return f


@dataclass
class Skipped:
    """Cases of one function told as one line: never run, for one reason, or run and timed out like the first."""

    reason: str
    names: list[str]
    verb: str = "not run"  # "6 cases not run: ...", or "6 cases also timed out, each run in a fresh worker: ..."

    @property
    def count(self) -> int:
        return len(self.names)


def _skipped(check: Check) -> bool:
    return check.status == Status.ERROR and (check.details or {}).get("exception") == "Skipped" \
        and check.message.startswith("not run: ")


TIMED_OUT = "time limit exceeded: "
RERUN = "also timed out, each run in a fresh worker"


def _timed_out(check: Check) -> bool:
    return check.status == Status.ERROR and (check.details or {}).get("exception") == "Timeout" \
        and check.message.startswith(TIMED_OUT)


def _folded(checks: list[Check]) -> list[Check]:
    """The checks told in a one-line group: never run, or a timeout after the function's first (after a timeout
    the remaining cases still run, each in a fresh worker; the same "time limit exceeded" block is shown once)."""
    first = next((c for c in checks if _timed_out(c)), None)
    return [c for c in checks if _skipped(c) or (_timed_out(c) and c is not first)]


@dataclass
class Section:
    """The checks of one function, with what the student should learn from its failures."""

    function: str
    checks: list[Check]
    diagnosis: dict[str, Any] | None
    idea: str | None

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status != Status.PASSED]

    @property
    def passed(self) -> int:
        return len(self.checks) - len(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed


    @property
    def shown(self) -> list[Check]:
        """The checks a report details one by one: all but those never run (see ``skipped``)."""
        folded = _folded(self.checks)
        return [c for c in self.checks if not any(c is f for f in folded)]

    @property
    def shown_failed(self) -> list[Check]:
        """The failures a report details one by one (the cases never run are one line, ``skipped``)."""
        folded = _folded(self.checks)
        return [c for c in self.failed if not any(c is f for f in folded)]

    @property
    def skipped(self) -> list[Skipped]:
        """Checks never run for one reason (the function timed out on an earlier case...), one entry per reason:
        a timeout used to repeat the same "not run" block once for each remaining case."""
        groups: dict[tuple[str, str], list[Check]] = {}
        for c in _folded(self.checks):
            key = ("not run", c.message.removeprefix("not run: ")) if _skipped(c) else \
                (RERUN, c.message.removeprefix(TIMED_OUT))
            groups.setdefault(key, []).append(c)
        return [Skipped(reason, [label(c) + (" [hidden]" if c.visibility == "hidden" else "") for c in checks], verb)
                for (verb, reason), checks in groups.items()]

    @property
    def unimplemented(self) -> bool:
        """Every check says "not implemented yet": one line in the report, not one block per case."""
        return bool(self.checks) and all(c.status == Status.ERROR and c.message.startswith("not implemented yet")
                                         for c in self.checks)

    @property
    def headline(self) -> str:
        """What the diagnosis box is titled: a named mistake, a pattern in the numbers, or a failing callee."""
        d = self.diagnosis or {}
        kind = d.get("kind", "declared")
        if kind == "relation":
            return "A pattern in your answers"
        if kind == "upstream":
            return "Fails because of a function it builds on"
        if kind == "undetermined":
            return "Not told apart yet"
        return f"Likely mistake: {d.get('id')}"

    @property
    def because(self) -> str:
        """The diagnosis in one paragraph: the explanation, then its evidence when there is one."""
        d = self.diagnosis or {}
        evidence = d.get("evidence") or ""
        return d.get("explanation", "") + (f" ({evidence}.)" if evidence else "")


def verdict(r: GradeResult) -> str:
    """The pass verdict, saying what the figure covers. A student's own check grades the public checks alone
    (12.5 of 50 points in the bundled course), so "passes the 60% threshold" there promised what it could not."""
    where = "passes" if r.passed else "below"
    mark = f"{round(r.pass_threshold * 100):d}%"
    if r.mode != "student":
        pending = getattr(r, "pending", 0.0)  # written answers awaiting review count neither way
        return f"{where} the {mark} threshold" + (f" on the {score(r.max_score - pending)} graded points" if pending
                                                  else "")
    return (f"{'at or above' if r.passed else 'below'} {mark} of the public checks' {score(r.max_score)} points; "
            "your grade also counts the checks not run here")


def score(x: Any) -> str:
    """A score as reports show it: at most 2 decimals (5.53 of 20, not 5.53333); the JSON keeps them all."""
    v = _float(x)
    if not math.isfinite(v):
        return fmt(x)
    text = f"{round(v, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def sections(ex: ExerciseResult) -> list[Section]:
    """Case checks grouped by function, in the order the exercise declares them."""
    order: dict[str, list[Check]] = {}
    for c in ex.checks:
        if c.kind != "invariant":
            order.setdefault(c.function or c.name, []).append(c)
    out = []
    for function, checks in order.items():
        failed = [c for c in checks if c.status != Status.PASSED]
        diagnosis = next((c.diagnosis for c in failed if c.diagnosis), None)
        idea = diagnosis.get("idea") if diagnosis and diagnosis.get("kind") != "undetermined" else \
            next((c.intuition for c in failed if c.intuition), None)
        out.append(Section(function, checks, diagnosis, idea if failed else None))
    return out


def label(check: Check) -> str:
    """A check's name without its function, for lists already grouped under that function."""
    prefix = f"{check.function}: " if check.function else ""
    return check.name[len(prefix):] if prefix and check.name.startswith(prefix) else check.name


def properties(ex: ExerciseResult) -> list[Check]:
    return [c for c in ex.checks if c.kind == "invariant"]


def blocked(ex: ExerciseResult) -> str | None:
    """One message when no case of the exercise could run (the file is missing or does not import)."""
    cases = [c for c in ex.checks if c.kind != "invariant"]
    if not cases or any(c.status != Status.ERROR for c in cases):
        return None
    messages = {c.message for c in cases}
    if len(messages) != 1:
        return None
    message = messages.pop()
    unreadable = all(c.details.get("exception") == "NotebookError" for c in cases)  # a notebook that cannot be read
    return message if ("import" in message or "missing" in message or "could not run" in message or unreadable) \
        else None


def quiz_blocked(q: QuizResult) -> str | None:
    """One message when no question of the quiz could be graded for the same reason (no sheet, another
    student's sheet...), so a report says it once instead of once per question."""
    if not q.questions or any(qq.status != Status.ERROR for qq in q.questions):
        return None
    messages = {qq.message for qq in q.questions}
    return messages.pop() if len(messages) == 1 else None


def quiz_open(q: QuizResult) -> list[QuestionResult]:
    """The questions a report details: those answered but not right (with their feedback and why); the
    unanswered ones are one line (``unanswered_line``)."""
    return [qq for qq in q.questions if qq.status != Status.PASSED and not _unanswered(qq)]


def quiz_listed(q: QuizResult) -> list[QuestionResult]:
    """Every question a report lists one by one: all but the unanswered ones."""
    return [qq for qq in q.questions if not _unanswered(qq)]


def _unanswered(qq: QuestionResult) -> bool:
    return qq.status == Status.FAILED and qq.answer is None and qq.message.endswith(": no answer yet")


def unanswered_line(q: QuizResult) -> str | None:
    """The questions with no answer yet, in one line: a blank sheet printed 17 red "no answer yet" lines (and
    17 rows of 0/0 in HTML, each with its line number twice)."""
    missing = [qq for qq in q.questions if _unanswered(qq)]
    if not missing:
        return None
    if len(missing) == len(q.questions):
        return (f"no answer yet to any of the {len(missing)} questions in quiz.yaml" if len(missing) > 1
                else f"no answer yet to its question (quiz.yaml:{missing[0].line})")
    where = "; ".join(f"{qq.id} (line {qq.line})" if qq.line else qq.id for qq in missing)
    return f"{len(missing)} question{'' if len(missing) == 1 else 's'} with no answer yet in quiz.yaml: {where}"


@dataclass
class Part:
    """One row of a report's score table: an exercise or a quiz, with the points it shows."""

    id: str
    title: str
    file: str
    kind: str  # exercise | quiz
    score: float
    max_score: float
    passed: int
    total: int

    @property
    def full(self) -> bool:
        return self.max_score > 0 and self.score >= self.max_score


def parts(r: GradeResult) -> list[Part]:
    """Every part of the grade in the order reports list them; their scores add up to the record's total."""
    out = []
    for ex in r.exercises:
        cases = [c for c in ex.checks if c.kind != "invariant"]
        out.append(Part(ex.id, ex.title, ex.file, "exercise", ex.score, ex.max_score,
                        sum(c.status == Status.PASSED for c in cases), len(cases)))
    for q in r.quizzes:
        out.append(Part(q.id, q.title, SHEET_FILE, "quiz", q.score, q.max_score,
                        sum(qq.status == Status.PASSED for qq in q.questions), len(q.questions)))
    return out


# -- the grader's own plot of an array answer (functions.NAME.plot): a figure of two lines ------------

REF_COLOUR, GOT_COLOUR = "#0969da", "#d4560b"


def plot(check: Check) -> dict[str, Any] | None:
    """The student's curve against the reference, both minima marked, as a figure description drawn by the
    same code as a student's figure (grader.reports.figures.draw); with the facts its caption gives."""
    from grader.reports.figures import draw

    spec = (check.details or {}).get("plot")
    if not spec or not isinstance(check.expected, list):
        return None
    xs = [_float(v) for v in spec["x"]]
    exp = [_float(v) for v in check.expected]
    got = [_float(v) for v in check.got] if isinstance(check.got, list) and len(check.got) == len(xs) else None
    if len(xs) != len(exp) or len(xs) < 2:
        return None
    finite_e = [v for v in exp if math.isfinite(v)]
    if not finite_e:
        return None
    lo, hi = min(0.0, *finite_e), max(finite_e)
    span = (hi - lo) or 1.0
    clipped = False
    if got is not None:
        finite_g = [v for v in got if math.isfinite(v)]
        if finite_g:
            lo_g, hi_g = min(finite_g), max(finite_g)
            # keep the reference readable: a wild curve is drawn clipped at twice the reference's range
            lo, hi = max(min(lo, lo_g), lo - span), min(max(hi, hi_g), hi + span)
            clipped = lo_g < lo or hi_g > hi
    pad = (hi - lo) * 0.05 or 0.5
    lo, hi = lo - (pad if lo < 0 else 0), hi + pad
    x_label = str(spec.get("x_label", "x"))

    def minimum(ys: list[float], who: str) -> dict[str, Any] | None:
        finite = [(y, i) for i, y in enumerate(ys) if math.isfinite(y)]
        if not finite:
            return None
        y, i = min(finite)
        where = f"{x_label} = {fmt(round(xs[i], 3))}"
        return {"x": xs[i], "y": y, "short": f"at {where}", "label": f"{who} minimum at {where}"}

    bad = sum(1 for v in got if not math.isfinite(v)) if got is not None else 0
    min_e, min_g = minimum(exp, "reference"), (minimum(got, "your") if got is not None else None)
    x_span, y_span = (max(xs) - min(xs)) or 1.0, (hi - lo) or 1.0
    same_min = bool(min_e and min_g and abs(min_e["x"] - min_g["x"]) < 0.05 * x_span
                    and abs(min_e["y"] - min_g["y"]) < 0.08 * y_span)
    function = check.function or "your function"
    lines = [{"label": "reference", "style": "-", "color": REF_COLOUR, "marker": "", "n": len(xs), "x": xs, "y": exp,
              "cls": "ref"}]
    scatter, texts = [], []
    if min_e:
        scatter.append({"label": "", "color": REF_COLOUR, "n": 1, "x": [min_e["x"]], "y": [min_e["y"]]})
        texts.append({"text": f"min {min_e['short']}", "x": min_e["x"], "y": min_e["y"] + 0.06 * y_span})
    if got is not None:
        lines.append({"label": f"your {function}()", "style": "--", "color": GOT_COLOUR, "marker": "", "n": len(xs),
                      "x": xs, "y": got, "cls": "got"})
    if min_g:
        scatter.append({"label": "", "color": GOT_COLOUR, "n": 1, "x": [min_g["x"]], "y": [min_g["y"]]})
        if not same_min:
            texts.append({"text": f"yours {min_g['short']}", "x": min_g["x"], "y": min_g["y"] - 0.06 * y_span})
    description = {"kind": "figure", "suptitle": "", "axes": [{
        "title": "", "xlabel": x_label, "ylabel": str(spec.get("y_label", "y")), "xscale": "linear",
        "yscale": "linear", "xlim": [min(xs), max(xs)], "ylim": [lo, hi],
        "legend": [line["label"] for line in lines], "lines": lines, "vlines": [], "hlines": [],
        "scatter": scatter, "texts": texts}]}
    drawing = draw(description, "plot", label=f"Your {function}() against the reference: {check.name}")
    return {
        "drawing": drawing, "min_expected": min_e, "min_got": min_g, "same_min": same_min,
        "has_got": got is not None, "clipped": clipped, "nonfinite": bad, "points": len(xs),
        "ok": check.status == Status.PASSED, "title": check.name,
    }


def plots(ex: ExerciseResult) -> dict[str, dict[str, Any]]:
    """One plot per plotted function: its case with the most points."""
    best: dict[str, tuple[int, Check]] = {}
    for c in ex.checks:
        spec = (c.details or {}).get("plot")
        if spec and c.function:
            n = len(spec["x"])
            if c.function not in best or n > best[c.function][0]:
                best[c.function] = (n, c)
    out = {}
    for function, (_, check) in best.items():
        p = plot(check)
        if p is not None:
            out[function] = p
    return out


_LAYER_NAMES = (("seccomp", "seccomp"), ("capabilities_dropped", "no capabilities"),
                ("network_namespace", "network namespace"), ("subreaper", "subreaper"), ("audit_hook", "audit hook"))


@dataclass
class Confinement:
    """The report's confinement line, and its warning when a layer is missing."""

    line: str  # "Confinement: Landlock ABI 7 (files, network, scopes) · seccomp · ..."
    warning: str | None  # set when a required layer is missing (only possible under best-effort)


def confinement(result: Any) -> Confinement | None:
    """The foot line every report shows: which kernel layers confined the code, and a warning if one failed."""
    conf = getattr(result, "confinement", None)
    runner = getattr(result, "runner", "confined")
    if not conf:
        return Confinement(f"Runner: {runner} (no kernel confinement)", None) if runner == "portable" else None
    parts = []
    if conf.get("landlock"):
        scope = ["files"] + [name for key, name in (("landlock_network", "network"), ("landlock_scopes", "scopes"))
                             if conf.get(key)]
        parts.append(f"Landlock ABI {conf.get('landlock_abi', 0)} ({', '.join(scope)})")
    parts.extend(name for key, name in _LAYER_NAMES if conf.get(key))
    missing = conf.get("missing") or []
    warning = None
    if missing:
        warning = (f"Warning: this submission ran with weaker confinement than the grader's default "
                   f"(isolation: {conf.get('isolation', 'best-effort')}); missing: {', '.join(missing)}.")
    return Confinement(f"Runner: {runner} · Confinement: " + (" · ".join(parts) if parts else "none"), warning)


def graded_by(result: Any) -> str:
    """The report's foot: what graded it (a record, or run.json's ``environment`` mapping); empty when unknown.
    The confinement layers have their own line (``confinement``)."""
    env = getattr(result, "environment", result)
    if not env:
        return ""
    get = env.get if isinstance(env, dict) else (lambda key: getattr(env, key))
    scheme = str(get("seed_scheme")).split(":", 1)[0]
    text = (f"Graded by infotheory-grader {get('grader')} · course {get('course_hash')} · Python {get('python')} · "
            f"NumPy {get('numpy')} · {get('platform')} · seed scheme {scheme}")
    return text


from grader.reports.figures import figure_line, figure_views  # noqa: E402 - after the plot helpers it sits beside

GLOBALS = {"figure_views": figure_views, "figure_line": figure_line,
           "graded_by": graded_by, "sections": sections, "facts": facts, "properties": properties, "blocked": blocked,
           "plots": plots, "short": short, "label": label, "parts": parts, "quiz_blocked": quiz_blocked,
           "quiz_open": quiz_open, "quiz_listed": quiz_listed, "unanswered_line": unanswered_line,
           "score": score, "verdict": verdict, "confinement": confinement}
