"""GitHub Actions: error annotations, the job step summary, and the result GitHub Classroom reads.

* Annotations use the workflow-command syntax and are escaped exactly as ``@actions/core`` does
  (``command.ts``), so a message with ``%``, newlines, ``:`` or ``,`` cannot break out of its field.
  GitHub keeps at most 10 error annotations per step, so failures are grouped per student function
  (each points at that function's ``def`` line, or at the line that crashed) and the costliest come first.
* The step summary is Markdown from ``templates/ci_summary.md.j2``, cut to fit GitHub's 1 MiB.
* ``result=<base64 JSON>`` in ``$GITHUB_OUTPUT`` has the shape of classroom-resources'
  autograding-command-grader output, which autograding-grading-reporter decodes to show the points.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader.record import GradeResult, QuizResult, Status, json_safe, location
from grader.reports.formats import Item, items, score_line, shows_values, suites

MAX_ERRORS = 10
SUMMARY_LIMIT = 1024 * 1024  # bytes per step (GitHub refuses a larger step summary)
SUMMARY_MARGIN = 4096
CLASSROOM_MESSAGE_CHARS = 1000


# --- workflow commands ---------------------------------------------------------------------------

def escape_data(text: Any) -> str:
    """Message part of a workflow command (toolkit ``escapeData``)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: Any) -> str:
    """Property value of a workflow command (toolkit ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: Any) -> str:
    props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items() if v is not None and v != "")
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


@dataclass(frozen=True)
class Annotation:
    title: str
    message: str
    file: str | None = None
    line: int | None = None
    lost: float = 0.0

    def render(self) -> str:
        # a line means nothing to GitHub without its file
        return command("error", self.message, file=self.file, line=self.line if self.file else None, title=self.title)


def _where(item: Item, submission: Path | None, workspace: Path | None) -> str | None:
    """The file as GitHub wants it: relative to the repository root, and only if it exists there."""
    if not item.file or submission is None:
        return None
    path = (submission / item.file).resolve()
    if not path.is_file():
        return None
    root = (workspace or Path.cwd()).resolve()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return None


def _describe(item: Item, named: bool = True) -> str:
    text = f"{item.name}: {item.message}" if named else item.message
    if item.input:
        text += f"\ninput: {item.input}"
    if item.misconception:
        text += f"\nlikely mistake: {item.misconception}"
    elif item.note:
        text += f"\n{item.note}"
    if item.cell is not None:  # GitHub cannot point into a notebook's cell: the message does
        text += f"\nat {location(item.file, item.line, item.cell)}"
    return text


def pick_annotations(result: GradeResult, submission: Path | None = None, workspace: Path | None = None,
                limit: int = MAX_ERRORS) -> tuple[list[Annotation], int]:
    """The most important failures, at most ``limit``, and how many groups were left out.

    One annotation per student function (or quiz) that lost points, pointing at the line of the first
    problem: a crash site if there is one, else the function's ``def``. Order: points lost, then
    errors before wrong answers, then course order.
    """
    groups: dict[tuple[str, str | None], list[Item]] = {}
    for item in items(result):
        # Random-input properties span functions: they form one group per exercise of their own.
        key = (item.suite_id, "properties" if item.kind == "invariant" else item.function)
        groups.setdefault(key, []).append(item)
    found: list[tuple[tuple[float, int, int], Annotation]] = []
    order = 0
    for (suite_id, function), group in groups.items():
        order += 1
        bad = [i for i in group if i.status not in (Status.PASSED, Status.PENDING)]  # pending: not lost, not failed
        if not bad:
            continue
        errors = [i for i in bad if i.status == Status.ERROR]
        first = (errors or bad)[0]
        lost = sum(i.max_score - i.score for i in group if i.status != Status.PENDING)
        if function == "properties":
            what, noun = f"{suite_id}: properties on random inputs", "properties"
        elif function:
            what, noun = f"{function}()", "checks"
        else:
            what, noun = f"quiz {suite_id}", "questions"
        verb = "errored" if len(errors) == len(bad) else "failed"
        title = f"{what}: {len(bad)} of {len(group)} {noun} {verb}"
        message = _describe(first)
        if len(bad) > 1:
            message += f"\n(and {len(bad) - 1} more: see the job summary)"
        ann = Annotation(title, message, _where(first, submission, workspace), None if first.cell else first.line, lost)
        found.append(((-lost, 0 if errors else 1, order), ann))
    found.sort(key=lambda pair: pair[0])
    picked = [ann for _, ann in found]
    if result.grader_error:
        picked.insert(0, Annotation("The grader itself failed (not your fault)", result.grader_error))
    return picked[:limit], max(0, len(picked) - limit)


def workflow_commands(result: GradeResult, submission: Path | None = None,
                      workspace: Path | None = None) -> list[str]:
    """Error annotations, then one notice with the score."""
    picked, left_out = pick_annotations(result, submission, workspace)
    lines = [a.render() for a in picked]
    note = score_line(result)
    if left_out:
        note += f" ({left_out} more failing functions are listed in the job summary only)"
    lines.append(command("notice", note, title="Score"))
    return lines


def guarded(text: str) -> tuple[str, str, str]:
    """Start and end lines that make the runner ignore workflow commands in ``text`` (student output)."""
    token = secrets.token_hex(16)
    while token in text:
        token = secrets.token_hex(16)
    return f"::stop-commands::{token}", text, f"::{token}::"


# --- step summary --------------------------------------------------------------------------------

def _fence(text: str) -> str:
    """A fenced block that ``text`` (student-controlled) cannot close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _cell(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _collapsed(its: list[Item]) -> list[Item]:
    """A quiz none of whose questions could be graded for one reason (no sheet...) is one entry, not one per question."""
    if len(its) > 1 and all(i.kind == "question" and i.status == Status.ERROR for i in its) \
            and len({i.message for i in its}) == 1:
        return [replace(its[0], name=f"all {len(its)} questions", line=None)]
    return its


def _summary_renderer() -> Callable[[GradeResult, int | None], str]:
    from grader.reports.render import environment

    env = environment()
    env.filters["fence"] = _fence
    env.filters["cell"] = _cell
    template = env.get_template("ci_summary.md.j2")

    def render(result: GradeResult, shown: int | None) -> str:
        failures = [(title, file, item) for _, title, file, its in suites(result)
                    for item in _collapsed(its) if item.status not in (Status.PASSED, Status.PENDING)]
        rows = []
        for _sid, title, file, its in suites(result):
            rows.append({"title": title, "file": file, "score": sum(i.score for i in its),
                         "max_score": sum(i.max_score for i in its),
                         "pending": sum(i.max_score for i in its if i.status == Status.PENDING),
                         "passed": sum(i.status == Status.PASSED for i in its), "total": len(its)})
        count = len(failures) if shown is None else shown
        return template.render(r=result, rows=rows, failures=failures[:count], shows_values=shows_values,
                               omitted=len(failures) - min(count, len(failures)), verdict=score_line(result))

    return render


def step_summary(result: GradeResult, limit: int = SUMMARY_LIMIT - SUMMARY_MARGIN) -> str:
    """Markdown within ``limit`` bytes: drop failures from the end (saying how many) until it fits."""
    render = _summary_renderer()
    text = render(result, None)
    size = len(text.encode("utf-8"))
    if size <= limit:
        return text
    # Failures are of similar size: start from the proportional guess and shrink by 10% until it fits.
    shown = int(sum(i.status != Status.PASSED for i in items(result)) * limit / size)
    while True:
        text = render(result, shown)
        if len(text.encode("utf-8")) <= limit or shown == 0:
            break
        shown = int(shown * 0.9)
    if len(text.encode("utf-8")) > limit:  # even the score table is too big: cut it at a line
        cut = text.encode("utf-8")[: limit - 200].decode("utf-8", "ignore")
        text = cut[: cut.rfind("\n") + 1] + "\n_The rest of this summary was cut to fit GitHub's 1 MiB limit._\n"
    return text


# --- GitHub Classroom ------------------------------------------------------------------------------

def _classroom_test(name: str, status: Status, score: float, message: str, *, test_code: str = "",
                    filename: str | None = None, line: int | None = None, duration: float | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "status": {"passed": "pass", "failed": "fail", "error": "error"}[status.value],
        "score": score,
        "message": message[:CLASSROOM_MESSAGE_CHARS],
        "test_code": test_code,
        "filename": filename or "",
        "line_no": line or 0,
        "duration": round(1000 * (duration or 0.0)),
    }


def _unanswered(quiz: QuizResult) -> bool:
    """No question of the quiz holds an answer (no sheet, no block, or every line blank)."""
    return bool(quiz.questions) and all(q.answer is None and q.status != Status.PASSED for q in quiz.questions)


def classroom_result(result: GradeResult) -> dict[str, Any]:
    """The autograding-command-grader ``result`` shape that autograding-grading-reporter sums up.

    The reporter records ``Points <sum of tests[].score>/<max_score>``, but its log line prints
    passed tests / all tests x max_score. So that both count the same things: every test is worth
    points (a 0-point check would only move the log line), a test passes exactly when it has all its
    points, and a quiz with no answer at all is one failed test, not one per question.

    The runner's ``status`` follows the pass threshold (``pass`` at or above it), not "every check
    passed", so the reporter and ``grader ci``'s exit code agree; ``error`` means the grader broke.
    """
    tests = []
    quizzes = {q.id: q for q in result.quizzes}
    collapsed: set[str] = set()
    for item in items(result):
        quiz = quizzes.get(item.suite_id) if item.kind == "question" else None
        if quiz is not None and _unanswered(quiz):
            if quiz.id not in collapsed and (quiz.max_score > 0 or result.max_score <= 0):
                collapsed.add(quiz.id)
                why = quiz.questions[0].message if quiz.questions else ""
                tests.append(_classroom_test(f"{quiz.title}: not answered", Status.FAILED, quiz.score,
                                             f"none of the {len(quiz.questions)} questions is answered in "
                                             f"{item.file} ({why})", filename=item.file))
            continue
        if item.status == Status.PENDING:
            continue  # awaiting review: not a test yet, and its points are left out of max_score below
        if item.max_score <= 0 and result.max_score > 0:
            continue  # worth nothing: the log line would count it, the points would not
        status = item.status
        if status == Status.PASSED and item.score < item.max_score:
            status = Status.FAILED  # partial credit: not a pass for the log line's count
        message = "" if item.status == Status.PASSED else _describe(item, named=False)
        tests.append(_classroom_test(item.name if item.kind != "question" else f"{item.suite_title}: {item.name}",
                                     status, item.score, message, test_code=item.input or "",
                                     filename=item.file, line=None if item.cell else item.line, duration=item.duration))
    overall = "error" if result.grader_error else ("pass" if result.passed else "fail")
    graded = result.max_score - result.pending  # points awaiting review are never reported as lost
    return json_safe({"version": 1, "status": overall, "max_score": round(graded, 6), "tests": tests})


def encode_result(data: dict[str, Any]) -> str:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return base64.b64encode(raw.encode("utf-8")).decode("ascii")


# --- the files GitHub hands a step ---------------------------------------------------------------

def append_env_file(path: str | os.PathLike[str], text: str) -> None:
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_outputs(result: GradeResult, path: str | os.PathLike[str]) -> None:
    """``result`` for Classroom's reporter, plus plain ``score``, ``max-score`` and ``passed``."""
    from grader.spec.tolerance import fmt

    lines = [f"result={encode_result(classroom_result(result))}", f"score={fmt(result.score)}",
             f"max-score={fmt(round(result.max_score - result.pending, 6))}",
             f"passed={'true' if result.passed else 'false'}", f"pending={fmt(result.pending)}"]
    append_env_file(path, "\n".join(lines) + "\n")


def write_summary(result: GradeResult, path: str | os.PathLike[str]) -> None:
    try:
        used = os.path.getsize(path)
    except OSError:
        used = 0
    append_env_file(path, step_summary(result, SUMMARY_LIMIT - SUMMARY_MARGIN - used))
