"""`grader ci`, `check --format junit|gradescope`: exit codes against the threshold, and GitHub's files."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from quiz_helpers import write_sheet

from grader.authoring.bundle import build
from grader.cli import cli
from grader.errors import ExitCode
from grader.handoff.ci import exit_code
from grader.record import GradeResult
from grader.spec.course import load_course

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one
SCENARIOS = ROOT / "tests" / "scenarios"
XSD = etree.XMLSchema(etree.parse(str(ROOT / "tests" / "specs" / "junit-10.xsd")))
NOT_GITHUB = {"GITHUB_ACTIONS": None, "GITHUB_STEP_SUMMARY": None, "GITHUB_OUTPUT": None, "GITHUB_WORKSPACE": None}


def submission(name: str) -> str:
    return str(SCENARIOS / name / "submission")


def set_threshold(course: Path, value: str) -> None:
    path = course / "course.yaml"
    text, count = re.subn(r"(?m)^pass_threshold: \S+", f"pass_threshold: {value}", path.read_text())
    assert count == 1
    path.write_text(text)


@pytest.mark.parametrize(("scenario", "threshold", "code"), [
    ("correct-numpy", None, 0),
    ("untouched-stubs", None, 1),         # 0/30 with the course's 0.6
    ("broken-wrong-shape", "0.9", 1),     # 26/30 = 0.867
], ids=lambda v: str(v))
def test_ci_exit_code_follows_the_pass_threshold(course_copy, scenario, threshold, code):
    course = COURSE
    if threshold is not None:
        set_threshold(course_copy, threshold)
        course = course_copy
    result = CliRunner(env=NOT_GITHUB).invoke(cli, ["ci", submission(scenario), "--course", str(course)])
    assert result.exit_code == code, result.output
    assert "Score:" in result.output and "::" not in result.output  # outside GitHub: the text report only


@pytest.mark.parametrize(("score", "threshold", "grader_error", "code"), [
    (18, 0.6, None, ExitCode.OK),                 # exactly at the threshold passes
    (17.5, 0.6, None, ExitCode.BELOW_THRESHOLD),
    (0, 0.0, None, ExitCode.OK),                  # a threshold of 0 passes anything graded
    (30, 0.6, "worker died", ExitCode.INTERNAL),  # never blame the student for a grader crash
])
def test_exit_code_table(score, threshold, grader_error, code):
    passed = score >= threshold * 30
    result = GradeResult(course="c", student=None, mode="course", score=score, max_score=30, pass_threshold=threshold,
                         passed=passed, exercises=[], grader_error=grader_error)
    assert exit_code(result) == code


def test_check_keeps_exit_0_below_the_threshold():
    result = CliRunner(env=NOT_GITHUB).invoke(cli, ["check", submission("untouched-stubs"), "--course", str(COURSE)])
    assert result.exit_code == 0


def test_ci_on_github_writes_summary_output_and_annotations(tmp_path):
    repo = tmp_path / "repo"
    hw = repo / "hw"
    shutil.copytree(SCENARIOS / "broken-wrong-shape" / "submission", hw)
    sheet = write_sheet(hw, "alice", {"log_units": "ln"})  # one right answer, the other 16 left blank
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
           "GITHUB_WORKSPACE": str(repo)}
    result = CliRunner(env=env).invoke(cli, ["ci", str(hw), "--course", str(COURSE), "--student", "alice"])
    assert result.exit_code == 1, result.output  # 27/50 is below 60%
    lines = result.stdout.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert lines[0].startswith("::stop-commands::") and f"::{token}::" in lines
    resumed = lines.index(f"::{token}::")
    assert all(not line.startswith("::") for line in lines[1:resumed])  # report inside the guard
    errors = [line for line in lines[resumed:] if line.startswith("::error ")]
    assert errors[0].startswith("::error file=hw/quiz.yaml,line=")  # 19 points lost: first
    entry = sheet.read_text().splitlines()[int(errors[0].split("line=")[1].split(",")[0]) - 1]
    assert re.match(r"^  \w+:$", entry) and not entry.startswith("  log_units:")  # the first blank answer
    assert errors[1].startswith("::error file=hw/kl_sweep.py,line=19,title=sweep_distribution()%3A 2 of 2 checks failed::")
    assert lines[-1].startswith("::notice title=Score::27/50")
    assert "### What to fix" in summary.read_text()
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert values["score"] == "27" and values["max-score"] == "50" and values["passed"] == "false"
    classroom = json.loads(base64.b64decode(values["result"]))
    assert classroom["status"] == "fail" and len(classroom["tests"]) == 31 + 17  # cases, questions (properties: 0 points)


def test_ci_below_threshold_on_github_fails_and_classroom_says_fail(tmp_path):
    output = tmp_path / "output"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": None}
    result = CliRunner(env=env).invoke(cli, ["ci", submission("untouched-stubs"), "--course", str(COURSE)])
    assert result.exit_code == 1
    encoded = output.read_text().splitlines()[0].removeprefix("result=")
    assert json.loads(base64.b64decode(encoded))["status"] == "fail"


def test_ci_spec_error_on_github_is_an_annotation(course_copy):
    (course_copy / "exercises" / "entropy.yaml").write_text("id: entropy\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": None, "GITHUB_OUTPUT": None}
    result = CliRunner(env=env).invoke(cli, ["ci", submission("correct-numpy"), "--course", str(course_copy)])
    assert result.exit_code == 3
    assert result.stderr.startswith("::error title=grader ci could not grade::")


@pytest.mark.parametrize("command", ["check", "ci"])
def test_junit_output_file_validates(tmp_path, command):
    out = tmp_path / "report.xml"
    result = CliRunner(env=NOT_GITHUB).invoke(cli, [command, submission("broken-exception"), "--course", str(COURSE),
                                                    "--format", "junit", "--output", str(out)])
    assert result.exit_code == (1 if command == "ci" else 0), result.output  # 28/50 without a quiz sheet
    assert XSD.validate(etree.parse(str(out))), XSD.error_log
    if command == "ci":
        assert "Score: 28/50" in result.output  # the log still shows the text report


def test_machine_format_on_stdout_keeps_annotations_off_stdout(tmp_path):
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": None, "GITHUB_OUTPUT": None}
    result = CliRunner(env=env).invoke(cli, ["ci", submission("broken-exception"), "--course", str(COURSE), "--format", "junit"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    token = lines[0].removeprefix("::stop-commands::")  # fenced: JUnit text can hold a student's raw lines
    assert lines[0].startswith("::stop-commands::") and lines[-1] == f"::{token}::"
    assert XSD.validate(etree.fromstring("\n".join(lines[1:-1]).encode())), XSD.error_log
    assert "::error " in result.stderr


def test_check_gradescope_format_on_stdout():
    result = CliRunner(env=NOT_GITHUB).invoke(cli, ["check", submission("correct-numpy"), "--course", str(COURSE),
                                                    "--format", "gradescope"])
    data = json.loads(result.stdout)
    assert data["score"] == 30 and len(data["tests"]) == 31 + 8 + 17  # cases, properties, then quiz questions


def test_ci_in_a_student_folder_grades_public_checks_only(tmp_path, monkeypatch):
    folder = tmp_path / "student"
    build(load_course(COURSE), folder)
    for path in (SCENARIOS / "correct-numpy" / "submission").glob("*.py"):
        shutil.copy(path, folder / path.name)
    monkeypatch.chdir(tmp_path)
    result = CliRunner(env=NOT_GITHUB).invoke(cli, ["ci", str(folder), "--format", "gradescope"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "Only the public checks were graded." in data["output"]
    assert all(t["visibility"] == "visible" for t in data["tests"])
    # exactly the public cases, in the course's order, then each exercise's properties, then the quiz questions
    course = load_course(COURSE)
    public = [name for ex in course.exercises
              for name in [f"{c.function}: {c.name}" for c in ex.cases if c.visibility == "public"]
              + [f"property: {inv.says}" for inv in ex.invariants]]
    public += [f"{quiz.title}: {q.id}" for quiz in course.quizzes for q in quiz.questions]
    assert [t["name"] for t in data["tests"]] == public
    assert (len(public), sum(t["max_score"] for t in data["tests"])) == (13 + 8 + 17, 12.5)


def test_course_reveal_policy_reaches_gradescope(course_copy):
    path = course_copy / "course.yaml"
    path.write_text(re.sub(r"(?m)^reveal: \S+", "reveal: never", path.read_text()))
    result = CliRunner(env=NOT_GITHUB).invoke(cli, ["check", submission("correct-numpy"), "--course", str(course_copy),
                                                    "--format", "gradescope"])
    tests = json.loads(result.stdout)["tests"]
    public = {c.check_name for ex in load_course(course_copy).exercises for c in ex.cases if c.visibility == "public"}
    assert {t["visibility"] for t in tests if t["name"] in public} == {"visible"}
    hidden = {c.check_name for ex in load_course(course_copy).exercises for c in ex.cases if c.visibility == "hidden"}
    assert {t["visibility"] for t in tests if t["name"] in hidden} == {"hidden"}
