"""Anything wrong in the author's files is a course error: exit 3, at the author's file:line, with a fix.

Exit 70 ("the grader itself crashed") stays for the grader's own bugs. Runs on the mini fixture course.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli


def _append(path: Path, text: str) -> int:
    """Append ``text``; returns the line number of its first line."""
    before = path.read_text("utf-8")
    path.write_text(before + text, "utf-8")
    return before.count("\n") + 1


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def _validate(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", "--course", str(root)])
    return result.exit_code, result.output


def _course_error(root: Path, *words: str) -> str:
    code, out = _validate(root)
    assert code == 3, out
    assert "bug in the grader" not in out and "crashed" not in out and "_grader_" not in out, out
    for w in words:
        assert w in out, out
    return out


def test_the_mini_course_validates(mini_copy):
    code, out = _validate(mini_copy)
    assert code == 0, out


def test_a_syntax_error_in_the_reference(mini_copy):
    line = _append(mini_copy / "reference/surprise.py", "\n\ndef broken(x:\n    return x\n")
    _course_error(mini_copy, f"reference/surprise.py:{line + 2}:", "SyntaxError", "fix the syntax")


def test_a_syntax_error_in_the_quiz_reference(mini_copy):
    line = _append(mini_copy / "reference/quiz.py", "\nif True\n")
    _course_error(mini_copy, f"reference/quiz.py:{line + 1}:", "SyntaxError")


def test_an_exception_in_the_reference_names_its_own_line(mini_copy):
    _edit(mini_copy / "reference/surprise.py", "    return float(sum(surprise(p) for p in probs))",
          "    return float(sum(surprise(p) for p in probs)) / (len(probs) - 2)")
    out = _course_error(mini_copy, "reference/surprise.py:11:", "ZeroDivisionError", "total_surprise()",
                        "exercises/surprise.yaml:", "fix the reference")
    assert "return float(sum(surprise(p) for p in probs)) / (len(probs) - 2)" in out


def test_an_exception_while_importing_the_reference(mini_copy):
    line = _append(mini_copy / "reference/surprise.py", "\nraise RuntimeError('half written')\n")
    _course_error(mini_copy, f"reference/surprise.py:{line + 1}:", "RuntimeError: half written")


def test_a_missing_reference_function_with_did_you_mean(mini_copy):
    _edit(mini_copy / "reference/surprise.py", "def total_surprise(", "def total_suprise(")
    _course_error(mini_copy, "exercises/surprise.yaml:", "reference/surprise.py has no function total_surprise()",
                  "did you mean total_suprise?")


def test_a_missing_mistake_function(mini_copy):
    _edit(mini_copy / "exercises/surprise.yaml", "surprise.py:total_without_minus", "surprise.py:total_without_minsu")
    _course_error(mini_copy, "exercises/surprise.yaml:", "has no function total_without_minsu()",
                  "did you mean total_without_minus?")


@pytest.mark.parametrize("bad,words", [
    ("reference/mistake/surprise.py:total_without_minus",
     ["reference/mistake/surprise.py does not exist", "did you mean reference/mistakes/surprise.py?"]),
    ("reference/mistakes/surprise.py", ["implementation"]),
])
def test_a_bad_implementation_path(mini_copy, bad, words):
    _edit(mini_copy / "exercises/surprise.yaml", "reference/mistakes/surprise.py:total_without_minus", bad)
    _course_error(mini_copy, "exercises/surprise.yaml:", *words)


def test_a_broken_mistakes_file(mini_copy):
    line = _append(mini_copy / "reference/mistakes/surprise.py", "\nraise ValueError('oops')\n")
    _course_error(mini_copy, f"reference/mistakes/surprise.py:{line + 1}:", "ValueError: oops")


def test_check_reports_a_broken_reference_as_a_course_error(mini_copy, tmp_path):
    _append(mini_copy / "reference/surprise.py", "\n\ndef broken(x:\n")
    sub = tmp_path / "alice"
    sub.mkdir()
    (sub / "surprise.py").write_text("def surprise(p):\n    return 1.0\n")
    result = CliRunner().invoke(cli, ["check", str(sub), "--course", str(mini_copy)])
    assert result.exit_code == 3, result.output
    assert "reference/surprise.py:" in result.output and "bug in the grader" not in result.output


@pytest.mark.parametrize("pinned,ok", [("3.585", True), ("3.58", True), ("3.6", True), ("3.59", False),
                                       ("3.5849", False), ("3.58496", True)])
def test_a_pinned_value_may_differ_by_half_a_unit_of_its_last_decimal(mini_copy, pinned, ok):
    """The reference gives 3.5849625...: every correct rounding passes, no wrong one does."""
    _edit(mini_copy / "exercises/surprise.yaml", "args: [[0.1666666666666667, 0.5]],",
          f"args: [[0.1666666666666667, 0.5]], expected: {pinned},")
    code, out = _validate(mini_copy)
    assert (code == 0) is ok, out


def test_a_wrong_pinned_value_prints_the_full_precision_value_to_paste(mini_copy):
    _edit(mini_copy / "exercises/surprise.yaml", "args: [[0.1666666666666667, 0.5]],",
          "args: [[0.1666666666666667, 0.5]], expected: 3.586,")
    _course_error(mini_copy, "exercises/surprise.yaml:27:", "half a unit of its last decimal, here 0.0005",
                  "the reference gives 3.5849625007211556: paste that")


def test_a_misconception_equal_to_the_reference_is_no_mistake(mini_copy):
    _edit(mini_copy / "reference/mistakes/surprise.py", "sum(math.log2(p)", "sum(-math.log2(p)")
    _course_error(mini_copy, "exercises/surprise.yaml:", "misconception missing-minus-sign is not a mistake",
                  "is it the reference itself?")


def test_a_misconception_the_cases_miss_is_shown_an_input_that_catches_it(mini_copy):
    _edit(mini_copy / "reference/mistakes/surprise.py", "return float(sum(math.log2(p) for p in probs))",
          "return float(sum(-math.log2(p) for p in probs)) + (1.0 if len(probs) == 2 and probs[0] > 0.6 else 0.0)")
    out = _course_error(mini_copy, "misconception missing-minus-sign matches the reference on every case",
                        "it differs on total_surprise(")
    assert "add a case like that one" in out


def test_an_exercise_file_course_yaml_does_not_list_is_warned_about(mini_copy):
    text = (mini_copy / "exercises/surprise.yaml").read_text().replace("id: surprise", "id: surprise2")
    (mini_copy / "exercises/surprise2.yaml").write_text(text)
    result = CliRunner().invoke(cli, ["validate", "--course", str(mini_copy)])
    assert result.exit_code == 0, result.output
    assert ("Warning: exercises/surprise2.yaml is not listed in course.yaml, so it is not graded; to grade it, add "
            "- {id: surprise2, file: exercises/surprise2.yaml, points: N} under exercises:") in result.output


def test_did_you_mean_for_keys_and_values(mini_copy):
    _edit(mini_copy / "exercises/surprise.yaml", "    returns: float\n    doc: |\n      Surprise",
          "    retruns: float\n    doc: |\n      Surprise")
    _course_error(mini_copy, "unknown key 'retruns' in functions.surprise; allowed keys:", "did you mean returns?")


def test_did_you_mean_for_a_case_calling_an_unknown_function(mini_copy):
    _edit(mini_copy / "exercises/surprise.yaml", "call: surprise, args: [0.5]", "call: suprise, args: [0.5]")
    _course_error(mini_copy, "'suprise' is not a function of this exercise", "did you mean surprise?")


@pytest.mark.parametrize("old,new,words", [
    ("    params: [p]\n", "\tparams: [p]\n", "YAML does not allow tabs for indentation: indent with spaces"),
    ("    params: [p]\n", "   params: [p]\n", "check the indentation of this line and the lines above it"),
    ('title: "Exercise 1: the surprise of an outcome"', "title: Exercise 1: the surprise",
     "a value that contains ': ' must be quoted"),
])
def test_plain_hints_for_yaml_indentation_tabs_and_colons(mini_copy, old, new, words):
    _edit(mini_copy / "exercises/surprise.yaml", old, new)
    _course_error(mini_copy, "exercises/surprise.yaml:", "invalid YAML", words)


def test_a_reader_that_leaves_early_is_not_a_grader_crash(mini_copy):
    """``grader validate | head -1``: the pipe closes before the grader writes; that is no bug to report."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "grader", "validate", "--course", str(mini_copy)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the first line
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert b"crashed" not in err and b"Traceback" not in err


def test_an_invariant_input_that_cannot_be_computed(course_copy):
    """Found by fuzzing the YAML: an invariant whose given: parses but fails when a trial is drawn (here p is
    a number, and lo takes p[0]) crashed the grader. It is the author's mistake, at the invariant's line, for
    validate and for every grading command alike."""
    _edit(course_copy / "exercises/kl_sweep.yaml", 'given: {p: "dist(3)", lo:', 'given: {p: "0.5", lo:')
    expected = ("exercises/kl_sweep.yaml:145:1: invariants[3] (sweep-lowest-at-p0): given.lo: "
                "'max(0.01, round(p[0] - 0.2, 2))': IndexError: too many indices for array: array is 0-dimensional, "
                "but 1 were indexed (in trial 1 of 6)\n"
                "Error: the course does not validate (1 problem)\n"
                "Fix the invariant's given: (or calls:) so that every trial can be computed; grader validate runs "
                "them all.\n")
    assert _course_error(course_copy).endswith(expected)
    submission = Path(__file__).parent / "scenarios" / "correct-math" / "submission"
    result = CliRunner().invoke(cli, ["check", str(submission), "--course", str(course_copy)])
    assert result.exit_code == 3 and result.output == expected, result.output


def test_a_linspace_bound_beyond_int64_is_a_number_like_any_other():
    """Found by fuzzing the YAML: ``stop: 1000000000000000000000000000000`` (a valid JSON Schema number) made
    NumPy hold an object array and crash; bounds are floats."""
    from grader.spec.generators import expand_arg

    values = expand_arg({"linspace": {"start": 0, "stop": 10**30, "num": 3}})
    assert values == [0.0, 5e29, 1e30] and all(type(v) is float for v in values)
