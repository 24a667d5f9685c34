"""Load and validate a quiz file: schema, then the checks a schema cannot make, then the answers.

Like an exercise, a quiz that does not validate is never graded: every problem names the file,
line and key. The reference answers are computed here, for the extreme parameter values and a
sample of students, so a reference that fails or a misconception that coincides with the correct
answer is a load error, not a surprise while grading.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from pathlib import Path
from typing import Any

from grader.errors import Problem, SpecError, did_you_mean
from grader.spec import cache as disk_cache
from grader.spec.quiz.model import DEFAULT_TOLERANCE, Choice, Computed, Misconception, Param, Question, Quiz, RubricItem
from grader.spec.quiz.variants import PLACEHOLDER, compute, grid, reference_module, variant
from grader.spec.tolerance import Tolerance, fmt, half_unit
from grader.spec.yamlspec import Located, load_yaml, schema_problems

#: Synthetic students whose variants are computed at load time, besides the extreme parameter values.
SAMPLE_STUDENTS = tuple(f"validate-{i}" for i in range(12))
MAX_COMBINATIONS = 64


def normalise(text: str) -> str:
    """Choice text as it is matched: case, spacing and a final full stop do not matter."""
    return " ".join(text.casefold().split()).rstrip(".").strip()


def load_quiz(path: Path, root: Path, quiz_id: str, points: float, course_key: str) -> Quiz:
    """Load ``path`` (listed in course.yaml as ``quiz_id`` worth ``points``); raise SpecError with every problem."""
    doc = load_yaml(path, root)
    if isinstance(doc.data, dict) and doc.data.get("kind") != "quiz" and "cases" in doc.data:
        raise SpecError([doc.problem([], "this file is an exercise; list it under exercises: in course.yaml")])
    problems = schema_problems(doc, "quiz")
    if problems:
        raise SpecError(problems)
    data = doc.data
    if data["id"] != quiz_id:
        problems.append(doc.problem(["id"], f"id {data['id']!r} does not match the id {quiz_id!r} "
                                            "that course.yaml gives this file"))
    quiz_tol = {**DEFAULT_TOLERANCE, **data.get("tolerance", {})}
    reference = (root / data["reference"]).resolve() if "reference" in data else None
    if reference is not None and not reference.is_file():
        problems.append(doc.problem(["reference"], f"reference {data['reference']} does not exist"))
    questions = []
    seen: dict[str, int] = {}
    for i, spec in enumerate(data["questions"]):
        line, _ = doc.where(["questions", i])
        if spec["id"] in seen:
            problems.append(doc.problem(["questions", i, "id"], f"question id {spec['id']!r} is used twice "
                                                                f"(first on line {seen[spec['id']]})"))
            continue
        seen[spec["id"]] = line
        question = _question(doc, i, spec, quiz_tol, line, problems)
        if question is not None:
            questions.append(question)
    uses_reference = any(q.answer and q.answer.function for q in questions) or any(
        m.answer.function for q in questions for m in q.misconceptions)
    if uses_reference and "reference" not in data:
        problems.append(doc.problem([], "a question computes its answer with a function, but the quiz has "
                                        "no reference file; add reference: reference/quiz.py", key="questions"))
    total = sum(q.points for q in questions)
    if not problems and abs(total - points) > 1e-9:
        problems.append(doc.problem(["questions"], f"the questions are worth {total:g} "
                                                   f"point{'' if total == 1 else 's'} but course.yaml gives quiz "
                                                   f"{quiz_id} {points:g} point{'' if points == 1 else 's'}; "
                                                   "make them agree"))
    if problems:
        raise SpecError(problems)
    quiz = Quiz(id=data["id"], title=data["title"], points=points, questions=tuple(questions),
                course_key=course_key, intuition=data.get("intuition", "").strip(), reference=reference,
                display=doc.display)
    # The answers depend on this file and the reference code only: checked once while both are unchanged.
    code = reference.read_bytes() if reference is not None else b""  # wherever it lives, besides reference/
    trust = "answers:" + disk_cache.files_key(root, doc.digest + hashlib.sha256(code).hexdigest(), "quiz answers") \
        if doc.digest else ""
    if not (trust and disk_cache.is_validated(trust)):
        problems = check_answers(quiz, doc)
        if problems:
            raise SpecError(problems)
        if trust:
            disk_cache.mark_validated(trust)
    return quiz


def _tolerance(doc: Located, keys: list[Any], spec: dict[str, Any], problems: list[Problem]) -> Tolerance:
    try:
        return Tolerance(rtol=float(spec["rtol"]), atol=float(spec["atol"]))
    except ValueError as exc:
        problems.append(doc.problem(keys, f"tolerance: {exc}"))
        return Tolerance(**DEFAULT_TOLERANCE)


def _computed(doc: Located, keys: list[Any], spec: Any) -> Computed:
    line, column = doc.where(keys)
    if isinstance(spec, dict):
        return Computed(function=spec["function"], args=spec.get("args"), line=line, column=column)
    return Computed(value=float(spec), line=line, column=column)


def _question(doc: Located, i: int, spec: dict[str, Any], quiz_tol: dict[str, Any], line: int,
              problems: list[Problem]) -> Question | None:
    """One question, with the checks that depend on its type; None when it cannot be built."""
    kind = spec["type"]
    where = ["questions", i]
    before = len(problems)

    def bad(key: str, message: str) -> None:
        problems.append(doc.problem(where, f"questions[{i}] ({spec['id']}): {message}", key=key))

    allowed = {"single": {"choices", "shuffle"}, "multiple": {"choices", "shuffle", "penalty"},
               "true_false": {"answer"},
               "numeric": {"answer", "expected", "unit", "accepts", "tolerance", "wrong_unit_credit", "params",
                           "misconceptions"},
               "text": {"rubric", "min_words", "max_words", "model_answer"}}[kind]
    common = {"id", "type", "points", "text", "intuition"}
    for key in spec:
        if key not in common | allowed:
            bad(key, f"{key} does not apply to a {kind} question; it takes {', '.join(sorted(allowed))}")
    choices: list[Choice] = []
    if kind in ("single", "multiple"):
        ids: set[str] = set()
        texts: dict[str, str] = {}
        for j, c in enumerate(spec["choices"]):
            if c["id"] in ids:
                problems.append(doc.problem([*where, "choices", j, "id"], f"choice id {c['id']!r} is used twice"))
            ids.add(c["id"])
            norm = normalise(c["text"])
            if norm in texts:
                problems.append(doc.problem([*where, "choices", j, "text"],
                                            f"choice text is the same as choice {texts[norm]}'s; students answer "
                                            "by id or by text, so texts must differ"))
            texts[norm] = c["id"]
            choices.append(Choice(c["id"], " ".join(c["text"].split()), bool(c.get("correct", False)),
                                  c.get("why", "").strip()))
        right = sum(c.correct for c in choices)
        if kind == "single" and right != 1:
            bad("choices", f"a single-choice question needs exactly one choice with correct: true, found {right}")
        if kind == "multiple" and right == 0:
            bad("choices", "a multiple-select question needs at least one choice with correct: true")
    params: list[Param] = []
    for name, p in spec.get("params", {}).items():
        keys = set(p) - {"decimals"}
        if len(keys) != 1:
            bad("params", f"parameter {name} needs exactly one of uniform, integer, choice")
            continue
        kind_p = keys.pop()
        if kind_p == "uniform":
            param = Param(name, "uniform", float(p["uniform"][0]), float(p["uniform"][1]), int(p.get("decimals", 2)))
            lo, hi, _ = grid(param)
            if lo > hi:
                bad("params", f"parameter {name}: no value with {param.decimals} decimals lies in "
                              f"[{fmt(param.low)}, {fmt(param.high)}]")
                continue
        elif "decimals" in p:
            bad("params", f"parameter {name}: decimals applies to uniform only")
            continue
        elif kind_p == "integer":
            lo_i, hi_i = p["integer"]
            if lo_i > hi_i:
                bad("params", f"parameter {name}: integer range [{lo_i}, {hi_i}] is empty")
                continue
            param = Param(name, "integer", lo_i, hi_i)
        else:
            param = Param(name, "choice", values=tuple(p["choice"]))
        params.append(param)
    names = {p.name for p in params}
    for m in PLACEHOLDER.finditer(spec["text"]):
        if m.group(1) not in names and kind == "numeric":
            bad("text", f"the text uses {{{m.group(1)}}} but the question has no parameter {m.group(1)}; "
                        f"parameters: {', '.join(sorted(names)) or 'none'}")
    answer = None
    truth = None
    if kind == "numeric":
        answer = _computed(doc, [*where, "answer"], spec["answer"]) if not isinstance(spec["answer"], bool) else None
        if answer is None:
            bad("answer", "a numeric question needs a number or {function: ...} as its answer, not true/false")
        if "expected" in spec and params:
            bad("expected", "expected pins one figure, so it needs a question without params")
        if "wrong_unit_credit" in spec and spec["unit"] == "none":
            bad("wrong_unit_credit", "wrong_unit_credit needs unit bits or nats")
        if "accepts" in spec and spec["unit"] not in spec["accepts"]:
            bad("accepts", f"accepts {spec['accepts']} leaves out the question's own unit {spec['unit']!r}; "
                           f"list it (an answer in the unit asked for is always accepted)" if spec["unit"] != "none"
                else "accepts needs unit bits or nats: a plain number has no unit to convert")
    if kind == "true_false":
        truth = bool(spec["answer"])
    rubric = _rubric(doc, where, spec, problems) if kind == "text" else ()
    if len(problems) > before:
        return None
    misconceptions = tuple(
        Misconception(_computed(doc, [*where, "misconceptions", j, "answer"], m["answer"]), m["why"].strip())
        for j, m in enumerate(spec.get("misconceptions", []))
    )
    tol = {**quiz_tol, **spec.get("tolerance", {})}
    return Question(
        id=spec["id"], type=kind, points=float(spec["points"]), text=spec["text"].strip(),
        intuition=" ".join(spec["intuition"].split()), line=line, choices=tuple(choices),
        shuffle=bool(spec.get("shuffle", True)), penalty=spec.get("penalty"), truth=truth, answer=answer,
        pinned=spec.get("expected"), unit=spec.get("unit", "none"), accepts=tuple(spec.get("accepts", ())),
        tolerance=_tolerance(doc, [*where, "tolerance"], tol, problems),
        wrong_unit_credit=float(spec.get("wrong_unit_credit", 0.0)), params=tuple(params),
        misconceptions=misconceptions, rubric=rubric, min_words=spec.get("min_words"),
        max_words=spec.get("max_words"), model_answer=" ".join(spec.get("model_answer", "").split()),
    )


def _rubric(doc: Located, where: list[Any], spec: dict[str, Any], problems: list[Problem]) -> tuple[RubricItem, ...]:
    """A text question's rubric: unique ids, positive items that add up to the question's points, words that
    make sense; every problem at the key's own line."""
    i = where[-1]
    items = []
    seen: set[str] = set()
    for j, item in enumerate(spec["rubric"]):
        keys = [*where, "rubric", j]
        if item["id"] in seen:
            problems.append(doc.problem([*keys, "id"], f"questions[{i}] ({spec['id']}): rubric item id "
                                                       f"{item['id']!r} is used twice"))
        seen.add(item["id"])
        if item["points"] == 0:
            problems.append(doc.problem([*keys, "points"], f"questions[{i}] ({spec['id']}): rubric item "
                                                           f"{item['id']} is worth 0 points; give it points, "
                                                           "or a negative number for a deduction"))
        words = tuple(" ".join(w.casefold().split()) for w in item.get("suggest", []))
        if any(not w for w in words):
            problems.append(doc.problem([*keys, "suggest"], f"questions[{i}] ({spec['id']}): a suggest entry "
                                                            "is blank; list words or phrases"))
        items.append(RubricItem(item["id"], float(item["points"]), " ".join(item["description"].split()),
                                tuple(w for w in words if w)))
    best = sum(it.points for it in items if it.points > 0)
    if items and abs(best - float(spec["points"])) > 1e-9:
        problems.append(doc.problem([*where, "rubric"], f"questions[{i}] ({spec['id']}): the rubric's positive "
                                                        f"items add up to {best:g} points but the question is "
                                                        f"worth {float(spec['points']):g}; make them agree"))
    low, high = spec.get("min_words"), spec.get("max_words")
    if low is not None and high is not None and low > high:
        problems.append(doc.problem([*where, "min_words"], f"questions[{i}] ({spec['id']}): min_words {low} is "
                                                           f"more than max_words {high}"))
    return tuple(items)


def _extremes(question: Question) -> list[dict[str, Any]]:
    """Parameter sets at the ends of every range (and every listed value), capped in number."""
    options = []
    for p in question.params:
        if p.kind == "uniform":
            lo, hi, scale = grid(p)
            options.append([lo / scale, hi / scale])
        elif p.kind == "integer":
            options.append([int(p.low), int(p.high)])
        else:
            options.append(list(p.values))
    names = [p.name for p in question.params]
    combos = itertools.islice(itertools.product(*options), MAX_COMBINATIONS)
    return [dict(zip(names, combo, strict=True)) for combo in combos]


def check_answers(quiz: Quiz, doc: Located) -> list[Problem]:
    """Compute every numeric answer for sample students and check it is finite, pinned figures agree,
    and no misconception or unit slip gives the correct answer too (feedback would then be wrong)."""
    problems: list[Problem] = []
    if quiz.reference is not None:
        try:
            module = reference_module(quiz.reference)
        except SpecError as exc:  # the course's own code, located at its own file:line
            return exc.problems
        for i, q in enumerate(quiz.questions):
            for spec in [q.answer, *(m.answer for m in q.misconceptions)]:
                if spec is not None and spec.function and not callable(getattr(module, spec.function, None)):
                    problems.append(Problem(doc.display, spec.line, spec.column, f"questions[{i}] ({q.id}): reference "
                                            f"{quiz.reference.name} has no function {spec.function}"
                                            f"{did_you_mean(spec.function, [n for n in dir(module) if not n.startswith('_')])}"))
    if problems:
        return problems
    for i, q in enumerate(quiz.questions):
        if q.type != "numeric":
            continue
        samples = _extremes(q) + [variant(quiz, q, s).params for s in SAMPLE_STUDENTS]
        for params in samples:
            problem = _check_sample(quiz, i, q, params, doc)
            if problem is not None:
                problems.append(problem)
                break
    return problems


def _raised_at(exc: BaseException, quiz: Quiz) -> str:
    from grader.spec.reference import raised_at

    return raised_at(exc, quiz.reference) if quiz.reference is not None else ""


def _check_sample(quiz: Quiz, i: int, q: Question, params: dict[str, Any], doc: Located) -> Problem | None:
    assert q.answer is not None
    label = f"questions[{i}] ({q.id})" + (f" with {', '.join(f'{k}={fmt(v)}' for k, v in params.items())}"
                                          if params else "")
    try:
        value = compute(quiz, q.answer, params)
    except Exception as exc:  # the course's reference failed: a spec problem with its location
        return Problem(doc.display, q.answer.line or q.line, q.answer.column,
                       f"{label}: the answer could not be computed: {type(exc).__name__}: {exc}"
                       f"{_raised_at(exc, quiz)}; fix the reference, or the question's parameters")
    if q.pinned is not None and abs(value - q.pinned) > max(half_unit(float(q.pinned)), 1e-9):
        return doc.problem(["questions", i, "expected"], f"{label}: the computed answer {value!r} disagrees "
                                                        f"with expected {fmt(q.pinned)} by more than half a unit "
                                                        f"of its last decimal ({half_unit(float(q.pinned)):g}); "
                                                        f"paste {value!r}, or fix the reference")
    allowed = max(q.tolerance.atol, q.tolerance.rtol * abs(value))
    for m in q.misconceptions:
        try:
            wrong = compute(quiz, m.answer, params)
        except Exception as exc:
            return Problem(doc.display, m.answer.line or q.line, m.answer.column,
                           f"{label}: a misconception could not be computed: {type(exc).__name__}: {exc}"
                           f"{_raised_at(exc, quiz)}")
        if abs(wrong - value) <= allowed:
            return Problem(doc.display, m.answer.line or q.line, m.answer.column,
                           f"{label}: the misconception gives {fmt(wrong)}, which is within the tolerance of the "
                           f"correct answer {fmt(value)}; narrow the parameter range or the tolerance")
    if q.unit in ("bits", "nats") and value != 0:
        other = value * (math.log(2) if q.unit == "bits" else 1 / math.log(2))
        if abs(other - value) <= allowed or not math.isfinite(other):
            return Problem(doc.display, q.line, 1, f"{label}: the answer {fmt(value)} in bits and in nats are "
                                                   "within the tolerance of each other; units cannot be told apart")
    return None
