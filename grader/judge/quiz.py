"""Grade the answer sheet: one QuizResult per quiz, with the why of every wrong answer.

In course mode (the course repository: answers known) every question is scored. In student mode
(a student folder: the bundle holds no answers) the sheet is only checked for readability, so a
student learns about a typo before handing in, and the quiz counts 0 of 0 points there.

A bad sheet never raises: every problem becomes a question with status ``error`` and a message that
names quiz.yaml and the line, and the exercises are graded regardless.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.judge import written
from grader.judge.answers import (
    Quantity,
    Unreadable,
    check_length,
    match_choice,
    parse_bool,
    parse_choices,
    parse_number,
)
from grader.record import QuestionResult, QuizResult, Status
from grader.spec.quiz.model import LOG_OF, NATS_PER, Choice, Question, Quiz, reveal_answers
from grader.spec.quiz.sheet import SHEET_FILE, Entry, Section, Sheet, read_sheet
from grader.spec.quiz.variants import Variant, compute, expected, variant
from grader.spec.tolerance import fmt

MAX_ANSWER = 200  # characters of an answer kept in the record
MAX_ITEMS = 50
MAX_NOTES = 20
NOT_YOUR_FAULT = "not graded: the grader could not compute this question's answer (not your fault)"


def _where(line: int) -> str:
    return f"{SHEET_FILE}:{line}"


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f"; did you mean {close[0]}?" if close else ""


def _num(x: float) -> str:
    """Four significant digits: enough for answers checked to half a percent."""
    return fmt(float(f"{x:.4g}"))


def _choice(c: Choice) -> str:
    return f"[{c.id}] {c.text.rstrip('.')}"


def _unit(unit: str) -> str:
    return "" if unit == "none" else f" {unit}"


def _how_far(value: float, exp: float) -> str:
    """How far off, in words, without giving the answer away (used when answers are not revealed)."""
    if exp == 0:
        return "too high" if value > 0 else "too low"
    if value == 0 or (value > 0) != (exp > 0):
        return "wrong: it has the wrong sign" if value else "wrong: the answer is not 0"
    r = value / exp
    if r < 1:
        off = 1 - r
        return ("slightly too low (within 5%)" if off < 0.05 else "too low by 5 to 25%" if off < 0.25
                else "too low by 25 to 50%" if off < 0.5 else "less than half of the answer" if r >= 0.1
                else "less than a tenth of the answer")
    off = r - 1
    return ("slightly too high (within 5%)" if off < 0.05 else "too high by 5 to 25%" if off < 0.25
            else "too high by 25 to 100%" if r < 2 else "more than twice the answer" if r < 10
            else "more than ten times the answer")


@dataclass(frozen=True)
class _Grade:
    """The outcome of one answer before it becomes a QuestionResult."""

    credit: float  # fraction of the question's points
    message: str
    correct: Any = None


def _within(value: float, target: float, q: Question) -> bool:
    return abs(value - target) <= max(q.tolerance.atol, q.tolerance.rtol * abs(target))


def _refused(v: Variant, got: Quantity, right: bool) -> str | None:
    """Why an answer scores nothing whatever its value, or None.

    A unit the question does not accept (``accepts:``): "0.983 nats" answered "how much is 0.983 nats in bits?"
    with the question's own words, and the conversion made it right. Likewise any answer that only writes back
    a quantity the question gives, unless it is right as written in the unit asked for.
    """
    q = v.question
    if got.unit is not None and got.unit != q.unit and q.accepts and got.unit not in q.accepts:
        return (f"{got} is in {got.unit}, and this question accepts an answer in {' or '.join(q.accepts)} only: "
                f"turning the quantity into {q.unit} is what it asks, so the grader does not convert it for you.")
    given = next((name for name, p in v.params.items()
                  if isinstance(p, (int, float)) and not isinstance(p, bool)
                  and math.isclose(got.value, p, rel_tol=1e-9, abs_tol=1e-12)), None)
    if given is not None and (got.unit not in (None, q.unit) or not right):
        return (f"{fmt(got.value)} is the {given} the question gives you; writing it back"
                f"{' in ' + got.unit if got.unit else ''} is not an answer, so it scores nothing. The question asks "
                f"for a value{_unit(q.unit) and ' in ' + q.unit} worked out from it.")
    return None


def grade_numeric(quiz: Quiz, v: Variant, got: Quantity, reveal: bool) -> _Grade:
    q = v.question
    exp = expected(quiz, v)
    unit = q.unit
    value = got.value
    converted = ""
    if got.unit is not None and got.unit != unit:
        value = got.value * NATS_PER[got.unit] / NATS_PER[unit]
        converted = f" = {fmt(value)} {unit}"
    answer = f"The answer is {_num(exp)}{_unit(unit)}." if reveal else ""
    refused = _refused(v, got, _within(value, exp, q))
    if refused:
        return _Grade(0.0, " ".join(p for p in (refused, answer) if p), exp)
    if _within(value, exp, q):
        return _Grade(1.0, f"correct: {got}{converted}", exp)
    wrote = f"{got}{converted}" if got.unit else f"{got}{_unit(unit)}"
    why = None
    credit = 0.0
    slip = False  # the value is right in another unit
    if unit in NATS_PER:
        if got.unit is not None and got.unit != unit and _within(got.value, exp, q):
            why = (f"{fmt(got.value)} is right in {unit}, but you labelled it {got.unit}: {got}{converted}. "
                   f"The question asks for {unit}; write {fmt(got.value)} or '{fmt(got.value)} {unit}'.")
            credit, slip = q.wrong_unit_credit, True
        elif got.unit in (None, unit):
            for other in NATS_PER:
                if other != unit and _within(value, exp * NATS_PER[unit] / NATS_PER[other], q):
                    factor = NATS_PER[other] / NATS_PER[unit]
                    why = (f"{fmt(value)} is the answer in {other}, not {unit}: you used {LOG_OF[other]} where "
                           f"{LOG_OF[unit]} is needed. To convert, 1 {other[:-1]} = {fmt(factor)} {unit}.")
                    credit, slip = q.wrong_unit_credit, True
                    break
    if why is None:
        for m in q.misconceptions:
            try:
                wrong = compute(quiz, m.answer, v.params)
            except Exception:  # a misconception that cannot be computed only loses its hint
                continue
            if _within(value, wrong, q):
                why = m.why
                break
    allowed = max(q.tolerance.atol, q.tolerance.rtol * abs(exp))
    if slip:
        distance = ""  # the unit explanation already says how the number relates to the answer
    elif reveal:
        diff = value - exp
        pct = f" ({100 * abs(diff) / abs(exp):.0f}%)" if exp else ""
        distance = (f"You wrote {wrote}: {_num(abs(diff))} too {'high' if diff > 0 else 'low'}{pct}; "
                    f"allowed ±{_num(allowed)}.")
    else:
        distance = f"{wrote} is {_how_far(value, exp)}."
    parts = [why, distance, answer]
    if credit:
        parts.append(f"Partial credit for the right value in the wrong unit: {fmt(credit * 100)}%.")
    return _Grade(credit, " ".join(p for p in parts if p), exp)


def grade_single(v: Variant, picked: Choice, reveal: bool) -> _Grade:
    right = next(c for c in v.choices if c.correct)
    if picked.correct:
        return _Grade(1.0, f"correct: [{picked.id}]", right.id)
    parts = [f"You chose {_choice(picked)}: not right."]
    if picked.why:
        parts.append(picked.why)
    if reveal:
        parts.append(f"The answer is {_choice(right)}.")
    return _Grade(0.0, " ".join(parts), right.id)


def grade_multiple(v: Variant, picked: tuple[Choice, ...], reveal: bool) -> _Grade:
    q = v.question
    correct = [c for c in v.choices if c.correct]
    hits = [c for c in picked if c.correct]
    wrong = [c for c in picked if not c.correct]
    missed = [c for c in correct if c not in picked]
    credit = max(0.0, len(hits) / len(correct) - len(wrong) * q.wrong_pick_penalty)
    ids = sorted(c.id for c in correct)
    if not wrong and not missed:
        return _Grade(1.0, f"correct: all {len(correct)} right choices and no wrong one", ids)
    parts = [f"{len(hits)} of {len(correct)} right choices picked"]
    if wrong:
        cost = min(1.0, len(wrong) * q.wrong_pick_penalty) * q.points
        parts[0] += (f"; {len(wrong)} wrong pick{'s' if len(wrong) != 1 else ''} cost "
                     f"{fmt(round(cost, 4))} point{'s' if cost != 1 else ''}")
    parts[0] += f" (score {_num(credit * q.points)} of {fmt(q.points)}{', never below 0' if wrong else ''})."
    for c in wrong:
        parts.append(f"[{c.id}] is wrong{': ' + c.why if c.why else '.'}")
    if missed:
        if reveal:
            parts.append("You missed " + "; ".join(_choice(c) for c in missed) + ".")
        else:
            parts.append(f"You missed {len(missed)} right choice{'s' if len(missed) != 1 else ''}.")
    return _Grade(credit, " ".join(parts), ids)


def grade_true_false(v: Variant, said: bool, reveal: bool) -> _Grade:
    truth = v.question.truth
    word = "true" if said else "false"
    if said == truth:
        return _Grade(1.0, f"correct: {word}", truth)
    return _Grade(0.0, f"You answered {word}: not right." + (
        f" The statement is {'true' if truth else 'false'}." if reveal else ""), truth)


def _read(v: Variant, entry: Entry) -> Any:
    """The answer as the question type needs it; raises Unreadable with what to write instead."""
    q = v.question
    raw = entry.raw
    if raw is not None:
        check_length(raw)
    if q.type == "multiple":
        assert raw is not None
        return parse_choices(raw, q.choices)
    if isinstance(raw, tuple):
        if q.type != "single" or len(raw) != 1:
            raise Unreadable("this question takes one answer, not a list")
        raw = raw[0]
    assert raw is not None
    if q.type == "single":
        return _one(raw, q.choices)
    if q.type == "true_false":
        return parse_bool(raw)
    return parse_number(raw, q.unit)


def _one(raw: str, choices: tuple[Choice, ...]) -> Choice:
    """A single choice; ``[b]`` is read as ``b``, and several choices get their own message."""
    try:
        return match_choice(raw, choices)
    except Unreadable:
        inner = raw.strip()
        if inner.startswith("[") and inner.endswith("]"):
            inner = inner[1:-1]
        parts = [p for p in inner.split(",") if p.strip()]
        if len(parts) == 1 and inner != raw.strip():
            return match_choice(parts[0], choices)
        if len(parts) > 1 and all(_try(p, choices) for p in parts):
            raise Unreadable("this question takes one choice; pick the one that fits best") from None
        raise


def _try(part: str, choices: tuple[Choice, ...]) -> bool:
    try:
        match_choice(part, choices)
    except Unreadable:
        return False
    return True


def _shown(raw: str | tuple[str, ...] | None) -> Any:
    """What the student wrote, as the record keeps it (cut short: the sheet is the student's file)."""
    if isinstance(raw, tuple):
        return [_shown(r) for r in raw[:MAX_ITEMS]]
    return raw if raw is None or len(raw) <= MAX_ANSWER else raw[: MAX_ANSWER - 1] + "…"


def _readable(value: Any) -> str:
    if isinstance(value, Quantity):
        return str(value)
    if isinstance(value, Choice):
        return f"[{value.id}]"
    if isinstance(value, tuple):
        return "[" + ", ".join(c.id for c in value) + "]"
    return "true" if value else "false"


def grade_question(quiz: Quiz, q: Question, section: Section | None, student: str, *, graded: bool,
                   reveal: bool, cells: dict[str, written.CellAnswer] | None = None) -> QuestionResult:
    """One question of the sheet; ``graded`` is False in student mode (answers unknown, check readability).
    ``cells``: notebook Markdown cells tagged with a text question's id (read when the sheet has no answer)."""
    max_score = q.points if graded else 0.0
    result = QuestionResult(id=q.id, status=Status.ERROR, score=0.0, max_score=max_score, message="")
    if q.type == "text":
        entry = section.entries.get(q.id) if section is not None else None
        cell = (cells or {}).get(q.id)
        if (entry is None or entry.raw is None) and cell is not None and cell.text.strip():
            return written.written_result(q, cell.text, cell.where, None, graded=graded, reveal=reveal)
    if section is None or q.id not in section.entries:
        line = section.line if section is not None else 1
        result.line = line
        result.message = (f"{_where(line)}: question {q.id} is missing from the sheet; add the line "
                          f"'  {q.id}: <your answer>' under {quiz.id}:")
        if q.type == "text":
            result.message = (f"{_where(line)}: question {q.id} is missing from the sheet; add '  {q.id}: |' "
                              f"under {quiz.id}: with your answer indented below it, or tag a Markdown cell of "
                              f"your notebook {q.id}")
        return result
    entry = section.entries[q.id]
    result.line = entry.line
    result.answer = _shown(entry.raw)
    if q.id in section.repeated:
        lines = " and ".join(map(str, section.repeated[q.id]))
        result.message = f"{_where(entry.line)}: {q.id} is answered more than once (lines {lines}); keep one"
        return result
    if entry.problem:
        result.message = f"{_where(entry.line)}: {entry.problem}"
        return result
    if entry.raw is None:
        result.status = Status.FAILED
        result.message = f"{_where(entry.line)}: no answer yet"
        if graded:
            result.intuition = q.intuition
        return result
    if q.type == "text":
        if isinstance(entry.raw, tuple):
            result.message = (f"{_where(entry.line)}: this answer is a list; write it in words, as a block: "
                              f"'  {q.id}: |' and your lines indented below it")
            return result
        return written.written_result(q, entry.raw, _where(entry.line), entry.line, graded=graded, reveal=reveal)
    v = variant(quiz, q, student)
    try:
        value = _read(v, entry)
    except Unreadable as exc:
        result.message = f"{_where(entry.line)}: {exc}"
        return result
    if not graded:
        result.status = Status.PASSED
        result.message = f"readable: {_readable(value)}"
        return result
    if q.type == "numeric":
        outcome = grade_numeric(quiz, v, value, reveal)  # the reference may fail: grade_quiz reports it
    elif q.type == "single":
        outcome = grade_single(v, value, reveal)
    elif q.type == "multiple":
        outcome = grade_multiple(v, value, reveal)
    else:
        outcome = grade_true_false(v, value, reveal)
    result.score = round(outcome.credit * q.points, 6)
    result.status = Status.PASSED if outcome.credit >= 1.0 else Status.FAILED
    result.message = outcome.message
    if reveal:
        correct = outcome.correct
        result.correct_answer = round(correct, 6) if isinstance(correct, float) else correct
    if result.status is not Status.PASSED:
        result.intuition = q.intuition
    return result


def _lines(messages: list[str]) -> str:
    """The quiz's notes, one per line: a note that quotes the sheet (a YAML error shows its lines) is kept on
    one line, so every line of the message is a note of the grader's and none can be forged from the sheet."""
    return "\n".join(" ".join(m.splitlines()) for m in messages)


def _all(quiz: Quiz, graded: bool, status: Status, message: str, line: int | None) -> list[QuestionResult]:
    return [QuestionResult(id=q.id, status=status, score=0.0, max_score=q.points if graded else 0.0,
                           message=message, line=line) for q in quiz.questions]


def _finish(out: QuizResult) -> None:
    """The quiz's totals: graded points in ``score``, points awaiting review in ``pending``."""
    out.score = round(sum(r.score for r in out.questions), 6)
    out.pending = round(sum(r.pending for r in out.questions), 6)


def _rescue_cells(quiz: Quiz, out: QuizResult, cells: dict[str, written.CellAnswer], graded: bool,
                  reveal: bool) -> None:
    """A sheet that cannot be used still leaves the notebook's tagged answers readable."""
    for i, q in enumerate(quiz.questions):
        cell = cells.get(q.id)
        if q.type == "text" and cell is not None and cell.text.strip():
            out.questions[i] = written.written_result(q, cell.text, cell.where, None, graded=graded, reveal=reveal)
    _finish(out)


def grade_quiz(quiz: Quiz, sheet: Sheet, student: str, *, graded: bool, reveal: bool, notes: list[str],
               hidden: str = "correct answers are not shown",
               cells: dict[str, written.CellAnswer] | None = None) -> tuple[QuizResult, str | None]:
    """Grade one quiz of the sheet; returns the result and a grader error (the reference failed), if any."""
    max_score = quiz.points if graded else 0.0
    out = QuizResult(id=quiz.id, title=quiz.title, score=0.0, max_score=max_score, questions=[])
    head = (f"graded as student '{student}'" if graded else  # quoted: a folder named student reads right
            "checked for readability only: the quiz is graded by your instructor")
    messages = [head, *notes]
    if sheet.fatal:
        out.questions = _all(quiz, graded, Status.ERROR, f"not graded: {sheet.fatal}", None)
        out.message = _lines([*messages, sheet.fatal, "The exercises were graded as usual."])
        _rescue_cells(quiz, out, cells or {}, graded, reveal)
        return out, None
    if graded and sheet.student is not None and sheet.student != student:
        line = sheet.sections["student"].line
        why = (f"{_where(line)}: this sheet was built for student {sheet.student}, but it is graded as "
               f"{student}; the numbers differ between students, so answer your own sheet "
               f"(grader build --student {student})")
        out.questions = _all(quiz, graded, Status.ERROR, f"not graded: {why}", line)
        out.message = _lines([*messages, why])
        return out, None
    section = sheet.sections.get(quiz.id)
    if section is None:
        messages.append(f"{SHEET_FILE}: there is no block '{quiz.id}:' with this quiz's answers")
    elif not section.is_mapping and section.scalar is not None:
        why = f"{_where(section.line)}: '{quiz.id}:' should hold one answer per line, indented under it"
        out.questions = _all(quiz, graded, Status.ERROR, f"not graded: {why}", section.line)
        out.message = _lines([*messages, why])
        return out, None
    if section is not None:
        ids = [q.id for q in quiz.questions]
        for key, entry in section.entries.items():
            if quiz.question(key) is None:
                messages.append(f"{_where(entry.line)}: unknown question id {key!r}{_suggest(key, ids)}; "
                                "it was not graded")
        messages.extend(f"{_where(line)}: {msg}" for line, msg in section.strays)
    error = None
    for q in quiz.questions:
        try:
            out.questions.append(grade_question(quiz, q, section, student, graded=graded, reveal=reveal, cells=cells))
        except Exception as exc:
            error = f"quiz {quiz.id}, question {q.id}: {type(exc).__name__}: {exc}"
            out.questions.append(QuestionResult(id=q.id, status=Status.ERROR, score=0.0,
                                                max_score=q.points if graded else 0.0, message=NOT_YOUR_FAULT))
    _finish(out)
    if graded and not reveal:
        messages.append(hidden)
    if len(messages) > MAX_NOTES:
        messages[MAX_NOTES:] = [f"... and {len(messages) - MAX_NOTES} more notes"]
    if not graded:
        # a written answer outside its word limits was read all the same (it fails only to get the student's eye)
        readable = sum(r.status is Status.PASSED or r.written is not None for r in out.questions)
        messages.append(f"{readable} of {len(out.questions)} answers can be read")
    out.message = _lines(messages)
    return out, error


def grade_quizzes(quizzes: tuple[Quiz, ...], submission: Path, *, student: str | None = None, reveal: str = "always",
                  due: Any = None, now: datetime | None = None,
                  accept: tuple[str, ...] = ()) -> tuple[list[QuizResult], str | None]:
    """Grade ``submission/quiz.yaml`` against every quiz; the student id is ``student``, else the folder name,
    never the sheet's (the student writes it). ``accept``: the ids of a group that handed in one submission
    (from the export); a sheet built for any of them is graded with that member's numbers (one sheet serves the
    group). Returns the results and a grader error
    message (None when the grader itself was fine)."""
    if not quizzes:
        return [], None
    sheet = read_sheet(submission)
    # Who this is comes from where the work was found (the caller's id: --student, the export, the folder), never
    # from the sheet, which the student writes: bob's finished sheet handed in by alice is graded as alice's.
    who = (student or submission.resolve().name).strip()
    notes = list(sheet.notes)
    if sheet.student is not None and sheet.student != who and sheet.student in accept:
        notes.append(f"the group's sheet was built for {sheet.student}, a member of the group with {who}: graded "
                     f"with {sheet.student}'s numbers")
        who = sheet.student
    graded = not any(q.public for q in quizzes)
    show_answers = graded and reveal_answers(reveal, due, now)
    cells, cell_notes = written.notebook_answers(submission, quizzes)
    notes += cell_notes
    hidden = (f"correct answers are shown after the due date, {due}" if reveal == "after_due" and due
              else "correct answers are not shown")
    known = [q.id for q in quizzes]
    for key, section in sheet.sections.items():
        if key != "student" and key not in known:
            notes.append(f"{_where(section.line)}: unknown key {key!r}{_suggest(key, known)}; the sheet holds "
                         f"student and {', '.join(known)}")
    results = []
    errors = []
    for quiz in quizzes:
        result, error = grade_quiz(quiz, sheet, who, graded=graded, reveal=show_answers, notes=notes,
                                   hidden=hidden, cells=cells)
        results.append(result)
        if error:
            errors.append(error)
    return results, ("\n".join(errors) if errors else None)

