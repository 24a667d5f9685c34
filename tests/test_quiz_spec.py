"""A broken quiz file names file:line and what to do; the answers are computed and checked when it loads.
Also: the student folder (quiz.yaml, a bundle without answers) and the CLI end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from quiz_helpers import COURSE, ROOT, answer_of, fill

from grader.cli import cli
from grader.errors import SpecError
from grader.spec.course import load_course

QUIZ = "exercises/quiz_information_theory.yaml"


def _errors(root: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_course(root)
    return [str(p) for p in info.value.problems]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _line(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_quiz_loads_with_its_points(course_root):
    course = load_course(course_root)
    quiz = course.quizzes[0]
    assert (quiz.id, quiz.points, len(quiz.questions)) == ("information_theory", 20.0, 17)
    assert course.max_score == 50
    assert {q.type for q in quiz.questions} == {"single", "multiple", "true_false", "numeric"}
    assert all(q.intuition for q in quiz.questions)


def test_points_must_add_up(course_copy):
    _edit(course_copy / "course.yaml", "file: exercises/quiz_information_theory.yaml, points: 20",
          "file: exercises/quiz_information_theory.yaml, points: 25")
    assert _errors(course_copy) == [
        f"{QUIZ}:{_line(course_copy / QUIZ, '- id: log_units')}:3: the questions are worth 20 points but course.yaml "
        "gives quiz information_theory 25 points; make them agree"]


def test_unknown_key_in_a_question(course_copy):
    _edit(course_copy / QUIZ, "    type: true_false\n", "    type: true_false\n    hint: think\n")
    line = _line(course_copy / QUIZ, "hint: think")
    errors = _errors(course_copy)
    assert len(errors) == 1
    assert errors[0].startswith(f"{QUIZ}:{line}:5: unknown key 'hint' in questions[2]; allowed keys: accepts, answer, choices,")


def test_a_key_that_does_not_fit_the_type(course_copy):
    _edit(course_copy / QUIZ, "    type: true_false\n", "    type: true_false\n    unit: bits\n")
    assert _errors(course_copy) == [
        f"{QUIZ}:{_line(course_copy / QUIZ, 'unit: bits') }:5: questions[2] (surprise_certain): unit does not apply "
        "to a true_false question; it takes answer"]


def test_single_choice_needs_exactly_one_right_choice(course_copy):
    _edit(course_copy / QUIZ, '{id: log2, text: "log base 2",', '{id: log2, text: "log base 2", correct: true,')
    errors = _errors(course_copy)
    assert errors == [f"{QUIZ}:{_line(course_copy / QUIZ, '    choices:')}:5: questions[0] (log_units): a single-choice "
                      "question needs exactly one choice with correct: true, found 2"]


def test_duplicate_question_id(course_copy):
    _edit(course_copy / QUIZ, "  - id: why_uniform", "  - id: most_uncertain")
    errors = _errors(course_copy)
    assert len(errors) == 1
    assert "question id 'most_uncertain' is used twice (first on line" in errors[0]


def test_a_placeholder_without_a_parameter(course_copy):
    _edit(course_copy / QUIZ, "lands heads with probability {p}", "lands heads with probability {prob}")
    assert _errors(course_copy) == [
        f"{QUIZ}:{_line(course_copy / QUIZ, 'lands heads with') - 1}:5: questions[6] (coin_entropy): the text uses "
        "{prob} but the question has no parameter prob; parameters: p"]


def test_the_reference_function_must_exist(course_copy):
    _edit(course_copy / QUIZ, "answer: {function: coin_entropy}", "answer: {function: coin_entropi}")
    assert _errors(course_copy) == [
        f"{QUIZ}:{_line(course_copy / QUIZ, 'coin_entropi')}:13: questions[6] (coin_entropy): reference quiz.py has "
        "no function coin_entropi; did you mean coin_entropy?"]


def test_a_pinned_figure_must_match_the_reference(course_copy):
    _edit(course_copy / QUIZ, "expected: 2.585 ", "expected: 2.59  ")  # 2.58496 rounds to 2.58
    errors = _errors(course_copy)
    assert errors == [f"{QUIZ}:{_line(course_copy / QUIZ, 'expected: 2.59')}:15: questions[5] (fair_die): the "
                      "computed answer 2.584962500721156 disagrees with expected 2.59 by more than half a unit of "
                      "its last decimal (0.005); paste 2.584962500721156, or fix the reference"]


def test_a_pinned_figure_rounded_right_is_accepted(course_copy):
    _edit(course_copy / QUIZ, "expected: 2.585 ", "expected: 2.6   ")
    load_course(course_copy)


def test_a_misconception_that_equals_the_answer_is_caught(course_copy):
    _edit(course_copy / QUIZ, "p: {uniform: [0.05, 0.40], decimals: 2}", "p: {uniform: [0.05, 0.49], decimals: 2}")
    errors = _errors(course_copy)
    assert len(errors) == 1
    assert "(coin_entropy) with p=0.49: the misconception gives 1, which is within the tolerance of the correct" \
           " answer 0.999711" in errors[0]


def test_a_failing_reference_is_a_spec_problem(course_copy):
    (course_copy / "reference/quiz.py").write_text(
        (course_copy / "reference/quiz.py").read_text() + "\n\ndef coin_entropy(p):\n    return 1 / (p - 0.4)\n")
    errors = _errors(course_copy)
    assert any("(coin_entropy) with p=0.4: the answer could not be computed: ZeroDivisionError" in e for e in errors)


def test_a_quiz_listed_as_an_exercise(course_copy):
    _edit(course_copy / "course.yaml", "  - {id: kl_sweep, file: exercises/kl_sweep.yaml, points: 10}",
          "  - {id: kl_sweep, file: exercises/kl_sweep.yaml, points: 10}\n"
          "  - {id: quiz2, file: exercises/quiz_information_theory.yaml, points: 20}")
    assert f"{QUIZ}:2:7: this file is a quiz; list it under quizzes: in course.yaml" in _errors(course_copy)


def test_after_due_needs_a_date_that_parses(course_copy):
    _edit(course_copy / "course.yaml", "reveal: always ", "reveal: after_due\ndue: next friday\n")
    assert _errors(course_copy) == ["course.yaml:6:6: due: 'next friday' is not an ISO 8601 date-time; write e.g. "
                                    "2026-12-15T23:59:00Z"]


def test_an_unquoted_yaml_date_is_accepted(course_copy):
    _edit(course_copy / "course.yaml", "reveal: always ", "reveal: after_due\ndue: 2026-12-15T23:59:00Z\n")
    assert load_course(course_copy).due == "2026-12-15T23:59:00+00:00"


# ---------------------------------------------------------------- the student folder and the CLI


def test_build_writes_the_sheet_and_keeps_answers_out_of_the_bundle(tmp_path):
    out = tmp_path / "folder"
    result = CliRunner().invoke(cli, ["build", "--course", str(COURSE), "--out", str(out), "--student", "alice"])
    assert result.exit_code == 0, result.output
    sheet = (out / "quiz.yaml").read_text()
    assert 'student: "alice"' in sheet and "probability 0.21" in sheet
    bundle = (out / ".grader/public.json").read_text()
    data = json.loads(bundle)
    assert [q["id"] for q in data["quizzes"]] == ["information_theory"]
    quiz_part = json.dumps(data["quizzes"])
    for secret in ('"correct"', '"why"', '"intuition"', '"answer"', "0.7415", "6.64", "2.58"):
        assert secret not in quiz_part
    again = CliRunner().invoke(cli, ["build", "--course", str(COURSE), "--out", str(out), "--student", "alice"])
    assert again.exit_code == 4 and "quiz.yaml" in again.output  # a student's answers are never overwritten


def test_build_defaults_to_the_folder_name_and_refuses_odd_ids(tmp_path):
    result = CliRunner().invoke(cli, ["build", "--course", str(COURSE), "--out", str(tmp_path / "bob")])
    assert result.exit_code == 0
    assert 'student: "bob"' in (tmp_path / "bob/quiz.yaml").read_text()
    # a folder called "student" (the README's own example) reads as an id, not "for student student"
    assert CliRunner().invoke(cli, ["build", "--course", str(COURSE), "--out", str(tmp_path / "student")]).exit_code == 0
    assert (tmp_path / "student/quiz.yaml").read_text().splitlines()[1:3] == [
        "# Student id: student. Some numbers below were drawn for this id: another",
        "# student's sheet asks about different values, so answer the questions on your own sheet."]
    for odd in ("a\nb", "../x", "x/y", ".hidden"):  # ids grader batch would not accept as a student folder either
        bad = CliRunner().invoke(cli, ["build", "--course", str(COURSE), "--out", str(tmp_path / "x"), "--student", odd])
        assert bad.exit_code == 2 and bad.output == (
            f"Error: --student {odd!r} is not a usable id\n"
            "Use the student's login or number (no / or \\, not starting with a dot).\n"), bad.output
    assert not (tmp_path / "x").exists()


def _check(*args: str) -> str:
    result = CliRunner().invoke(cli, ["check", *args])
    assert result.exit_code in (0, 1), result.output
    return result.output


def test_check_grades_the_quiz_with_the_exercises(tmp_path, monkeypatch):
    """End to end: course mode grades the sheet, student mode only reads it, and a broken sheet does not
    stop the exercises from being graded."""
    out = tmp_path / "alice"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    built = subprocess.run([sys.executable, "-m", "grader", "build", "--course", str(COURSE), "--out", str(out)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    sheet = out / "quiz.yaml"
    sheet.write_text(fill(sheet.read_text(), {
        "fair_die": "2.585", "coin_entropy": f"{answer_of('coin_entropy', 'alice'):.3f}", "log_units": "log2",
        "perplexity": "many"}))
    record = json.loads(_check(str(out), "--course", str(COURSE), "--format", "json"))
    assert record["max_score"] == 50 and record["student"] == "alice"
    quiz = record["quizzes"][0]
    assert (quiz["id"], quiz["score"], quiz["max_score"]) == ("information_theory", 2.0, 20.0)
    by_id = {q["id"]: q for q in quiz["questions"]}
    assert by_id["log_units"]["status"] == "failed" and by_id["perplexity"]["status"] == "error"
    assert record["score"] == 2.0  # the stubs score nothing, the quiz two points

    text = _check(str(out), "--course", str(COURSE), "--templates", str(ROOT / "templates"))
    assert "Quiz: the ideas behind the numbers (quiz.yaml)  2/20" in text
    assert "  ✗ log_units  (failed)" in text

    monkeypatch.chdir(out)
    data = json.loads(_check(".", "--format", "json"))
    assert data["mode"] == "student" and data["quizzes"][0]["max_score"] == 0
    assert data["quizzes"][0]["message"].startswith("checked for readability only")
    monkeypatch.chdir(tmp_path)

    sheet.write_text(sheet.read_text().replace("  fair_die: 2.585", "  fair_die: [2.585"))
    broken = json.loads(_check(str(out), "--course", str(COURSE), "--format", "json", "--student", "alice"))
    assert all(q["status"] == "error" for q in broken["quizzes"][0]["questions"])
    assert broken["quizzes"][0]["questions"][0]["message"].startswith("not graded: quiz.yaml:")
    assert len(broken["exercises"]) == 3 and all(ex["checks"] for ex in broken["exercises"])
    assert broken["max_score"] == 50 and broken["grader_error"] is None

    sheet.write_text(sheet.read_text().replace("  fair_die: [2.585", "  fair_die: 2.585"))
    other = json.loads(_check(str(out), "--course", str(COURSE), "--format", "json", "--student", "bob"))
    assert other["student"] == "bob"
    assert "this sheet was built for student alice, but it is graded as bob" in other["quizzes"][0]["message"]


def test_an_exercise_listed_as_a_quiz(course_copy):
    _edit(course_copy / "course.yaml", "file: exercises/quiz_information_theory.yaml",
          "file: exercises/entropy.yaml")
    assert _errors(course_copy) == ["exercises/entropy.yaml:2:1: this file is an exercise; list it under "
                                    "exercises: in course.yaml"]
