"""``grader validate`` proves the misconceptions apart and the invariants true, and names the YAML line when not."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.authoring.validate import validate
from grader.errors import SpecError


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _problems(root: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        validate(root)
    return [str(p) for p in info.value.problems]


def test_summary_line_per_exercise(course_root):
    notes = validate(course_root).notes
    assert [n.split(":")[0] for n in notes] == ["entropy", "cross_entropy", "kl_sweep"]
    assert notes[0].startswith("entropy: 5 misconceptions, all told apart by its 10 cases; "
                               "2 invariants hold for the reference")


def test_two_misconceptions_with_the_same_numbers_are_refused(course_copy):
    _edit(course_copy / "exercises/entropy.yaml", 'transform: {scale: "log10(2)"}', 'transform: {scale: "ln(2)"}')
    problems = _problems(course_copy)
    assert any(p.startswith("exercises/entropy.yaml:") and "misconception log10: a submission making this mistake "
               "is not recognised in entropy() (it gives the same numbers as natural-log)" in p for p in problems)


def test_a_misconception_the_cases_cannot_catch_is_refused(course_copy):
    _edit(course_copy / "exercises/cross_entropy.yaml", 'transform: {scale: "1/ln(2)"}', 'transform: {scale: 1}')
    assert any("misconception log2-instead-of-ln is not a mistake: it gives the reference's answers on every case"
               in p for p in _problems(course_copy))


def test_an_invariant_the_reference_breaks_is_refused(course_copy):
    _edit(course_copy / "exercises/kl_sweep.yaml", 'expect: "kl == 0"', 'expect: "kl > 0"')
    problems = _problems(course_copy)
    assert len(problems) == 1
    assert problems[0].startswith("exercises/kl_sweep.yaml:")
    assert "invariant kl-zero-for-itself: the reference itself breaks it: fails on 6 of 6 random inputs" in problems[0]


@pytest.mark.parametrize(("old", "new", "message"), [
    ('expect: "kl >= 0"', 'expect: "kl >= zero"', "invariants[0] (kl-non-negative): expect[0]: 'kl >= zero': unknown name "
                                                  "'zero'; names in scope: kl, n, p, q"),
    ('calls: {kl: "kl_divergence(p, q)"}', 'calls: {kl: "kl_divergence(p)"}',
     "invariants[0] (kl-non-negative): calls.kl: kl_divergence takes 2 argument(s), got 1"),
    ('calls: {kl: "kl_divergence(p, q)"}', 'calls: {kl: "entropy.entropie(p)"}', "invariant kl-non-negative: calls.kl: "
                                                                                  "entropy.entropie does not exist"),
    ("implementation: reference/mistakes/kl_sweep.py:best_q1_argmax", "implementation: reference/mistakes/nope.py:f",
     "misconceptions[3] (argmax-instead-of-argmin): reference/mistakes/nope.py does not exist"),
    ("    functions: [best_q1]\n", "    functions: [best_q1]\n    transform: {negate: true}\n",
     "give either transform (e.g. {scale: \"ln(2)\"}) or implementation"),
])
def test_spec_mistakes_name_file_and_line(course_copy, old, new, message):
    _edit(course_copy / "exercises/kl_sweep.yaml", old, new)
    problems = _problems(course_copy)
    assert len(problems) == 1, problems
    assert problems[0].startswith("exercises/kl_sweep.yaml:")
    assert message in problems[0]


# -- issue 23: validate and grading share one comparison; crash rules are proven --------------------------------

LOOSE = Path(__file__).resolve().parents[1] / "fixtures" / "loose"


def test_validate_says_when_the_tolerance_hides_a_mistake_and_grading_does_exactly_that(tmp_path):
    """rtol 0.5 lets the entropy pass for the perplexity on 4 of 5 cases: validate says so, and a submission making
    that mistake (tests/scenarios/diag-loose-perplexity-missing-exponent) passes exactly those 4 when graded."""
    from grader.judge.grade import Plan, grade_submission
    from grader.record import Status
    from grader.sandbox.client import Sandbox
    from grader.spec.expected import reference_outputs

    report = validate(LOOSE)
    assert report.notes == (
        "perplexity: 2 misconceptions, all told apart by its 5 cases; no generic relation fires on them or on the "
        "reference; the tolerance hides missing-exponent on 4 of the 5 cases where it differs from the reference: "
        "a submission making it passes them; the tolerance hides negative-exponent on 1 of the 5 cases where it "
        "differs from the reference: a submission making it passes that case",)
    plan = Plan.build(report.course, "course", reference_outputs(report.course))
    submission = LOOSE.parents[1] / "scenarios" / "diag-loose-perplexity-missing-exponent" / "submission"
    with Sandbox() as sandbox:
        result = grade_submission(plan, submission, sandbox)
    checks = [c for _, c in result.checks() if c.kind == "case"]
    assert [c.status for c in checks] == [Status.FAILED] + [Status.PASSED] * 4
    assert checks[0].misconception == "missing-exponent"


def test_a_crash_rule_needs_its_crashing_code_or_a_reason(course_copy):
    _edit(course_copy / "exercises/entropy.yaml", ", implementation: reference/mistakes/entropy.py:entropy_math_keeps_zeros}",
          "}")
    assert _problems(course_copy) == [
        "exercises/entropy.yaml:87:13: misconceptions[2].crash[0]: give either implementation (the mistake written so "
        "that it crashes, FILE.py:FUNCTION: the mistake is named only where it raises the same exception on the same "
        "input) or cannot_run (why no such code can be run)"]


def test_a_crash_rule_whose_code_never_raises_is_refused(course_copy):
    _edit(course_copy / "exercises/entropy.yaml", "entropy.py:entropy_math_keeps_zeros}", "entropy.py:_entropy}")
    assert _problems(course_copy) == [
        "exercises/entropy.yaml:83:1: misconception zero-probability-nan: the implementation of crash ValueError where "
        "min(probs) == 0 raises none of those exceptions on a case where the condition holds, so this crash can never "
        "be named; add such a case or fix the implementation"]


def test_a_crash_rule_that_cannot_run_rests_on_its_condition(course_copy):
    _edit(course_copy / "exercises/entropy.yaml", "implementation: reference/mistakes/entropy.py:entropy_math_keeps_zeros}",
          "cannot_run: a fixture of the test}")
    assert validate(course_copy).notes[0].startswith("entropy: 5 misconceptions, all told apart by its 10 cases")
