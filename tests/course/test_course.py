"""The bundled course itself: it validates, and its contract (exercises, functions, misconception ids,
points) is pinned in a golden file, regenerated with ``python -m pytest --update-goldens``.

A course author who adds an exercise changes this golden file on purpose; the engine tests, which run on
the fixture courses in tests/fixtures/, do not notice.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from goldens import golden_text

from grader.cli import cli
from grader.spec.course import load_course

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "contract.txt"


def contract() -> str:
    course = load_course(ROOT)
    lines = [f"course: {course.title} · pass threshold {course.pass_threshold:g} · reveal {course.reveal}"]
    for ex in course.exercises:
        lines.append(f"exercise {ex.id} ({ex.file}): {ex.points:g} points, {len(ex.cases)} cases "
                     f"({sum(c.visibility == 'public' for c in ex.cases)} public)")
        lines += [f"  {f.name}({', '.join(f.params)}) -> {f.returns}" for f in ex.functions.values()]
        lines += [f"  misconception {m.id}" for m in ex.misconceptions]
        lines += [f"  invariant {inv.id}" for inv in ex.invariants]
    for quiz in course.quizzes:
        lines.append(f"quiz {quiz.id}: {quiz.points:g} points, {len(quiz.questions)} questions")
        lines += [f"  {q.id} ({q.type}, {q.points:g})" for q in quiz.questions]
    return "\n".join(lines) + "\n"


def test_the_bundled_course_validates():
    result = CliRunner().invoke(cli, ["validate", "--course", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert "All valid." in result.output.splitlines()[0]
    assert "Warning:" not in result.output, "an exercise file is not listed in course.yaml"


def test_the_bundled_course_keeps_its_contract():
    text = contract()
    assert text == golden_text(GOLDEN, text), (
        "the bundled course's exercises, functions, ids or points changed; if that is intended, run "
        "python -m pytest --update-goldens")
