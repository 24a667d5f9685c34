"""Diagnosis that is never wrong and rarely silent: call graph, fingerprints, crash rules, blamed properties.

The diag-* scenarios are mistakes that are not single declared variants (upstream sign and base slips,
undeclared log bases, mean for sum, index for value, math-module crashes, mistakes written in callers,
two mistakes at once). Their scenario.yaml lists the declared ids that must be named and the relation
each undeclared mistake must get; nothing else may be named.
"""

from __future__ import annotations

import math

import pytest
import yaml
from conftest import COURSE, ROOT, SCENARIOS

from grader.errors import SpecError
from grader.judge.fingerprints import fingerprint
from grader.judge.invariants import Trial
from grader.record import Check, ExerciseResult, Status
from grader.reports.views import score, sections
from grader.spec.course import Case, Function, load_course
from grader.spec.tolerance import Tolerance

DIAG = sorted(p.parent.name for p in SCENARIOS.glob("diag-*/scenario.yaml"))


def _diagnoses(result) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for _, c in result.checks():
        if c.kind == "case" and c.diagnosis and c.function not in out:
            out[c.function] = c.diagnosis
    return out


def test_there_are_at_least_20_new_mistaken_scenarios():
    assert len(DIAG) >= 20


@pytest.mark.parametrize("name", DIAG)
def test_diag_scenario_names_exactly_what_it_declares(grade, name):
    spec = yaml.safe_load((SCENARIOS / name / "scenario.yaml").read_text())
    found = _diagnoses(grade(name))
    named = {d["id"] for d in found.values() if d.get("id")}
    relations = {f: d["relation"] for f, d in found.items() if d["kind"] == "relation"}
    # never wrong and never silent: exactly what the scenario makes is named
    assert named == set(spec["misconceptions"])
    assert relations == (spec.get("relations") or {})
    for d in found.values():
        if d["kind"] == "upstream":  # only ever said about a callee that really fails
            assert all(any(c.function == u and c.status != Status.PASSED for _, c in grade(name).checks())
                       for u in d["upstream"])


def test_a_correct_caller_is_not_blamed_for_its_callees_sign(grade):
    found = _diagnoses(grade("diag-ce-sign-upstream"))
    assert found["cross_entropy_loss"]["relation"] == "negation"
    assert found["loss_change"]["kind"] == "upstream" and found["loss_change"]["id"] is None
    assert found["loss_change"]["explanation"].startswith(
        "loss_change() builds on cross_entropy_loss(), which fails its own checks")
    found = _diagnoses(grade("diag-kl-sign-upstream"))
    assert "argmax-instead-of-argmin" not in {d["id"] for d in found.values()}
    assert found["best_q1"]["upstream"] == ["kl_sweep"]


def test_a_mistake_written_in_the_caller_is_named_there(grade):
    d = _diagnoses(grade("diag-kl-swap-in-sweep"))["kl_sweep"]
    assert (d["id"], d["where"]) == ("swapped-kl-arguments", "caller")
    assert d["explanation"].startswith("Your kl_divergence() is right, but kl_sweep() makes this mistake")


def test_relation_sentences_say_the_factor_and_the_evidence(grade):
    d = _diagnoses(grade("diag-ce-log10"))["cross_entropy_loss"]
    assert d["explanation"] == ("On all 6 cases your answer is 0.434 × the expected value, a factor of 1/ln 10: "
                                "that is log10 where ln was asked.")
    d = _diagnoses(grade("diag-best-q1-index"))["best_q1"]
    assert "you returned 124, and q1_values[124] = 0.598492 is the expected value" in d["explanation"]


def test_a_math_crash_on_a_zero_names_the_zero_probability_idea(grade):
    result = grade("diag-entropy-math-crash")
    d = _diagnoses(result)["entropy"]
    assert (d["id"], d["kind"]) == ("zero-probability-nan", "crash")
    assert d["explanation"].startswith("Your entropy() raised ValueError on 2 of 7 cases, each an input where "
                                       "min(probs) == 0, where this mistake raises it too: that crash is this mistake.")
    assert d["idea"].startswith("An outcome that never happens")


def test_two_mistakes_in_one_function_stay_silent_rather_than_guess(grade):
    assert "cross_entropy_loss" not in _diagnoses(grade("diag-two-crash-and-log10"))


def test_a_float_where_an_index_is_expected_is_a_wrong_type_even_when_whole(grade):
    checks = [c for _, c in grade("diag-most-uncertain-value").checks() if c.function == "most_uncertain"]
    assert checks[0].status == Status.ERROR
    assert checks[0].message == ("most_uncertain() returned the wrong type: expected an int (a position), got the "
                                 "float 2.0; a float here is usually a value, not an index")


def test_a_property_is_shown_under_the_function_that_breaks_it(grade):
    result = grade("mistake-natural-log")
    entropy_ex = next(ex for ex in result.exercises if ex.id == "entropy")
    moved = [c for c in entropy_ex.checks if c.kind == "invariant" and c.details.get("invariant")
             == "cross-entropy-is-entropy-plus-kl"]
    assert moved and moved[0].details["suspect"] == "entropy.entropy"
    assert moved[0].details["blame"] == ("entropy() fails its own cases, so this property fails because of "
                                         "entropy()")


# -- fingerprints on plain data ------------------------------------------------------------------

FN = Function("f", ("p",), "float", "", "", Tolerance(1e-5, 1e-6))
CASES = [Case(i, f"c{i}", "f", (args,), "public", 1.0) for i, args in
         enumerate([[0.5, 0.5], [0.25, 0.25, 0.5], [0.1, 0.2, 0.3, 0.4]])]
EXPECTED = {0: 1.0, 1: 1.5, 2: 1.8464}


def _kind(got: dict[int, float], fn: Function = FN, cases=CASES, expected=EXPECTED) -> str | None:
    r = fingerprint(fn, cases, expected, {i: (True, v) for i, v in got.items()})
    return r.kind if r else None


def test_each_relation_fires_only_when_it_fits_every_case():
    assert _kind({i: -v for i, v in EXPECTED.items()}) == "negation"
    assert _kind({i: v * math.log(2) for i, v in EXPECTED.items()}) == "log-base"
    assert _kind({0: 0.5, 1: 0.5, 2: 1.8464 / 4}) == "mean-instead-of-sum"
    assert _kind({i: v * 0.77 for i, v in EXPECTED.items()}) == "constant-ratio"
    assert _kind({i: v + 0.25 for i, v in EXPECTED.items()}) == "constant-offset"
    # fits two cases of three: nothing
    assert _kind({0: -1.0, 1: -1.5, 2: 1.0}) is None
    # right answers: nothing
    assert _kind(dict(EXPECTED)) is None


def test_a_fitted_factor_needs_three_values_and_a_crash_blocks_every_relation():
    two = CASES[:2]
    assert _kind({0: 0.77, 1: 1.155}, cases=two, expected={0: 1.0, 1: 1.5}) is None
    r = fingerprint(FN, CASES, EXPECTED, {0: (True, -1.0), 1: (True, -1.5), 2: (False, "ValueError")})
    assert r is None


def test_array_relations():
    fn = Function("s", ("q1",), "array", "", "", Tolerance(1e-5, 1e-6))
    cases = [Case(0, "a", "s", (0.1,), "public", 1.0), Case(1, "b", "s", (0.3,), "public", 1.0)]
    expected = {0: [0.1, 0.675, 0.225], 1: [0.3, 0.525, 0.175]}
    assert _kind({0: [0.225, 0.675, 0.1], 1: [0.175, 0.525, 0.3]}, fn, cases, expected) == "reversed"
    assert _kind({0: [0.675, 0.1, 0.225], 1: [0.525, 0.3, 0.175]}, fn, cases, expected) == "permutation"
    assert _kind({0: [0.1, 0.675], 1: [0.3, 0.525]}, fn, cases, expected) == "missing-last"


# -- the YAML: uses and crash are validated ----------------------------------------------------------

def _problems(root) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_course(root)
    return [str(p) for p in info.value.problems]


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_call_graph_is_inferred_from_the_reference():
    course = load_course(COURSE)
    uses = {f.name: f.uses for ex in course.exercises for f in ex.functions.values()}
    assert uses["most_uncertain"] == ("entropy",) and uses["best_q1"] == ("kl_sweep",)
    assert uses["kl_sweep"] == ("kl_divergence", "sweep_distribution") and uses["entropy"] == ()


def test_uses_naming_an_unknown_function_or_a_cycle_is_refused(course_copy):
    path = course_copy / "exercises/kl_sweep.yaml"
    _edit(path, "    params: [q1]\n", "    params: [q1]\n    uses: [kl_sweeep]\n")
    assert any("functions.sweep_distribution.uses: 'kl_sweeep' is not another function of this exercise" in p
               for p in _problems(course_copy))
    _edit(path, "    uses: [kl_sweeep]\n", "    uses: [kl_sweep]\n")
    assert any("a cycle" in p for p in _problems(course_copy))


def test_a_crash_rule_with_an_unknown_exception_is_refused(course_copy):
    _edit(course_copy / "exercises/entropy.yaml", "exception: ValueError,", "exception: [ValueErorr],")
    assert any("crash.exception: 'ValueErorr' is not a built-in exception" in p for p in _problems(course_copy))


# -- less noise ----------------------------------------------------------------------------------------

def test_scores_show_at_most_two_decimals():
    assert [score(x) for x in (5.533333, 19.5333, 20.0, 0.5, 0.125, -0.0)] == ["5.53", "19.53", "20", "0.5",
                                                                                "0.12", "0"]


def test_an_unimplemented_function_is_one_section_flagged_unimplemented():
    checks = [Check(f"f: c{i}", Status.ERROR, 0.0, 1.0, "not implemented yet: f() raises NotImplementedError",
                    function="f") for i in range(4)]
    (section,) = sections(ExerciseResult("e", "E", "e.py", 0.0, 4.0, checks))
    assert section.unimplemented


def test_the_smallest_counter_example_is_by_n_then_magnitude():
    small = Trial(0, {"p": [0.5, 0.5]}, {})
    bigger_n = Trial(1, {"p": [0.1, 0.1, 0.8]}, {})
    same_n_larger = Trial(2, {"p": [0.9, 0.9]}, {})
    assert sorted([bigger_n, same_n_larger, small], key=lambda t: t.size) == [small, same_n_larger, bigger_n]


def test_the_wrong_end_is_recognised_from_the_score_it_picks_by():
    from grader.judge.diagnose import ends

    course = load_course(COURSE)
    ex = next(e for e in course.exercises if e.id == "entropy")
    picks = ends(ex)
    fn = ex.functions["most_uncertain"]
    cases = [c for c in ex.cases if c.function == "most_uncertain"]
    expected = {c.index: picks[c.index]["max"] for c in cases}
    got = {c.index: (True, picks[c.index]["min"]) for c in cases}
    r = fingerprint(fn, cases, expected, got, picks)
    assert r is not None and r.kind == "wrong-end"
    assert r.sentence == ("On all 3 cases your answer is the other end: where entropy() is smallest, while the "
                          "largest was asked (argmax and argmin exchanged).")
    assert fingerprint(fn, cases, expected, {c.index: (True, expected[c.index]) for c in cases}, picks) is None


def test_a_local_check_says_once_when_the_public_cases_cannot_tell(tmp_path):
    """In a student folder: a relation is named from the public cases; an unknown mistake is said to be unknown."""
    from grader.authoring.bundle import build, bundle_variants, course_from_bundle
    from grader.judge.grade import Plan, grade_submission
    from grader.sandbox.client import Sandbox

    build(load_course(COURSE), tmp_path)
    for file in (SCENARIOS / "diag-ce-sign-upstream" / "submission").glob("*.py"):
        (tmp_path / file.name).write_text(file.read_text())
    entropy = (tmp_path / "entropy.py").read_text()
    (tmp_path / "entropy.py").write_text(entropy.replace("return float(-np.sum(p * np.log2(p)))",
                                                         "return float(np.sum(p * np.log2(p)) ** 2)"))
    course, expected = course_from_bundle(tmp_path)
    plan = Plan.build(course, "student", expected, variants=bundle_variants(tmp_path))
    with Sandbox() as sandbox:
        found = _diagnoses(grade_submission(plan, tmp_path, sandbox))
    assert found["cross_entropy_loss"]["relation"] == "negation"
    assert found["loss_change"]["kind"] == "upstream"
    assert found["entropy"]["kind"] == "undetermined"
    assert found["entropy"]["explanation"] == ("Your entropy() fails on the public cases, but they cannot tell which "
                                               "mistake it is; the hidden cases will tell.")
    assert "most_uncertain" not in found  # squaring keeps the order: it passes, nothing to say


def test_no_report_says_inf_times_or_nan_times():
    """Issue 23: an infinite answer "fitted" a ratio ("your answer is inf × the expected value"). No golden report
    or scenario record says it (the relation properties in test_diagnosis_properties.py prove it in general)."""
    files = [*SCENARIOS.glob("*/expected.json"), *(ROOT / "tests" / "feedback" / "golden").rglob("*.*")]
    assert len(files) > 80
    said = [f.name for f in files if any(w in f.read_text("utf-8", "replace") for w in ("inf ×", "nan ×"))]
    assert said == []


def test_reference_code_that_fails_while_scoring_the_choices_is_a_course_error(tmp_path, monkeypatch):
    """The answers at both ends come from the course's own code: when it raises, the course is at fault, and the
    error names the file and line (it was swallowed, and the wrong-end diagnosis silently went missing)."""
    import shutil

    from grader.judge import diagnose
    from grader.spec.reference import ReferenceError_

    course_dir = tmp_path / "course"
    shutil.copytree(COURSE, course_dir, ignore=shutil.ignore_patterns("__pycache__"))
    (course_dir / "reference" / "broken_entropy.py").write_text(
        "def entropy(probs):\n    raise ZeroDivisionError('a bug in the reference')\n")
    ex = next(e for e in load_course(course_dir).exercises if e.id == "entropy")
    load = diagnose.load_module

    def with_a_broken_entropy(path, name):
        module = load(path, name)
        module.entropy = load(course_dir / "reference" / "broken_entropy.py", "_broken").entropy
        return module

    monkeypatch.setattr(diagnose, "load_module", with_a_broken_entropy)
    with pytest.raises(ReferenceError_) as info:
        diagnose.ends(ex)
    [problem] = info.value.problems
    case = next(c for c in ex.cases if c.function == "most_uncertain")
    assert (problem.line, problem.message) == (2, (
        f"the reference raised while the diagnosis scored the choices of most_uncertain() with entropy() on case "
        f"{case.name!r}: ZeroDivisionError: a bug in the reference (in entropy: raise ZeroDivisionError('a bug in "
        "the reference')); fix the reference so that entropy() accepts each of them (the diagnosis compares a wrong "
        "answer with the best and worst by entropy())"))
    assert problem.file.endswith("reference/broken_entropy.py")
