"""What a student reads in the text report: a timeout said once with its count, what the pass figure covers, and
one line for a quiz not answered yet. Exact lines, as ``grader check`` prints them."""

from __future__ import annotations

from pathlib import Path

from grader.reports.render import render

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


def test_a_timeout_is_said_once_with_the_count_of_cases_it_stopped(grade):
    lines = render(grade("hostile-infinite-loop"), "text").splitlines()
    start = lines.index("  ✗ entropy()  0/7 checks passed")
    assert lines[start + 1:start + 9] == [
        "    ! four-sided die",
        "        input     entropy([0.25, 0.25, 0.25, 0.25])",
        "        expected  2",
        "        got       no answer",
        "        error     time limit exceeded: entropy() ran for more than 2 s",
        "    ! 6 cases not run: entropy() already exceeded the time limit on an earlier case",
        "        almost certain; non-uniform; an impossible outcome [hidden]; fair six-sided die [hidden];",
        "        random, 9 outcomes with near-zero entries [hidden]; random, 12 outcomes with zeros [hidden]",
    ]
    assert "\n".join(lines).count("not run") == 1


def test_a_timeout_is_one_line_in_markdown_and_html_too(grade):
    result = grade("hostile-infinite-loop")
    names = ("almost certain; non-uniform; an impossible outcome [hidden]; fair six-sided die [hidden]; random, 9 "
             "outcomes with near-zero entries [hidden]; random, 12 outcomes with zeros [hidden]")
    md = render(result, "md")
    assert ("\n⚠️ 6 cases not run: entropy() already exceeded the time limit on an earlier case "
            f"({names})\n") in md
    assert md.count("not run") == 1
    page = render(result, "html")
    assert ('<p class="skipped"><span class="st error">!</span> 6 cases not run: entropy() already exceeded the '
            f'time limit on an earlier case <span class="evidence">({names})</span></p>') in page
    assert page.count("not run") == 1


def _student_folder(tmp_path, answers: dict[str, str] | None = None, solve: bool = False):
    """A student folder built from the mini course (tests/fixtures/mini), optionally solved and answered."""
    import shutil

    from grader.authoring.bundle import build
    from grader.spec.course import load_course

    out = tmp_path / "alice"
    build(load_course(MINI), out)
    if solve:
        shutil.copy(MINI / "reference" / "surprise.py", out / "surprise.py")
    sheet = out / "quiz.yaml"
    for qid, answer in (answers or {}).items():
        sheet.write_text(sheet.read_text().replace(f"  {qid}:\n", f"  {qid}: {answer}\n"))
    return out


def _check(folder, fmt: str) -> str:
    """``grader check . --format FMT`` run in the folder, as the student runs it."""
    import os

    from click.testing import CliRunner

    from grader.cli import cli

    here = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, ["check", ".", "--format", fmt])
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_student_verdict_says_it_covers_the_public_checks_alone(tmp_path):
    solved = _student_folder(tmp_path / "a", solve=True)
    assert _check(solved, "md").splitlines()[2] == (
        "**Score: 2/2 (100%)** · 2 of 2 checks passed · ✅ at or above 50% of the public checks' 2 points; "
        "your grade also counts the checks not run here")
    assert ('<span class="verdict pass">at or above 50% of the public checks&#39; 2 points; your grade also counts '
            "the checks not run here</span>") in _check(solved, "html")
    blank = _student_folder(tmp_path / "b")
    assert "❌ below 50% of the public checks' 2 points; your grade also counts the checks not run here" in \
        _check(blank, "md").splitlines()[2]


def test_an_unanswered_quiz_is_one_line_in_text_markdown_and_html(tmp_path):
    blank = _student_folder(tmp_path / "a")
    text = _check(blank, "text").splitlines()
    start = text.index("Quiz: basics (quiz.yaml)  not graded here")
    assert text[start + 1:start + 5] == ["  checked for readability only: the quiz is graded by your instructor",
                                         "  0 of 2 answers can be read",
                                         "  ✗ no answer yet to any of the 2 questions in quiz.yaml", ""]
    assert "\n❌ no answer yet to any of the 2 questions in quiz.yaml\n" in _check(blank, "md")
    page = _check(blank, "html")
    assert ('<p class="unanswered"><span class="st failed">✗</span> no answer yet to any of the 2 questions in '
            "quiz.yaml</p>") in page
    assert page.count("no answer yet") == 1 and "0/0" not in page


def test_a_partly_answered_quiz_names_the_questions_left_with_their_lines(tmp_path):
    half = _student_folder(tmp_path / "a", answers={"unit": "log2"})
    line = next(n for n, text in enumerate((half / "quiz.yaml").read_text().splitlines(), 1) if text == "  coin:")
    text = _check(half, "text")
    assert f"\n  ✗ 1 question with no answer yet in quiz.yaml: coin (line {line})\n" in text
    assert text.count("no answer yet") == 1
    assert f"\n❌ 1 question with no answer yet in quiz.yaml: coin (line {line})\n" in _check(half, "md")


def test_the_ci_verdict_line_says_it_covers_the_public_checks_alone(grade):
    import dataclasses

    from grader.reports.formats import score_line

    result = grade("correct-numpy")
    assert score_line(result) == "30/50 (60%), pass threshold 60%: passed"
    student = dataclasses.replace(result, mode="student", score=3.0, max_score=12.5, passed=False)
    assert score_line(student) == ("3/12.5 (24%) on the public checks alone, pass threshold 60%: below the pass "
                                   "threshold; the grade also counts the checks not run here")
