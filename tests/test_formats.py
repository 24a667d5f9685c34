"""Each machine format checked against its specification: JUnit (XSD), Gradescope, GitHub, Classroom."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from grader.judge.grade import Plan, grade_submission
from grader.record import Check, ExerciseResult, GradeResult, QuestionResult, QuizResult, Status
from grader.reports.formats import github, gradescope, items, junit
from grader.reports.render import FORMATS, render
from grader.sandbox.client import Sandbox
from grader.spec.course import load_course
from grader.spec.expected import reference_outputs

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one
SCENARIOS = ROOT / "tests" / "scenarios"
XSD = etree.XMLSchema(etree.parse(str(ROOT / "tests" / "specs" / "junit-10.xsd")))
GRADED = ("correct-numpy", "broken-wrong-shape", "broken-syntax-error", "untouched-stubs", "broken-exception",
          "hostile-stdout-flood", "hostile-sys-exit")


@pytest.fixture(scope="module")
def graded() -> dict[str, GradeResult]:
    course = load_course(COURSE)
    plan = Plan.build(course, "course", reference_outputs(course))
    with Sandbox() as sandbox:
        return {name: grade_submission(plan, SCENARIOS / name / "submission", sandbox, student=name) for name in GRADED}


def check(name: str, status: Status, points: float = 1.0, **kw) -> Check:
    return Check(name=name, status=status, score=points if status == Status.PASSED else 0.0, max_score=points,
                 message=kw.pop("message", "ok" if status == Status.PASSED else "wrong"), **kw)


def made_up(checks: list[Check], *, reveal: str = "always", quizzes: list[QuizResult] | None = None,
            grader_error: str | None = None, threshold: float = 0.6) -> GradeResult:
    ex = ExerciseResult(id="entropy", title="Exercise 1", file="entropy.py", score=sum(c.score for c in checks),
                        max_score=sum(c.max_score for c in checks), checks=checks)
    exercises = [ex]
    quizzes = quizzes or []
    score = ex.score + sum(q.score for q in quizzes)
    max_score = ex.max_score + sum(q.max_score for q in quizzes)
    return GradeResult(course="Course", student="s1", mode="course", score=score, max_score=max_score,
                       pass_threshold=threshold, passed=score >= threshold * max_score, exercises=exercises,
                       quizzes=quizzes, grader_error=grader_error, duration=0.25, reveal=reveal)


def test_machine_formats_are_registered():
    assert {"text", "json", "junit", "gradescope"} <= set(FORMATS)


# --- JUnit -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", GRADED)
def test_junit_validates_against_the_jenkins_xsd(graded, name):
    text = render(graded[name], "junit")
    doc = etree.fromstring(text.encode("utf-8"))
    assert XSD.validate(doc), XSD.error_log
    assert "skipped" not in doc.attrib  # junit-10.xsd has no skipped on <testsuites>


def test_junit_one_suite_per_exercise_or_quiz_one_case_per_check(graded):
    result = graded["broken-exception"]
    doc = etree.fromstring(render(result, "junit").encode())
    suites = doc.findall("testsuite")
    assert [s.get("name") for s in suites] == [ex.id for ex in result.exercises] + [q.id for q in result.quizzes]
    assert result.quizzes, "the course has a quiz: it is a suite too"
    for suite, ex in zip(suites, result.exercises, strict=False):
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [c.name for c in ex.checks]
        assert int(suite.get("tests")) == len(ex.checks)
        assert int(suite.get("errors")) == sum(c.status == Status.ERROR for c in ex.checks)
        assert int(suite.get("failures")) == sum(c.status == Status.FAILED for c in ex.checks)
    quiz = suites[-1]
    assert [c.get("name") for c in quiz.findall("testcase")] == [q.id for q in result.quizzes[0].questions]
    assert int(doc.get("tests")) == len(items(result)) == len(result.checks()) + len(result.quizzes[0].questions)


def test_junit_failure_for_wrong_answers_error_for_crashes(graded):
    doc = etree.fromstring(render(graded["broken-wrong-shape"], "junit").encode())
    failed = doc.find(".//testcase[@name='sweep_distribution: q1 = 0.1']")
    assert failed.find("failure") is not None and failed.find("error") is None
    assert "expected: [0.1, 0.675, 0.225]" in failed.find("failure").text
    assert "at kl_sweep.py:" in failed.find("failure").text
    doc = etree.fromstring(render(graded["broken-syntax-error"], "junit").encode())
    crashed = doc.find(".//testcase[@name='entropy: four-sided die']")
    assert crashed.find("error") is not None and crashed.find("failure") is None
    assert crashed.get("classname") == "entropy.entropy"


def test_junit_survives_control_characters_and_quizzes():
    result = made_up(
        [check("entropy: a", Status.FAILED, function="entropy", output="bell \x07 and \x1b[31mred\n", expected=1.0,
               got=2.0, message="wrong <value> & \"quotes\"")],
        quizzes=[QuizResult(id="quiz", title="Quiz", score=1, max_score=2, questions=[
            QuestionResult(id="q1", status=Status.PASSED, score=1, max_score=1, message="ok"),
            QuestionResult(id="q2", status=Status.FAILED, score=0, max_score=1, message="not bits")])],
        grader_error="worker died")
    text = render(result, "junit")
    doc = etree.fromstring(text.encode())
    assert XSD.validate(doc), XSD.error_log
    assert "#x07" in doc.find(".//system-out").text
    assert junit.clean("a\x00b\tc\n") == "a#x00b\tc\n"
    assert [s.get("name") for s in doc.findall("testsuite")] == ["entropy", "quiz", "grader"]
    assert doc.find("testsuite[@name='grader']/testcase/error").text == "worker died"
    assert doc.get("errors") == "1" and doc.get("failures") == "2"


# --- Gradescope ------------------------------------------------------------------------------------

GRADESCOPE_SCHEMA = json.loads((ROOT / "tests" / "specs" / "gradescope-results.schema.json").read_text())


@pytest.mark.parametrize("name", GRADED)
def test_gradescope_results_follow_the_spec(graded, name):
    result = graded[name]
    data = json.loads(render(result, "gradescope"))
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert data["score"] == result.score
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(result.score)
    assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(result.max_score)
    assert data["execution_time"] == pytest.approx(result.duration, abs=1e-3)
    questions = [f"{q.title}: {qq.id}" for q in result.quizzes for qq in q.questions]
    assert [t["name"] for t in data["tests"]] == [c.name for _, c in result.checks()] + questions
    assert data["tests"][0]["number"] == "1.1"
    assert data["stdout_visibility"] == "hidden"


@pytest.mark.parametrize(("reveal", "hidden_as"), [("always", "visible"), ("after_due", "after_due_date"),
                                                    ("never", "hidden")])
def test_gradescope_hidden_checks_follow_the_reveal_policy(reveal, hidden_as):
    result = made_up([check("entropy: public", Status.PASSED, visibility="public"),
                      check("entropy: secret", Status.FAILED, visibility="hidden")], reveal=reveal)
    tests = gradescope.to_gradescope(result)["tests"]
    assert [t["visibility"] for t in tests] == ["visible", hidden_as]
    assert [t["status"] for t in tests] == ["passed", "failed"]


def test_gradescope_student_output_goes_into_output_capped(graded):
    flood = json.loads(render(graded["hostile-stdout-flood"], "gradescope"))  # passed or killed: either way capped
    assert all(len(t["output"]) < gradescope.OUTPUT_CHARS + 2000 for t in flood["tests"])
    result = made_up([check("entropy: a", Status.FAILED, output="debug: 7\n", expected=1.0, got=7.0, input="entropy([1])",
                            misconception="natural-log")])
    out = gradescope.to_gradescope(result)["tests"][0]["output"]
    assert out.splitlines() == ["wrong", "input:    entropy([1])", "expected: 1", "got:      7",
                                "likely mistake: natural-log", "your code printed:", "debug: 7"]
    long = made_up([check("entropy: a", Status.PASSED, output="x" * 50_000)])
    out = gradescope.to_gradescope(long)["tests"][0]["output"]
    assert len(out) < gradescope.OUTPUT_CHARS + 200 and "48000 more characters of output cut" in out


def test_gradescope_crash_results_are_valid_and_say_so():
    data = gradescope.crash_results("RuntimeError: boom", 1.5)
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert data["score"] == 0 and "not a problem with your code" in data["output"] and "boom" in data["output"]
    grader_broke = gradescope.to_gradescope(made_up([check("entropy: a", Status.PASSED)], grader_error="x"))
    assert "not a problem with your code" in grader_broke["output"]


# --- GitHub: workflow commands -----------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "data", "prop"), [
    ("50%", "50%25", "50%25"),
    ("a\nb", "a%0Ab", "a%0Ab"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("f(x): 1, 2", "f(x): 1, 2", "f(x)%3A 1%2C 2"),
    ("%0A literal", "%250A literal", "%250A literal"),
    ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
], ids=["percent", "newline", "crlf", "colon-comma", "escaped-twice", "nested-command"])
def test_annotation_escaping_matches_the_toolkit(raw, data, prop):
    assert github.escape_data(raw) == data
    assert github.escape_property(raw) == prop


def test_annotation_command_shape():
    line = github.command("error", "got 4,\nexpected 3", file="src/a b.py", line=12, title="f: wrong, badly")
    assert line == "::error file=src/a b.py,line=12,title=f%3A wrong%2C badly::got 4,%0Aexpected 3"
    assert "\n" not in line
    assert github.command("notice", "x") == "::notice::x"


def test_annotations_point_at_the_students_file_and_line(graded, tmp_path):
    submission = SCENARIOS / "broken-wrong-shape" / "submission"
    picked, left_out = github.pick_annotations(graded["broken-wrong-shape"], submission, ROOT)
    assert left_out == 0
    assert [(a.file, a.title) for a in picked] == [
        (None, "quiz information_theory: 17 of 17 questions errored"),  # 20 points lost first; no quiz.yaml here
        ("tests/scenarios/broken-wrong-shape/submission/kl_sweep.py", "sweep_distribution(): 2 of 2 checks failed"),
        ("tests/scenarios/broken-wrong-shape/submission/kl_sweep.py", "kl_sweep(): 3 of 3 checks failed"),
        (None, "kl_sweep: properties on random inputs: 1 of 4 properties failed"),  # advisory: 0 points lost
    ]
    lines = (submission / "kl_sweep.py").read_text().splitlines()
    for a in picked[1:3]:
        assert lines[a.line - 1].startswith(f"def {a.title.split('(')[0]}(")
    # outside the workspace there is no file GitHub could show, so no file property
    picked, _ = github.pick_annotations(graded["broken-wrong-shape"], submission, tmp_path)
    assert all(a.file is None for a in picked)
    assert all(",line=" not in a.render() for a in picked)  # a line without its file means nothing


def test_at_most_ten_annotations_most_points_lost_first():
    checks = [check(f"f{i}: case", Status.FAILED, points=float(i), function=f"f{i}") for i in range(1, 15)]
    checks.append(check("g: crash", Status.ERROR, points=14.0, function="g"))
    picked, left_out = github.pick_annotations(made_up(checks))
    assert len(picked) == 10 and left_out == 5
    assert [a.title.split("(")[0] for a in picked] == ["g", "f14", "f13", "f12", "f11", "f10", "f9", "f8", "f7", "f6"]
    lines = github.workflow_commands(made_up(checks))
    assert sum(line.startswith("::error") for line in lines) == 10
    assert lines[-1].startswith("::notice title=Score::") and "5 more failing functions" in lines[-1]


def test_grader_error_is_the_first_annotation():
    picked, _ = github.pick_annotations(made_up([check("f: a", Status.FAILED, function="f")], grader_error="boom"))
    assert picked[0].title.startswith("The grader itself failed") and picked[0].message == "boom"


def test_stop_commands_guard_uses_a_token_not_in_the_text():
    start, body, end = github.guarded("::error::forged\n")
    token = start.removeprefix("::stop-commands::")
    assert len(token) == 32 and token not in body and end == f"::{token}::"


# --- GitHub: step summary ----------------------------------------------------------------------------

def test_step_summary_has_the_table_and_each_failure(graded):
    text = github.step_summary(graded["broken-wrong-shape"])
    assert "| ⚠️ | Exercise 3: KL divergence along a sweep of predictions | `kl_sweep.py` | 6/10 | 9/15 |" in text
    assert text.count("#### ❌") == 6  # 5 wrong shapes and 1 advisory property
    assert "expected: [0.1, 0.675, 0.225]" in text


def test_step_summary_shows_misconceptions_and_fences_student_text():
    result = made_up([check("f: a", Status.FAILED, function="f", misconception="natural-log",
                            message="raised ```` | not closed")])
    text = github.step_summary(result)
    assert "**Likely mistake:** natural-log" in text
    assert "`````text\nraised ```` | not closed" in text  # the fence is longer than any run in the text


def test_step_summary_stays_under_the_limit():
    checks = [check(f"f: case {i}", Status.ERROR, function="f", message="x" * 1900, input="f(" + "9" * 290 + ")")
              for i in range(800)]
    full = github.step_summary(made_up(checks), limit=10**9)
    assert len(full.encode()) > github.SUMMARY_LIMIT
    text = github.step_summary(made_up(checks))
    assert len(text.encode()) <= github.SUMMARY_LIMIT - github.SUMMARY_MARGIN
    shown = text.count("#### 💥")
    assert 0 < shown < 800
    assert f"and {800 - shown} more failing checks" in text


# --- GitHub Classroom --------------------------------------------------------------------------------

CLASSROOM_SCHEMA = json.loads((ROOT / "tests" / "specs" / "classroom-result.schema.json").read_text())


@pytest.mark.parametrize(("name", "status"), [
    ("correct-numpy", "pass"),        # 30/50 without a quiz sheet: exactly the 60% threshold
    ("broken-wrong-shape", "fail"),   # 26/50
    ("untouched-stubs", "fail"),
])
def test_classroom_result_decodes_into_the_reporter_shape(graded, tmp_path, name, status):
    result = graded[name]
    out = tmp_path / "github_output"
    out.write_text("earlier=1\n")
    github.write_outputs(result, out)
    lines = out.read_text().splitlines()
    assert lines[0] == "earlier=1"
    encoded = next(line for line in lines if line.startswith("result=")).removeprefix("result=")
    data = json.loads(base64.b64decode(encoded, validate=True).decode("utf-8"))
    jsonschema.validate(data, CLASSROOM_SCHEMA)
    assert data["status"] == status
    # what the reporter computes: total = sum of tests[].score over runners with a max_score
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(result.score)
    assert data["max_score"] == result.max_score
    assert f"passed={'true' if result.passed else 'false'}" in lines


def test_classroom_status_error_when_the_grader_broke():
    data = github.classroom_result(made_up([check("f: a", Status.PASSED)], grader_error="boom"))
    assert data["status"] == "error"


def test_values_are_not_repeated_when_the_message_has_them():
    said = check("entropy: a", Status.FAILED, expected=2.0, got=1.38629, message="expected 2, got 1.38629 (off by 0.6)")
    shape = check("sweep: b", Status.FAILED, expected=[0.1, 0.675, 0.225], got=[0.1, 0.9],
                  message="wrong shape: expected an array of shape (3,), got shape (2,)")
    tests = gradescope.to_gradescope(made_up([said, shape]))["tests"]
    assert "got:" not in tests[0]["output"]
    assert "got:      [0.1, 0.9]" in tests[1]["output"]
    summary = github.step_summary(made_up([said, shape]))
    assert summary.count("got:      ") == 1


# The reporter's counting, reimplemented from classroom-resources/autograding-grading-reporter at the pinned
# commit (d13b591, tag v1; dist/main.js is built from these sources):
# - src/notify-classroom.js: for each runner with a truthy max_score, totalPoints += every tests[].score,
#   maxPoints += max_score; notice "Points ${totalPoints}/${maxPoints}" (what Classroom records);
# - src/helpers/test-helpers.js getTestScore: (tests with status "pass" / tests.length) * max_score, printed by
#   src/console-results.js as "Total points for <runner>: <toFixed(2)>/<max_score>".

def _js_number(x: float) -> str:
    """JavaScript's Number#toString for the values a score takes (shortest round trip, no ".0")."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e21 else repr(float(x))


def reporter_points(results: dict) -> str:
    total, most = 0, 0
    if results["max_score"]:
        most += results["max_score"]
        for test in results["tests"]:
            total += test["score"]  # in order, in IEEE doubles, as Array#forEach adds them
    return f"Points {_js_number(total)}/{_js_number(most)}"


def reporter_log_line(results: dict, runner: str = "grader") -> str:
    passed = sum(t["status"] == "pass" for t in results["tests"])
    score = passed / len(results["tests"]) * (results["max_score"] or 0)
    return f"Total points for {runner}: {score:.2f}/{_js_number(results['max_score'])}"


def _answered_quiz_result(tmp_path: Path) -> GradeResult:
    import shutil

    from quiz_helpers import right_answers, write_sheet

    folder = tmp_path / "alice"
    shutil.copytree(SCENARIOS / "correct-numpy" / "submission", folder)
    write_sheet(folder, "alice", right_answers("alice"))
    course = load_course(COURSE)
    with Sandbox() as sandbox:
        return grade_submission(Plan.build(course, "course", reference_outputs(course)), folder, sandbox,
                                student="alice")


@pytest.mark.parametrize("name", GRADED)
def test_classroom_points_notice_is_the_recorded_score(graded, name):
    """What Classroom records (the Points notice) is exactly our score, digit for digit, for every scenario."""
    result = graded[name]
    from grader.spec.tolerance import fmt

    data = github.classroom_result(result)
    assert reporter_points(data) == f"Points {fmt(result.score)}/{fmt(result.max_score)}"
    assert data["tests"], "an empty tests list makes the reporter divide 0 by 0"


def test_classroom_unanswered_quiz_is_one_failed_test(graded):
    result = graded["correct-numpy"]  # 30/50: every exercise check passes, no quiz sheet
    quiz = result.quizzes[0]
    assert len(quiz.questions) == 17
    data = github.classroom_result(result)
    quiz_tests = [t for t in data["tests"] if t["name"].startswith(quiz.title)]
    assert [(t["name"], t["status"], t["score"]) for t in quiz_tests] == [(f"{quiz.title}: not answered", "fail", 0)]
    assert "none of the 17 questions is answered in quiz.yaml" in quiz_tests[0]["message"]
    # 31 cases (all passed) and the quiz: the log line says 31/32 x 50 where it said 39/56 x 50 = 34.82
    # before (the 8 properties are worth 0 points and stay in the job summary, out of the count)
    assert len(data["tests"]) == 32
    assert reporter_log_line(data) == "Total points for grader: 48.44/50"
    assert reporter_points(data) == "Points 30/50"


def test_classroom_answered_quiz_lists_its_questions_and_counts_alike(tmp_path):
    result = _answered_quiz_result(tmp_path)
    assert result.score == result.max_score == 50
    data = github.classroom_result(result)
    assert sum(t["name"].startswith(result.quizzes[0].title) for t in data["tests"]) == 17
    # every test passed with all its points: the log line and the recorded points agree
    assert reporter_log_line(data) == "Total points for grader: 50.00/50"
    assert reporter_points(data) == "Points 50/50"


def test_classroom_tests_pass_only_with_all_their_points_and_are_worth_points():
    partial = check("entropy: half", Status.PASSED, points=2.0)
    partial.score = 1.0
    zero = check("entropy: informational", Status.FAILED, points=0.0)
    result = made_up([check("entropy: a", Status.PASSED), partial, zero])
    data = github.classroom_result(result)
    assert [(t["name"], t["status"], t["score"]) for t in data["tests"]] == [("entropy: a", "pass", 1.0),
                                                                              ("entropy: half", "fail", 1.0)]
    assert reporter_points(data) == "Points 2/3"


def test_record_json_keeps_nan_inside_lists_as_text():
    from grader.record import Check, ExerciseResult, GradeResult, Status

    check = Check(name="f: x", status=Status.FAILED, score=0.0, max_score=1.0, message="",
                  expected=[0.5, 1, True], got=[0.5, float("nan"), float("-inf")])
    result = GradeResult(course="c", student="s", mode="course", score=0.0, max_score=1.0, pass_threshold=0.5,
                         passed=False, exercises=[ExerciseResult(id="e", title="t", file="e.py", score=0.0,
                                                                 max_score=1.0, checks=[check])])
    data = result.to_dict()["exercises"][0]["checks"][0]
    assert data["got"] == [0.5, "nan", "-inf"] and data["expected"] == [0.5, 1, True]
    assert data["got"] is not check.got
