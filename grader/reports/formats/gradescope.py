"""Gradescope's results.json: each check a test with score, max_score, name, number, output, visibility.

Student-facing text goes into the ``output`` fields (Gradescope shows stdout to instructors only), and
hidden checks follow the course's ``reveal`` policy:

=============  ===========================  ==========================================================
``reveal``     hidden checks become         what the student sees
=============  ===========================  ==========================================================
``always``     ``visible``                  every check, with its input and the expected value
``after_due``  ``after_due_date``           public checks now, hidden ones once the due date passed
``never``      ``hidden``                   public checks only; Gradescope then also hides the total
                                            score until the instructor publishes grades
=============  ===========================  ==========================================================
"""

from __future__ import annotations

import json
from typing import Any

from grader.record import GradeResult, Status, json_safe
from grader.reports.formats import Item, items, score_line, shows_values
from grader.reports.views import confinement
from grader.spec.tolerance import fmt

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
HIDDEN_VISIBILITY = {"always": "visible", "after_due": "after_due_date", "never": "hidden"}
OUTPUT_CHARS = 2000
NOT_YOUR_FAULT = ("The autograder itself failed while grading this submission. This is not a problem with "
                  "your code: please tell your instructor, who can see the details in the autograder log.")


def visibility(item: Item, reveal: str) -> str:
    if item.visibility != "hidden":
        return "visible"
    return HIDDEN_VISIBILITY.get(reveal, "hidden")


def _capped(text: str) -> str:
    if len(text) <= OUTPUT_CHARS:
        return text
    return text[:OUTPUT_CHARS] + f"\n[... {len(text) - OUTPUT_CHARS} more characters of output cut]"


def test_output(item: Item) -> str:
    lines = [item.message] if item.status != Status.PASSED else ["passed"]
    if item.input:
        lines.append(f"input:    {item.input}")
    if shows_values(item):
        lines.append(f"expected: {fmt(item.expected)}")
        lines.append(f"got:      {fmt(item.got)}")
    elif item.status == Status.FAILED and item.expected is not None:  # the quiz grader revealed it
        lines.append(f"correct answer: {fmt(item.expected)}")
    if item.misconception:
        lines.append(f"likely mistake: {item.misconception}")
    elif item.note:
        lines.append(item.note)
    if item.output:
        lines.append("your code printed:")
        lines.append(_capped(item.output.rstrip("\n")))
    return "\n".join(lines)


def to_gradescope(result: GradeResult) -> dict[str, Any]:
    reveal = result.reveal
    tests = []
    for item in items(result):
        name = item.name if item.kind != "question" else f"{item.suite_title}: {item.name}"
        test: dict[str, Any] = {
            "name": name,
            "number": f"{item.suite_index + 1}.{item.index + 1}",
            "score": item.score,
            "max_score": item.max_score,
            "status": "passed" if item.status == Status.PASSED else "failed",
            "output": test_output(item),
            "output_format": "text",
            "visibility": visibility(item, reveal),
            "tags": [item.suite_id, *([item.misconception] if item.misconception else [])],
            "extra_data": {"status": item.status.value, "misconception": item.misconception,
                           "file": item.file, "line": item.line, "cell": item.cell},
        }
        if item.status == Status.PENDING:  # awaiting review: worth nothing yet, and neither passed nor failed
            del test["status"]
            test["max_score"] = 0.0
        tests.append(test)
    summary = [f"Score: {score_line(result)}"]
    if result.mode == "student":
        summary.append("Only the public checks were graded.")
    if result.grader_error:
        summary.append(NOT_YOUR_FAULT)
    conf = confinement(result)
    if conf:
        summary.extend([conf.warning] if conf.warning else [])
        summary.append(conf.line)
    return json_safe({
        "score": result.score,
        "execution_time": round(result.duration, 3),
        "output": "\n".join(summary),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"course": result.course, "passed": result.passed, "max_score": result.max_score,
                       "grader_error": result.grader_error,
                       "environment": vars(result.environment) if result.environment else None},
        "tests": tests,
    })


def crash_results(message: str, execution_time: float = 0.0) -> dict[str, Any]:
    """What Gradescope gets when grading itself crashed: a valid file that says so, never a missing one."""
    return {
        "score": 0,
        "execution_time": round(execution_time, 3),
        "output": f"{NOT_YOUR_FAULT}\n\n{message}",
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"grader_error": message},
        "tests": [],
    }


def render_gradescope(result: GradeResult) -> str:
    return json.dumps(to_gradescope(result), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
