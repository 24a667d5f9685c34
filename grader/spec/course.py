"""The course model: course.yaml and its exercises, validated into frozen dataclasses.

Nothing is graded from a spec that does not validate, so every check that can be made without
running code happens here, and each problem names the file, line and key.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from grader.errors import InputError, Problem, SpecError, did_you_mean
from grader.spec.expr import Expr, ExprError, parse
from grader.spec.generators import expand_arg
from grader.spec.invariants import Invariant, parse_invariant
from grader.spec.reference import defined_names, missing_function
from grader.spec.tolerance import Tolerance
from grader.spec.yamlspec import Located, display_path, load_yaml, schema_problems

DEFAULT_LIMITS: dict[str, Any] = {
    "time_per_call": 2.0,
    "cpu_per_call": 2.0,
    "import_time": 3.0,
    "memory_mb": 256,
    "output_kb": 64,
    "file_size_kb": 1024,
    "disk_mb": 64,
    "open_files": 64,
    "allow_subprocesses": False,
}
DEFAULT_TOLERANCE: dict[str, Any] = {"rtol": 1e-5, "atol": 1e-6, "nan": "fail"}


@dataclass(frozen=True)
class Limits:
    """The sandbox limits of an exercise's calls: the course's defaults, overridden per exercise."""

    time_per_call: float
    cpu_per_call: float
    import_time: float
    memory_mb: int
    output_kb: int
    file_size_kb: int
    open_files: int
    allow_subprocesses: bool
    disk_mb: int = 64  # all the files of a submission's sandbox copy together (grader.sandbox.disk)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Function:
    """A function the student writes: its signature, return kind, and the functions it builds on."""

    name: str
    params: tuple[str, ...]
    returns: str  # float | int | array | figure
    doc: str
    intuition: str
    tolerance: Tolerance
    plot: dict[str, str] | None = None  # {x: <param>, x_label, y_label}: the HTML report draws got vs expected
    # Functions of the same exercise this one builds on (YAML ``uses:``, else the calls in the reference):
    # diagnosis blames a caller's failure on a failing callee instead of naming a mistake in the caller.
    uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Misconception:
    """A known wrong answer: the reference with a declarative ``transform``, or code in ``implementation``.

    ``functions`` are where the mistake is made; functions built on them are affected too, because the
    variant is the whole reference module with those functions replaced.
    """

    id: str
    explanation: str
    idea: str
    functions: tuple[str, ...]
    scale: Expr | None = None  # output times this (an expression over the function's parameters)
    negate: bool = False
    swap: tuple[str, str] | None = None  # call with these two parameters exchanged
    implementation: tuple[Path, str] | None = None  # (file, function) replacing functions[0]
    line: int = 0
    crash: tuple[Crash, ...] = ()  # exceptions on given inputs that are this mistake


@dataclass(frozen=True)
class Crash:
    """A crash that is a known mistake: ``exception`` (class names) raised on an input where ``when`` holds.

    ``implementation`` is the mistake written so that it crashes (``math.log2(0)`` raises where NumPy gives nan):
    diagnosis names the mistake only where this code, run on the same input, raises the same exception.
    ``cannot_run`` is the author's reason when no such code can be run; the rule then rests on ``when`` alone.
    """

    exceptions: tuple[str, ...]
    when: Expr
    implementation: tuple[Path, str] | None = None
    cannot_run: str = ""


FIGURE_CHECK_LABELS = {"curve": "the curve", "labels": "the labels", "legend": "the legend",
                       "curves": "the number of curves"}


@dataclass(frozen=True)
class FigureCheck:
    """One declared check of a figure (``figure:`` on a case of a ``returns: figure`` function), with its points.

    ``words`` (labels): for ``x``, ``y`` and ``title``, the words that text must contain, each a tuple of
    alternatives, compared case-insensitively. ``axis`` (marker): ``x`` for a vertical line, ``y`` for a
    horizontal one. ``count`` (curves): how many curves, None for as many as the reference draws.
    """

    kind: str  # curve | marker | labels | legend | curves
    points: float
    axis: str = "x"
    words: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()
    count: int | None = None

    @property
    def label(self) -> str:
        if self.kind == "marker":
            return f"the {'vertical' if self.axis == 'x' else 'horizontal'} marker"
        return FIGURE_CHECK_LABELS[self.kind]


@dataclass(frozen=True)
class Case:
    """One call of a student function, with its points and visibility (as Otter keeps them)."""

    index: int
    name: str
    function: str
    args: tuple[Any, ...]
    visibility: str
    points: float
    pinned: Any = None  # a value the lesson prints, which the reference must reproduce
    line: int = 0
    as_array: bool = False  # the student receives NumPy arrays instead of lists (both must work)
    figure: tuple[FigureCheck, ...] = ()  # a figure function's case: one check (and line of the record) each
    nan_expected: bool = False  # `nan: expected`: the reference's NaN/inf is the answer (validate refuses it otherwise)

    @property
    def check_name(self) -> str:
        return f"{self.function}: {self.name}"

    def tolerance(self, fn: Function) -> Tolerance:
        """The comparison this case is graded with (grading, validate and diagnosis alike): the function's, where
        a NaN matches a NaN when the case says its answer is NaN on purpose (``nan: expected``)."""
        return replace(fn.tolerance, nan="equal") if self.nan_expected else fn.tolerance

    @property
    def checks(self) -> tuple[tuple[str, float], ...]:
        """The record's checks this case becomes, (name, points): one, or one per figure check."""
        if self.figure:
            return tuple((f"{self.check_name}: {c.label}", c.points) for c in self.figure)
        return ((self.check_name, self.points),)


@dataclass(frozen=True)
class Exercise:
    """One exercise file's functions, cases, invariants and known mistakes, as validated."""

    id: str
    title: str
    file: str
    module: str
    reference: Path | None
    intuition: str
    functions: dict[str, Function]
    cases: tuple[Case, ...]
    limits: Limits
    points: float
    spec_path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    misconceptions: tuple[Misconception, ...] = ()
    invariants: tuple[Invariant, ...] = ()


@dataclass(frozen=True)
class CourseItem:
    """An exercise or quiz listed in course.yaml, with its points."""

    id: str
    file: Path
    points: float


@dataclass(frozen=True)
class Course:
    """A validated course: everything grading needs from course.yaml and the files it lists."""

    root: Path
    title: str
    lesson: str
    pass_threshold: float
    reveal: str
    due: str | None
    exercises: tuple[Exercise, ...]
    quiz_items: tuple[CourseItem, ...]
    limits: Limits
    tolerance: Tolerance
    spec_hash: str
    has_reference: bool = True
    quizzes: tuple[Any, ...] = ()  # grader.spec.quiz.model.Quiz, one per quiz_items entry
    submission: str = "file"  # file | notebook: which one is graded when a folder has entropy.py and entropy.ipynb
    isolation: str = "required"  # required: refuse to grade without kernel confinement; best-effort: warn

    @property
    def has_figures(self) -> bool:
        """Whether some function returns a figure: only then is matplotlib ever imported."""
        return any(fn.returns == "figure" for ex in self.exercises for fn in ex.functions.values())

    @property
    def max_score(self) -> float:
        return sum(e.points for e in self.exercises) + sum(q.points for q in self.quiz_items)


def find_course_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds course.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "course.yaml").is_file():
            return folder
    return None


def _merge_limits(base: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(base)
    out.update(override or {})
    return out


def _tolerance(doc: Located, keys: list[Any], spec: dict[str, Any], problems: list[Problem]) -> Tolerance:
    try:
        return Tolerance(rtol=float(spec["rtol"]), atol=float(spec["atol"]), nan=spec["nan"])
    except ValueError as exc:
        problems.append(doc.problem(keys, f"tolerance: {exc}"))
        return Tolerance()


def load_course(root: Path) -> Course:
    """Load and validate course.yaml and every exercise it lists; raise SpecError listing all problems."""
    root = root.resolve()
    course_path = root / "course.yaml"
    if not course_path.is_file():
        raise InputError(f"no course.yaml in {root}", "Run inside a course repository or pass --course DIR.")
    doc = load_yaml(course_path, root)
    if isinstance(doc.data, dict) and isinstance(doc.data.get("due"), (date, datetime)):
        doc.data["due"] = doc.data["due"].isoformat()  # YAML reads an unquoted date as a date; keep the text
    problems = schema_problems(doc, "course")
    if problems:
        raise SpecError(problems)
    data = doc.data
    hasher = hashlib.sha256(course_path.read_bytes())
    limits_d = _merge_limits(DEFAULT_LIMITS, data.get("defaults", {}).get("limits"))
    tol_d = {**DEFAULT_TOLERANCE, **data.get("defaults", {}).get("tolerance", {})}
    tolerance = _tolerance(doc, ["defaults", "tolerance"], tol_d, problems)
    if data.get("reveal") == "after_due" and "due" not in data:
        problems.append(doc.problem([], "reveal is after_due but no due date is set; add due: 2026-12-15T23:59:00Z",
                                    key="reveal"))
    seen: dict[str, int] = {}
    exercises = []
    for i, item in enumerate(data["exercises"]):
        if item["id"] in seen:
            problems.append(doc.problem(["exercises", i, "id"], f"exercise id {item['id']!r} is listed twice"))
            continue
        seen[item["id"]] = i
        path = root / item["file"]
        if not path.is_file():
            problems.append(doc.problem(["exercises", i, "file"], f"exercise file {item['file']} does not exist"))
            continue
        hasher.update(path.read_bytes())
        try:
            ex = load_exercise(path, root, item, limits_d, tol_d)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        if ex.reference is not None and ex.reference.is_file():
            hasher.update(ex.reference.read_bytes())
        for mis in ex.misconceptions:
            if mis.implementation is not None:
                hasher.update(mis.implementation[0].read_bytes())
        exercises.append(ex)
    quizzes = []
    for i, item in enumerate(data.get("quizzes", [])):
        path = root / item["file"]
        if item["id"] in seen:
            problems.append(doc.problem(["quizzes", i, "id"], f"id {item['id']!r} is listed twice"))
        elif not path.is_file():
            problems.append(doc.problem(["quizzes", i, "file"], f"quiz file {item['file']} does not exist"))
        else:
            hasher.update(path.read_bytes())
            quizzes.append(CourseItem(item["id"], path, float(item["points"])))
        seen[item["id"]] = i
    quiz_models = _load_quizzes(doc, root, quizzes, hasher, problems)
    files: dict[str, str] = {}
    for ex in exercises:
        if ex.file in files:
            problems.append(Problem(str(ex.spec_path), 1, 1,
                                    f"student file {ex.file} is also used by exercise {files[ex.file]}"))
        files[ex.file] = ex.id
    problems.extend(_cross_calls(exercises, set(seen), root))
    if problems:
        raise SpecError(sorted(set(problems), key=lambda p: (p.file, p.line, p.column)))
    return Course(
        root=root, title=data["title"], lesson=data["lesson"], pass_threshold=float(data["pass_threshold"]),
        reveal=data.get("reveal", "always"), due=data.get("due"), exercises=tuple(exercises),
        quiz_items=tuple(quizzes), limits=Limits(**limits_d), tolerance=tolerance,
        spec_hash=hasher.hexdigest()[:16], quizzes=quiz_models, submission=data.get("submission", "file"),
        isolation=data.get("isolation", "required"),
    )


def _load_quizzes(doc: Located, root: Path, items: list[CourseItem], hasher: Any,
                  problems: list[Problem]) -> tuple[Any, ...]:
    """Each quiz file (grader.quiz); a due date must parse when answers are revealed after it."""
    from grader.spec.quiz.load import load_quiz
    from grader.spec.quiz.model import parse_due

    if doc.data.get("reveal") == "after_due" and "due" in doc.data:
        try:
            parse_due(doc.data["due"])
        except ValueError:
            problems.append(doc.problem(["due"], f"due: {doc.data['due']!r} is not an ISO 8601 date-time; "
                                                 "write e.g. 2026-12-15T23:59:00Z"))
    out = []
    for item in items:
        try:
            quiz = load_quiz(item.file, root, item.id, item.points, doc.data["title"])
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        if quiz.reference is not None:
            hasher.update(quiz.reference.read_bytes())
        out.append(quiz)
    return tuple(out)


def load_exercise(path: Path, root: Path, item: dict[str, Any], limits_d: dict[str, Any],
                  tol_d: dict[str, Any]) -> Exercise:
    doc = load_yaml(path, root)
    if isinstance(doc.data, dict) and doc.data.get("kind") == "quiz":
        raise SpecError([doc.problem(["kind"], "this file is a quiz; list it under quizzes: in course.yaml")])
    problems = schema_problems(doc, "exercise")
    if problems:
        raise SpecError(problems)
    data = doc.data
    if data["id"] != item["id"]:
        problems.append(doc.problem(["id"], f"id {data['id']!r} does not match the id {item['id']!r} "
                                            "that course.yaml gives this file"))
    ex_tol = {**tol_d, **data.get("tolerance", {})}
    functions = {}
    for name, spec in data["functions"].items():
        ftol = {**ex_tol, **spec.get("tolerance", {})}
        plot = spec.get("plot")
        if plot is not None and spec["returns"] != "array":
            problems.append(doc.problem(["functions", name, "plot"],
                                        f"functions.{name}.plot: only a function that returns an array is plotted "
                                        "by the grader; a figure function draws its own"))
        elif plot is not None and plot["x"] not in spec["params"]:
            problems.append(doc.problem(["functions", name, "plot", "x"],
                                        f"functions.{name}.plot.x: {plot['x']!r} is not a parameter of {name}; "
                                        f"use one of {', '.join(spec['params'])}"))
        functions[name] = Function(
            name=name, params=tuple(spec["params"]), returns=spec["returns"], doc=spec["doc"].strip(),
            intuition=spec.get("intuition", "").strip(),
            tolerance=_tolerance(doc, ["functions", name], ftol, problems), plot=plot,
        )
    cases: list[Case] = []
    names: set[str] = set()
    per_function: dict[str, int] = dict.fromkeys(functions, 0)
    for i, spec in enumerate(data["cases"]):
        fn = functions.get(spec["call"])
        if fn is None:
            problems.append(doc.problem(["cases", i, "call"],
                                        f"cases[{i}].call: {spec['call']!r} is not a function of this exercise; "
                                        f"use one of {', '.join(functions)}{did_you_mean(spec['call'], functions)}"))
            continue
        per_function[fn.name] += 1
        if len(spec["args"]) != len(fn.params):
            problems.append(doc.problem(["cases", i, "args"],
                                        f"cases[{i}].args: {fn.name} takes {len(fn.params)} argument(s) "
                                        f"({', '.join(fn.params)}), got {len(spec['args'])}"))
            continue
        key = f"{fn.name}: {spec['name']}"
        if key in names:
            problems.append(doc.problem(["cases", i, "name"], f"cases[{i}].name: {spec['name']!r} is used twice "
                                                              f"for {fn.name}; names must be unique"))
        names.add(key)
        line, _ = doc.where(["cases", i])
        checks = _figure_checks(doc, i, spec, fn, problems)
        points = sum(c.points for c in checks) if checks else float(spec.get("points", 0))
        cases.append(Case(
            index=len(cases), name=spec["name"], function=fn.name,
            args=tuple(expand_arg(a) for a in spec["args"]), visibility=spec.get("visibility", "hidden"),
            points=points, pinned=spec.get("expected"), line=line,
            as_array=spec.get("input", "list") == "array", figure=checks, nan_expected=spec.get("nan") == "expected",
        ))
    for name, count in per_function.items():
        if count == 0:
            problems.append(doc.problem(["functions", name], f"function {name} has no case; add at least one"))
    reference_path = (root / data["reference"]).resolve()
    functions = _call_graph(doc, data, functions, reference_path, problems)
    misconceptions = _misconceptions(doc, data, functions, root, problems)
    invariants = _invariants(doc, data, functions, ex_tol, problems)
    total = sum(c.points for c in cases) + sum(float(inv.get("points", 0)) for inv in data.get("invariants", []))
    if not problems and abs(total - float(item["points"])) > 1e-9:
        problems.append(doc.problem(["cases"], f"the cases are worth {total:g} point{'' if total == 1 else 's'} but "
                                               f"course.yaml gives exercise {item['id']} {item['points']:g} "
                                               f"point{'' if item['points'] == 1 else 's'}; make them agree"))
    reference = (root / data["reference"]).resolve()
    if not reference.is_file():
        problems.append(doc.problem(["reference"], f"reference {data['reference']} does not exist"))
    else:
        try:
            names = defined_names(reference)
        except SpecError as exc:
            problems.extend(exc.problems)
        else:
            problems.extend(doc.problem(["functions", name], missing_function(reference, name, names))
                            for name in functions if name not in names)
    if problems:
        raise SpecError(problems)
    return Exercise(
        id=data["id"], title=data["title"], file=data["file"], module=data["file"][:-3], reference=reference,
        intuition=data["intuition"].strip(), functions=functions, cases=tuple(cases),
        limits=Limits(**_merge_limits(limits_d, data.get("limits"))), points=float(item["points"]),
        spec_path=path, raw=data, misconceptions=misconceptions, invariants=invariants,
    )


def _figure_checks(doc: Located, i: int, spec: dict[str, Any], fn: Function,
                   problems: list[Problem]) -> tuple[FigureCheck, ...]:
    """A case's ``figure:`` checks; only a ``returns: figure`` function has them, and it must."""
    raw = spec.get("figure")
    where: list[Any] = ["cases", i]
    if fn.returns != "figure":
        if raw is not None:
            problems.append(doc.problem([*where, "figure"], f"cases[{i}].figure: {fn.name} returns {fn.returns}, not a "
                                                            "figure; remove figure: or declare returns: figure"))
        return ()
    if raw is None:
        problems.append(doc.problem(where, f"cases[{i}]: {fn.name} returns a figure, so the case lists its checks "
                                           "instead of points, e.g. figure: [{check: curve, points: 2}]"))
        return ()
    if "expected" in spec:
        problems.append(doc.problem([*where, "expected"], f"cases[{i}].expected: a figure is compared with the "
                                                          "reference's own figure; remove expected:"))
    checks = []
    for j, item in enumerate(raw):
        kind = item["check"]
        at = [*where, "figure", j]
        keys = set(item) - {"check", "points"}
        allowed = {"marker": {"axis"}, "labels": {"x", "y", "title"}, "curves": {"count"}}.get(kind, set())
        if keys - allowed:
            extra = sorted(keys - allowed)[0]
            problems.append(doc.problem([*at, extra], f"cases[{i}].figure[{j}]: {extra} does not apply to a {kind} "
                                                      f"check{'; it takes ' + ', '.join(sorted(allowed)) if allowed else ''}"))
            continue
        words = tuple((part, tuple((w,) if isinstance(w, str) else tuple(w) for w in item[part]))
                      for part in ("x", "y", "title") if part in item)
        if kind == "labels" and not words:
            problems.append(doc.problem(at, f"cases[{i}].figure[{j}]: a labels check names the words to look for "
                                            "in x, y or title, e.g. {check: labels, x: [q1], points: 1}"))
            continue
        checks.append(FigureCheck(kind=kind, points=float(item["points"]), axis=item.get("axis", "x"), words=words,
                                  count=item.get("count")))
    labels = [c.label for c in checks]
    for label in labels:
        if labels.count(label) > 1:
            problems.append(doc.problem([*where, "figure"], f"cases[{i}].figure: {label} is checked twice; "
                                                            "give each kind of check once"))
            break
    total = sum(c.points for c in checks)
    if "points" in spec and abs(float(spec["points"]) - total) > 1e-9:
        problems.append(doc.problem([*where, "points"], f"cases[{i}].points: {spec['points']:g}, but its figure "
                                                        f"checks are worth {total:g}; remove points: (the checks' "
                                                        "points are the case's)"))
    return tuple(checks)


def _unique_entries(doc: Located, data: dict[str, Any], key: str,
                    problems: list[Problem]) -> Iterator[tuple[dict[str, Any], list[Any], str]]:
    """The entries of ``data[key]`` whose id is new, with their location and label; a repeated id is a problem."""
    seen: set[str] = set()
    for i, spec in enumerate(data.get(key, [])):
        where: list[Any] = [key, i]
        label = f"{key}[{i}] ({spec['id']})"
        if spec["id"] in seen:
            problems.append(doc.problem([*where, "id"], f"{label}: the id is used twice in this exercise"))
            continue
        seen.add(spec["id"])
        yield spec, where, label


def _misconceptions(doc: Located, data: dict[str, Any], functions: dict[str, Function], root: Path,
                    problems: list[Problem]) -> tuple[Misconception, ...]:
    out = []
    for spec, where, label in _unique_entries(doc, data, "misconceptions", problems):
        unknown = [f for f in spec["functions"] if f not in functions]
        if unknown:
            problems.append(doc.problem([*where, "functions"], f"{label}: {unknown[0]!r} is not a function of this "
                                                               f"exercise; use one of {', '.join(functions)}"
                                                               f"{did_you_mean(unknown[0], functions)}"))
            continue
        drawn = [f for f in spec["functions"] if functions[f].returns == "figure"]
        if drawn:
            problems.append(doc.problem([*where, "functions"], f"{label}: {drawn[0]} draws a figure; declare the "
                                                               "mistake on the function whose numbers it draws (the "
                                                               "figure's curve is diagnosed through it)"))
            continue
        has_t, has_i = "transform" in spec, "implementation" in spec
        if has_t == has_i:
            problems.append(doc.problem(where, f"{label}: give either transform (e.g. {{scale: \"ln(2)\"}}) or "
                                               "implementation (reference/mistakes/FILE.py:FUNCTION), not "
                                               + ("both" if has_t else "neither")))
            continue
        line, _ = doc.where(where)
        fields: dict[str, Any] = {}
        if has_i:
            if len(spec["functions"]) != 1:
                problems.append(doc.problem([*where, "functions"], f"{label}: an implementation replaces exactly "
                                                                   "one function; list only that one"))
                continue
            impl = _implementation(doc, [*where, "implementation"], label, "implementation", spec["implementation"],
                                   root, f"reference/mistakes/{data['id']}.py:{spec['functions'][0]}_wrong", problems)
            if impl is None:
                continue
            fields["implementation"] = impl
        else:
            t = spec["transform"]
            params = set.intersection(*(set(functions[f].params) for f in spec["functions"]))
            try:
                if "scale" in t:
                    fields["scale"] = parse(t["scale"], known=params)
            except ExprError as exc:
                problems.append(doc.problem([*where, "transform", "scale"], f"{label}: transform.scale: {exc}"))
                continue
            if "swap" in t:
                bad = [name for name in t["swap"] if name not in params]
                if bad or t["swap"][0] == t["swap"][1]:
                    problems.append(doc.problem([*where, "transform", "swap"],
                                                f"{label}: transform.swap needs two different parameters of "
                                                f"{', '.join(spec['functions'])}: {', '.join(sorted(params))}"))
                    continue
                fields["swap"] = (t["swap"][0], t["swap"][1])
            fields["negate"] = bool(t.get("negate", False))
        crashes = _crashes(doc, where, label, spec, functions, root, data["id"], problems)
        if crashes is None:
            continue
        out.append(Misconception(id=spec["id"], explanation=spec["explanation"].strip(), idea=spec["idea"].strip(),
                                 functions=tuple(spec["functions"]), line=line, crash=crashes, **fields))
    return tuple(out)


def _implementation(doc: Located, at: list[Any], label: str, key: str, text: str, root: Path, example: str,
                    problems: list[Problem]) -> tuple[Path, str] | None:
    """``FILE.py:FUNCTION`` under the course root: the file exists and defines the function (read, never run)."""
    file, colon, fn = text.rpartition(":")
    if not colon or not file or not fn:
        problems.append(doc.problem(at, f"{label}: {key} {text!r} must be FILE.py:FUNCTION, e.g. {example}"))
        return None
    if not (root / file).is_file():
        near = sorted(p.relative_to(root).as_posix() for p in (root / "reference").rglob("*.py")) \
            if (root / "reference").is_dir() else []
        problems.append(doc.problem(at, f"{label}: {file} does not exist{did_you_mean(file, near)}"))
        return None
    try:
        names = defined_names(root / file)
    except SpecError as exc:
        problems.extend(exc.problems)
        return None
    if fn not in names:
        problems.append(doc.problem(at, f"{label}: {missing_function(root / file, fn, names)}"))
        return None
    return (root / file).resolve(), fn


def _crashes(doc: Located, where: list[Any], label: str, spec: dict[str, Any], functions: dict[str, Function],
             root: Path, exercise: str, problems: list[Problem]) -> tuple[Crash, ...] | None:
    """``crash:`` (one mapping or a list): exception names that must be real exceptions, ``when`` over the params,
    and the mistake written so that it crashes (``implementation``), or why it cannot be run (``cannot_run``)."""
    raw = spec.get("crash")
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    params = set.intersection(*(set(functions[f].params) for f in spec["functions"]))
    out = []
    for j, item in enumerate(items):
        at = [*where, "crash", j] if isinstance(raw, list) else [*where, "crash"]
        names = item["exception"] if isinstance(item["exception"], list) else [item["exception"]]
        bad = [n for n in names if not (isinstance(getattr(builtins, n, None), type)
                                        and issubclass(getattr(builtins, n), Exception))]
        if bad:
            problems.append(doc.problem([*at, "exception"], f"{label}: crash.exception: {bad[0]!r} is not a built-in "
                                                            "exception; use e.g. ValueError or ZeroDivisionError"))
            return None
        try:
            when = parse(item["when"], known=params)
        except ExprError as exc:
            problems.append(doc.problem([*at, "when"], f"{label}: crash.when: {exc}"))
            return None
        impl = None
        if "implementation" in item:
            if len(spec["functions"]) != 1:
                problems.append(doc.problem([*at, "implementation"], f"{label}: crash.implementation replaces "
                                                                     "exactly one function; list only that one"))
                return None
            impl = _implementation(doc, [*at, "implementation"], label, "crash.implementation",
                                   item["implementation"], root,
                                   f"reference/mistakes/{exercise}.py:{spec['functions'][0]}_crashing", problems)
            if impl is None:
                return None
        out.append(Crash(tuple(names), when, impl, str(item.get("cannot_run", "")).strip()))
    return tuple(out)


def reference_calls(reference: Path, names: set[str]) -> dict[str, tuple[str, ...]]:
    """Which of ``names`` each top-level function of the reference calls (read with ast, never run)."""
    try:
        tree = ast.parse(reference.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            called = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
            out[node.name] = tuple(sorted((called & names) - {node.name}))
    return out


def _call_graph(doc: Located, data: dict[str, Any], functions: dict[str, Function], reference: Path,
                problems: list[Problem]) -> dict[str, Function]:
    """Each function's ``uses``: declared in the YAML, else inferred from the reference; no unknown name, no cycle."""
    inferred = reference_calls(reference, set(functions))
    out = {}
    for name, fn in functions.items():
        declared = data["functions"][name].get("uses")
        uses = tuple(declared) if declared is not None else inferred.get(name, ())
        bad = [u for u in uses if u not in functions or u == name]
        if bad:
            problems.append(doc.problem(["functions", name, "uses"],
                                        f"functions.{name}.uses: {bad[0]!r} is not another function of this "
                                        f"exercise; use some of {', '.join(f for f in functions if f != name)}"))
            uses = tuple(u for u in uses if u not in bad)
        out[name] = replace(fn, uses=uses)
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = " -> ".join((*path[path.index(name):], name))
            problems.append(doc.problem(["functions", name, "uses"], f"functions.{name}.uses: a cycle ({cycle}); "
                                                                       "a function cannot build on itself"))
            done.add(name)
            return
        visiting.add(name)
        for u in out[name].uses:
            visit(u, (*path, name))
        visiting.discard(name)
        done.add(name)

    for name in out:
        visit(name, ())
    return out


def _invariants(doc: Located, data: dict[str, Any], functions: dict[str, Function], ex_tol: dict[str, Any],
                problems: list[Problem]) -> tuple[Invariant, ...]:
    out = []
    tol = Tolerance(rtol=float(ex_tol["rtol"]), atol=float(ex_tol["atol"]), nan="fail")
    for spec, where, label in _unique_entries(doc, data, "invariants", problems):
        line, _ = doc.where(where)
        try:
            inv = parse_invariant(spec, data["id"], tol, line)
        except ExprError as exc:
            problems.append(doc.problem(where, f"{label}: {exc}"))
            continue
        bad = False
        for call in inv.calls:
            fn = functions.get(call.function) if call.exercise == data["id"] else None
            if call.exercise == data["id"] and fn is None:
                problems.append(doc.problem([*where, "calls", call.name],
                                            f"{label}: calls.{call.name}: {call.function} is not a function of this "
                                            f"exercise; use one of {', '.join(functions)}, or exercise.function"
                                            f"{did_you_mean(call.function, functions)}"))
                bad = True
            elif fn is not None and fn.returns == "figure":
                problems.append(doc.problem([*where, "calls", call.name],
                                            f"{label}: calls.{call.name}: {fn.name} draws a figure; an invariant "
                                            "calls functions that return numbers"))
                bad = True
            elif fn is not None and len(call.args) != len(fn.params):
                problems.append(doc.problem([*where, "calls", call.name],
                                            f"{label}: calls.{call.name}: {fn.name} takes {len(fn.params)} "
                                            f"argument(s), got {len(call.args)}"))
                bad = True
        if not bad:
            out.append(inv)
    return tuple(out)


def _cross_calls(exercises: list[Exercise], listed: set[str], root: Path) -> list[Problem]:
    """Invariants may call other exercises' functions: those must exist and take the arguments given.

    An exercise that is listed but failed to load has its own problems reported; calls into it are skipped.
    """
    by_id = {ex.id: ex for ex in exercises}
    names = [f"{ex.id}.{f}" for ex in exercises for f in ex.functions]
    problems = []
    for ex in exercises:
        where = display_path(ex.spec_path, root) if ex.spec_path else ex.id
        for inv in ex.invariants:
            for call in inv.calls:
                if call.exercise == ex.id:
                    continue
                other = by_id.get(call.exercise)
                if other is None and call.exercise in listed:
                    continue
                fn = other.functions.get(call.function) if other else None
                if fn is None:
                    problems.append(Problem(where, inv.line, 1, f"invariant {inv.id}: calls.{call.name}: "
                                                                f"{call.exercise}.{call.function} does not exist"
                                                                f"{did_you_mean(f'{call.exercise}.{call.function}', names)}"))
                elif len(fn.params) != len(call.args):
                    problems.append(Problem(where, inv.line, 1, f"invariant {inv.id}: calls.{call.name}: "
                                                                f"{call.function} takes {len(fn.params)} argument(s)"))
    return problems
