"""Every contract misconception id is recognised in a submission that makes exactly that mistake, and nowhere else."""

from __future__ import annotations

import pytest
import yaml
from conftest import COURSE, ROOT, SCENARIOS

from grader.record import Status
from grader.spec.course import load_course

CONTRACT = {
    "entropy": ["natural-log", "log10", "zero-probability-nan", "missing-minus-sign", "argmin-instead-of-argmax"],
    "cross_entropy": ["log2-instead-of-ln", "log-of-zero", "swapped-p-q", "mean-instead-of-sum", "loss-change-sign"],
    "kl_sweep": ["swapped-kl-arguments", "natural-log", "wrong-mass-split", "argmax-instead-of-argmin",
                 "kl-without-clipping"],
}
MISTAKES = sorted(p.parent.name for p in SCENARIOS.glob("mistake-*/scenario.yaml"))
CLEAN = sorted(p.parent.name for p in SCENARIOS.glob("*/scenario.yaml")
               if p.parent.name.startswith(("correct-", "broken-")) or p.parent.name == "memorised")


def _found(result) -> set[tuple[str, str]]:
    return {(ex.id, c.misconception) for ex, c in result.checks() if c.misconception}


def test_the_course_declares_exactly_the_contract_ids():
    course = load_course(ROOT)
    # an exercise added to the course later has ids of its own; these three keep theirs
    assert {ex.id: [m.id for m in ex.misconceptions] for ex in course.exercises if ex.id in CONTRACT} == CONTRACT


def test_every_contract_id_has_a_scenario():
    covered = set()
    for name in MISTAKES:
        covered |= set(yaml.safe_load((SCENARIOS / name / "scenario.yaml").read_text())["misconceptions"])
    assert covered == {m for ids in CONTRACT.values() for m in ids}


@pytest.mark.parametrize("name", MISTAKES)
def test_a_mistake_is_named_in_every_check_it_fails(grade, name):
    expected = set(yaml.safe_load((SCENARIOS / name / "scenario.yaml").read_text())["misconceptions"])
    result = grade(name)
    assert {m for _, m in _found(result)} == expected
    for _, check in result.checks():
        if check.misconception:
            assert check.status != Status.PASSED
            assert check.diagnosis is not None
            assert check.diagnosis["id"] == check.misconception
            assert check.diagnosis["explanation"] and check.diagnosis["idea"]
    # the failures that come from the mistake are all explained: no failed case check is left unnamed
    assert all(c.misconception for _, c in result.checks() if c.kind == "case" and c.status == Status.FAILED)


@pytest.mark.parametrize("name", CLEAN)
def test_correct_and_broken_submissions_get_no_misconception(grade, name):
    assert _found(grade(name)) == set()


def test_student_folders_get_diagnosis_and_invariants_offline(tmp_path):
    """A student folder has no reference: the bundle carries the mistakes' public answers and the invariants."""
    from grader.authoring.bundle import build, bundle_variants, course_from_bundle
    from grader.judge.grade import Plan, grade_submission
    from grader.sandbox.client import Sandbox

    build(load_course(COURSE), tmp_path)
    for file in (SCENARIOS / "mistake-ce-log2" / "submission").glob("*.py"):
        (tmp_path / file.name).write_text(file.read_text())
    bundle = (tmp_path / ".grader" / "public.json").read_text()
    assert "hidden" not in bundle and "cross_entropy_loss_unclipped" not in bundle
    course, expected = course_from_bundle(tmp_path)
    plan = Plan.build(course, "student", expected, variants=bundle_variants(tmp_path))
    with Sandbox() as sandbox:
        result = grade_submission(plan, tmp_path, sandbox)
    assert _found(result) == {("cross_entropy", "log2-instead-of-ln")}
    assert sum(1 for _, c in result.checks() if c.kind == "invariant") == 8
