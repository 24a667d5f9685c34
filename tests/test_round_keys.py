"""What a sandbox round's answers are filed under: a case of an exercise, or a trial of a property.

The keys used to be tagged tuples told apart by ``key[0] == "inv"``, so the cases of an exercise whose id is
``inv`` (the schema allows it) were taken for invariant trials, and were thrown away as "skipped" as soon as
one of its functions was slow or raised: a correct, slow ``surprise()`` scored 2/4 (issue 28).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.judge.grade import Plan, grade_submission
from grader.sandbox.client import Sandbox
from grader.spec.course import load_course
from grader.spec.expected import reference_outputs

INV = Path(__file__).resolve().parent / "fixtures" / "inv"  # one exercise, whose id is `inv`

CORRECT_TOTAL = """
import math

def total_surprise(probs):
    return float(sum(-math.log2(p) for p in probs))
"""

SUBMISSIONS = {
    # correct, but over the 0.25 s per case that random trials allow
    "slow": "import time\n\ndef surprise(p):\n    time.sleep(0.3)\n    return -math.log2(p)\n",
    # right on the fair coin, raises on the other case
    "raises": "def surprise(p):\n    if p < 0.5:\n        raise ValueError('too rare')\n    return -math.log2(p)\n",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    course = load_course(INV)
    plan = Plan.build(course, "course", reference_outputs(course))
    results = {}
    with Sandbox() as sandbox:
        for name, code in SUBMISSIONS.items():
            folder = tmp_path_factory.mktemp(name)
            (folder / "surprise.py").write_text(CORRECT_TOTAL + "\n" + code)
            results[name] = grade_submission(plan, folder, sandbox)
    return results


def test_a_slow_correct_function_keeps_its_case_points(graded):
    result = graded["slow"]
    assert [(c.name, c.status.value, c.score, c.message) for c in result.exercises[0].checks[:4]] == [
        ("surprise: a fair coin", "passed", 1.0, "ok"),
        ("surprise: one in eight", "passed", 1.0, "ok"),
        ("total_surprise: two coins", "passed", 1.0, "ok"),
        ("total_surprise: a die and a coin", "passed", 1.0, "ok"),
    ]
    assert (result.score, result.max_score) == (4.0, 4.0)


def test_a_function_that_raises_on_one_case_keeps_the_others(graded):
    result = graded["raises"]
    assert [(c.name, c.status.value, c.score) for c in result.exercises[0].checks[:4]] == [
        ("surprise: a fair coin", "passed", 1.0),
        ("surprise: one in eight", "error", 0.0),
        ("total_surprise: two coins", "passed", 1.0),
        ("total_surprise: a die and a coin", "passed", 1.0),
    ]
    assert result.exercises[0].checks[1].message == "surprise() raised ValueError: too rare (surprise.py:9)"
    assert (result.score, result.max_score) == (3.0, 4.0)


def test_the_exercises_own_trials_still_run(graded):
    # The trials of `inv`'s property are keyed apart from its cases, and run: total_surprise() is fine.
    checks = [c for c in graded["raises"].exercises[0].checks if c.kind == "invariant"]
    assert [(c.name, c.status.value) for c in checks] == [("property: a total surprise is never negative", "passed")]
