"""Decisions into a batch's outputs: results/*.json, the reports, the manifest, gradebook.csv, canvas.csv, moodle.csv
(given the map or worksheet the batch used), summary.

Idempotent: every record is recomputed from the store (a text question with a decision gets its rubric
score, one without is pending again), and only records that changed are written, atomically. So it can run
after each decision, after ``grader batch`` (whose regrade makes every answer pending again: unchanged ones
get their decisions back here, changed ones stay awaiting review), or after a killed server.

The manifest rows get the new results' hashes, so the next ``grader batch`` sees an unchanged submission as
unchanged and keeps it, decisions included.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.classroom.batch import (
    EXTRA_SUFFIX,
    MANIFEST,
    REPORTS,
    RESULTS,
    RUN,
    Manifest,
    _sha,
    make_row,
    write_class_outputs,
)
from grader.classroom.gradebook import CanvasMap
from grader.errors import InputError
from grader.files import write_atomic
from grader.judge.written import pending_message
from grader.record import GradeResult, QuestionResult, Status, passes
from grader.reports.render import render
from grader.review import store
from grader.review.answers import result_files, text_questions
from grader.spec.course import Course
from grader.spec.quiz.model import Question


@dataclass
class Applied:
    """What one application did, for the command line and the page."""

    records: int = 0  # records read
    changed: list[str] = field(default_factory=list)  # students whose record was rewritten
    reviewed: int = 0  # answers with a decision
    pending: int = 0  # answers awaiting review
    stale: int = 0  # answers whose own decision was about an earlier text
    unreadable: list[str] = field(default_factory=list)  # records that could not be read (regraded by grader batch)


def rubric_score(question: Question, items: tuple[str, ...]) -> float:
    """The ticked items' points, deductions included, kept between 0 and the question's points."""
    points = {it.id: it.points for it in question.rubric}
    total = sum(points.get(i, 0.0) for i in dict.fromkeys(items))
    return round(min(question.points, max(0.0, total)), 6)


def reviewed_message(question: Question, d: store.Decision, score: float) -> str:
    """What the student reads: the points, each ticked item and what it was for, and the comment."""
    by_id = {it.id: it for it in question.rubric}
    ticked = [by_id[i] for i in dict.fromkeys(d.items) if i in by_id]
    lines = [f"reviewed{' by ' + d.reviewer if d.reviewer else ''}: {score:g} of {question.points:g} points"]
    lines += [f"{'+' if it.points > 0 else '-'}{abs(it.points):g} {it.description}" for it in ticked]
    if not ticked:
        lines.append("no rubric item applies")
    if d.comment:
        lines.append(f"comment: {d.comment}")
    return "; ".join(lines)


def apply_question(qq: QuestionResult, key: str, question: Question, student: str, decisions: store.Decisions,
                   applied: Applied, seen: list[tuple[str, str, str]]) -> None:
    """One text question of one record: its decision's score, or pending again."""
    written = qq.written or {}
    d = decisions.find(key, student, str(written.get("hash")))
    if d is None:
        stale = decisions.stale(key, student, str(written.get("hash")))
        applied.pending += 1
        applied.stale += stale
        qq.status, qq.score, qq.pending, qq.intuition = Status.PENDING, 0.0, question.points, None
        qq.message = pending_message(question, int(written.get("words") or 0), str(written.get("source") or "")) + (
            "; the answer changed since its review" if stale else "")
        written["review"] = None
    else:
        applied.reviewed += 1
        seen.append((key, student, str(written.get("hash"))))
        score = rubric_score(question, d.items)
        qq.status = Status.PASSED if score >= question.points else Status.FAILED
        qq.score, qq.pending = score, 0.0
        qq.message = reviewed_message(question, d, score)
        qq.intuition = question.intuition if qq.status is not Status.PASSED else None
        written["review"] = {"items": list(dict.fromkeys(d.items)), "score": score, "comment": d.comment,
                             "reviewer": d.reviewer}
    qq.written = written


def apply_record(result: GradeResult, questions: dict[str, Question], decisions: store.Decisions,
                 applied: Applied, seen: list[tuple[str, str, str]]) -> None:
    """Every text question of a record, then its totals (graded and pending apart) and verdict."""
    student = result.student or ""
    for quiz in result.quizzes:
        for qq in quiz.questions:
            question = questions.get(f"{quiz.id}/{qq.id}")
            if question is not None and qq.written is not None:
                apply_question(qq, f"{quiz.id}/{qq.id}", question, student, decisions, applied, seen)
        quiz.score = round(sum(q.score for q in quiz.questions), 6)
        quiz.pending = round(sum(q.pending for q in quiz.questions), 6)
    result.score = round(sum(e.score for e in result.exercises) + sum(q.score for q in result.quizzes), 6)
    result.pending = round(sum(q.pending for q in result.quizzes), 6)
    result.passed = passes(result.score, result.max_score, result.pending, result.pass_threshold)


@contextmanager
def locked(out: Path, wait: bool) -> Iterator[None]:
    """The batch's own lock on OUT: a review never writes while grader batch or merge does."""
    with (out / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError:
            raise InputError(f"grader batch or merge is writing to {out}", "Wait for it to finish, then apply.") from None
        yield


def _run_meta(out: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        data = json.loads((out / RUN).read_text("utf-8"))
    except (OSError, ValueError):
        raise InputError(f"{out} has no readable {RUN}: its batch did not finish",
                         "Run the same grader batch command again; it resumes where it stopped.") from None
    runs = data.pop("runs", [])
    return data, runs


def _write_views(out: Path, result: GradeResult, text: bytes) -> None:
    """The views first and the record last: a record that shows a decision implies views that show it too, so a
    process killed in between leaves a record that the next apply finds unchanged only once it is all done."""
    student = result.student or ""
    if (out / REPORTS / f"{student}.html").is_file():
        write_atomic(out / REPORTS / f"{student}.html", render(result, "html"), durable=False)
    for fmt, suffix in EXTRA_SUFFIX.items():
        if (out / fmt / f"{student}.{suffix}").is_file():
            write_atomic(out / fmt / f"{student}.{suffix}", render(result, fmt), durable=False)
    write_atomic(out / RESULTS / f"{student}.json", text, durable=False)


def apply(out: Path, course: Course, canvas: CanvasMap | None = None, moodle: Path | None = None, *,
          wait: bool = False) -> Applied:
    """Apply every decision of OUT's store to OUT's records and class files; see the module docstring."""
    questions = {f"{quiz.id}/{q.id}": q for quiz, q in text_questions(course)}
    decisions = store.read(out)
    applied = Applied()
    seen: list[tuple[str, str, str]] = []  # (question, student, hash) a decision now holds for
    with locked(out, wait):
        meta, runs = _run_meta(out)
        manifest = Manifest(out / MANIFEST).open()
        try:
            for path in result_files(out):
                try:
                    before = path.read_bytes()
                    result = GradeResult.from_dict(json.loads(before))
                except (OSError, ValueError, TypeError, KeyError):
                    applied.unreadable.append(path.name)  # regraded by the next grader batch; said, not skipped
                    continue
                applied.records += 1
                apply_record(result, questions, decisions, applied, seen)
                text = (result.to_json(indent=None) + "\n").encode("utf-8")
                student = result.student or ""
                if student not in manifest.index:
                    continue
                if text != before:
                    _write_views(out, result, text)
                elif manifest.index[student].result_sha == _sha(text):
                    continue  # applied already, manifest included
                # (a record written by an apply that was killed before its manifest row is finished here)
                old = manifest.row(student)
                row = make_row(result, meta)
                row.update(submission_hash=old["submission_hash"], spec_hash=old["spec_hash"], result_sha=_sha(text),
                           report=old.get("report", False), name=old.get("name", ""), email=old.get("email", ""))
                manifest.append(row)
                applied.changed.append(student)
            students = list(manifest.index)
            if applied.changed:
                manifest.rewrite(students)
        finally:
            manifest.close()
        # always: an apply killed after the records but before these left them behind the records
        write_class_outputs(out, meta, runs, manifest, students, canvas, moodle)
        conn = store.connect(out)
        try:
            store.remember(conn, [row for row in seen if decisions.previous.get(row[:2]) != row[2]])
        finally:
            conn.close()
    return applied
