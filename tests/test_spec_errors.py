"""A broken spec names file:line:column and the key, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.errors import SpecError
from grader.spec.course import load_course


def _errors(root: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_course(root)
    return [str(p) for p in info.value.problems]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_bundled_course_validates(course_root):
    result = CliRunner().invoke(cli, ["validate", "--course", str(course_root)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # the fixture's modelines point where the bundled course's do (tests/fixtures/README.md): from here, nowhere
    assert {w.split(": the schema modeline points at ")[1].split(",")[0] for w in result.stderr.splitlines()} == {
        "grader/spec/schemas/course.schema.json", "../grader/spec/schemas/exercise.schema.json",
        "../grader/spec/schemas/quiz.schema.json"}
    assert lines[0] == ("Fundamentals of Information Theory: 3 exercises, 31 cases "
                        "(13 pinned to the lesson's figures), quiz information_theory (17 questions), "
                        "50 points. All valid.")
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["entropy", "cross_entropy", "kl_sweep"]


def test_unknown_key_names_line_and_allowed_keys(course_copy):
    _edit(course_copy / "exercises/entropy.yaml", "    returns: float\n", "    returns: float\n    retruns: int\n")
    errors = _errors(course_copy)
    assert len(errors) == 1
    assert errors[0].startswith("exercises/entropy.yaml:16:5: unknown key 'retruns' in functions.entropy; "
                                "allowed keys: doc, intuition, params, plot, returns, tolerance")


def test_duplicate_key(course_copy):
    _edit(course_copy / "course.yaml", "pass_threshold: 0.6", "pass_threshold: 0.6\npass_threshold: 0.7")
    assert _errors(course_copy) == [
        "course.yaml:5:1: duplicate key 'pass_threshold' (first defined on line 4); keep only one"]


def test_bad_enum_value(course_copy):
    _edit(course_copy / "exercises/kl_sweep.yaml", "visibility: public", "visibility: secret")
    errors = _errors(course_copy)
    assert errors == ["exercises/kl_sweep.yaml:54:159: cases[0].visibility: 'secret' is not allowed; "
                      "use one of 'public', 'hidden'"]


def test_negative_tolerance_is_rejected(course_copy):
    _edit(course_copy / "course.yaml", "rtol: 1.0e-5", "rtol: -1.0e-5")
    errors = _errors(course_copy)
    assert errors == ["course.yaml:19:11: defaults.limits.rtol: -1e-05 is less than the minimum of 0"] or \
        any("rtol" in e and "minimum of 0" in e for e in errors)


def test_points_must_add_up(course_copy):
    _edit(course_copy / "course.yaml", "{id: entropy, file: exercises/entropy.yaml, points: 10}",
          "{id: entropy, file: exercises/entropy.yaml, points: 12}")
    assert _errors(course_copy) == [
        "exercises/entropy.yaml:40:3: the cases are worth 10 points but course.yaml gives exercise entropy "
        "12 points; make them agree"]


def test_yaml_syntax_error(course_copy):
    _edit(course_copy / "exercises/entropy.yaml", "title: \"Exercise 1", "title: [\"Exercise 1")
    errors = _errors(course_copy)
    assert len(errors) == 1 and errors[0].startswith("exercises/entropy.yaml:")
    assert "invalid YAML" in errors[0]


def test_cli_prints_problems_and_exit_code(course_copy):
    _edit(course_copy / "exercises/entropy.yaml", "call: most_uncertain", "call: most_uncertian")
    result = CliRunner().invoke(cli, ["validate", "--course", str(course_copy)])
    assert result.exit_code == 3
    assert "exercises/entropy.yaml:" in result.output
    assert "'most_uncertian' is not a function of this exercise; use one of entropy, most_uncertain" in result.output
    assert result.output.rstrip().endswith("Error: the course does not validate (1 problem)")
    assert "Traceback" not in result.output


def test_reference_must_match_the_lessons_figures(course_copy):
    _edit(course_copy / "exercises/entropy.yaml", "expected: 0.2419,", "expected: 0.2519,")
    result = CliRunner().invoke(cli, ["validate", "--course", str(course_copy)])
    assert result.exit_code == 3
    assert "case 'almost certain': the reference disagrees with expected: expected 0.2519, got 0.241941 (off by 0.00995927" \
        in result.output
