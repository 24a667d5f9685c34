"""Text questions before any review: the quiz file's checks, the sheet, grader check's words, a notebook cell, and
every view of a record with points awaiting review (none of them counts those points as lost)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.errors import SpecError
from grader.judge.quiz import grade_quizzes
from grader.record import GradeResult, Status
from grader.reports.formats.github import classroom_result
from grader.reports.render import render
from grader.spec.course import load_course
from grader.spec.quiz.public import public_quiz
from tests.review.helpers import COURSE, SOLUTION, sheet

RARE = "A rare event is a surprise, so it carries more information than a common one."
HALF = SOLUTION.replace("    return float(sum(surprise(p) for p in probs))", "    return 0.0")


def course_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "course"
    shutil.copytree(COURSE, dest)
    return dest


def break_quiz(tmp_path: Path, old: str, new: str) -> str:
    root = course_copy(tmp_path)
    quiz = root / "exercises" / "quiz_words.yaml"
    text = quiz.read_text()
    assert old in text
    quiz.write_text(text.replace(old, new, 1))
    with pytest.raises(SpecError) as err:
        load_course(root)
    return "\n".join(p.format() if hasattr(p, "format") else str(p) for p in err.value.problems)


def test_a_rubric_that_does_not_add_up_is_named_at_its_line(tmp_path):
    assert break_quiz(tmp_path, "{id: formula, points: 1,", "{id: formula, points: 0.5,") == (
        "exercises/quiz_words.yaml:17:7: questions[0] (why_rare): the rubric's positive items add up to 1.5 points "
        "but the question is worth 2; make them agree")


def test_rubric_ids_word_limits_and_zero_points_are_checked(tmp_path):
    problems = break_quiz(tmp_path, "{id: formula, points: 1,", "{id: surprise, points: 0,").splitlines()
    assert problems == [
        "exercises/quiz_words.yaml:17:7: questions[0] (why_rare): the rubric's positive items add up to 1 points "
        "but the question is worth 2; make them agree",
        "exercises/quiz_words.yaml:18:14: questions[0] (why_rare): rubric item id 'surprise' is used twice",
        "exercises/quiz_words.yaml:18:32: questions[0] (why_rare): rubric item surprise is worth 0 points; give it "
        "points, or a negative number for a deduction"]
    limits = break_quiz(tmp_path / "b", "    min_words: 5\n", "    min_words: 500\n")
    assert limits == "exercises/quiz_words.yaml:9:16: questions[0] (why_rare): min_words 500 is more than max_words 80"


def test_a_text_question_needs_a_rubric_and_takes_no_choices(tmp_path):
    missing = break_quiz(tmp_path, "    rubric:\n      - {id: question", "    choices:\n      - {id: question")
    assert missing.splitlines()[0] == "exercises/quiz_words.yaml:20:5: questions[1]: missing required key 'rubric'"


def test_the_student_bundle_holds_the_limits_but_never_the_rubric_or_the_model_answer():
    public = json.dumps(public_quiz(load_course(COURSE).quizzes[0]))
    assert '"min_words": 5, "max_words": 80' in public
    for secret in ("surprise", "Links information", "model_answer", "rubric", "-log2(p): the smaller"):
        assert secret not in public


def test_the_sheet_shows_how_to_write_a_block():
    text = sheet("ann", {})
    assert ("  # 1. [2 points · in your own words, 5 to 80 words; read by your instructor]\n"
            "  #    Why does a rare event carry more information than a common one?\n"
            "  #    Write your answer on the lines below the | , each indented by four spaces (or in a\n"
            "  #    Markdown cell of your notebook tagged why_rare):\n"
            "  #      why_rare: |\n"
            "  #        First sentence of your answer,\n"
            "  #        and the next.\n"
            "  why_rare: |\n") in text


def student_folder(tmp_path: Path, answers: dict[str, str | None], solution: str = SOLUTION) -> Path:
    folder = tmp_path / "ann"
    result = CliRunner().invoke(cli, ["build", "--course", str(COURSE), "--out", str(folder), "--student", "ann"])
    assert result.exit_code == 0, result.output
    (folder / "surprise.py").write_text(solution)
    (folder / "quiz.yaml").write_text(sheet("ann", answers))
    return folder


def test_grader_check_in_the_student_folder_counts_words_and_never_shows_the_rubric(tmp_path):
    folder = student_folder(tmp_path, {"why_rare": "Surprise.", "why_bits": "One fair yes/no question."})
    out = subprocess.run([sys.executable, "-m", "grader", "check", "."], cwd=folder, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1"}).stdout
    lines = out.splitlines()
    start = lines.index("Quiz: in your own words (quiz.yaml)  not graded here")
    assert lines[start + 1:start + 7] == [
        "  checked for readability only: the quiz is graded by your instructor",
        "  2 of 2 answers can be read",
        "  ✗ why_rare  (failed)",
        "      read from quiz.yaml:24: 1 word (5 to 80 words), shorter than the 5 words asked for; graded by your",
        "      instructor",
        "  · why_bits  read from quiz.yaml:34: 4 words; graded by your instructor"]
    for secret in ("Links information", "suggest", "surprise, unexpected", "-log2(p): the smaller", "rubric"):
        assert secret not in out


def test_an_answer_in_a_tagged_notebook_cell_is_read(tmp_path):
    folder = student_folder(tmp_path, {"why_rare": RARE})
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_markdown_cell("One fair **yes/no** question.", metadata={"tags": ["why_bits"]})]
    nbformat.write(nb, folder / "answers.ipynb")
    quizzes = load_course(COURSE).quizzes
    [quiz], error = grade_quizzes(quizzes, folder, student="ann")
    assert error is None
    rare, bits = quiz.questions
    assert (rare.status, rare.pending, rare.written["source"]) == (Status.PENDING, 2, "quiz.yaml:24")
    assert (bits.status, bits.pending, bits.answer) == (Status.PENDING, 2, "One fair **yes/no** question.")
    assert bits.message == "awaiting review: 4 words read from answers.ipynb, cell 2; graded by the instructor"
    assert (quiz.score, quiz.pending) == (0, 4)


def graded_record(tmp_path: Path, fmt: str = "json", solution: str = HALF) -> tuple[str, int]:
    folder = student_folder(tmp_path, {"why_rare": RARE, "why_bits": "One yes/no question."}, solution)
    result = CliRunner().invoke(cli, ["check", str(folder), "--course", str(COURSE), "--format", fmt])
    return result.output, result.exit_code


def test_the_record_keeps_pending_points_apart_and_the_verdict_leaves_them_out(tmp_path):
    text, _ = graded_record(tmp_path)
    record = GradeResult.from_dict(json.loads(text))
    # 2 of the 4 graded points; 4 awaiting review; 2 >= 50% of 4 graded points (it would be below 50% of 8)
    assert (record.score, record.max_score, record.pending, record.passed) == (2, 8, 4, True)
    from jsonschema import Draft202012Validator

    from grader.spec.yamlspec import schema

    assert list(Draft202012Validator(schema("result")).iter_errors(json.loads(text))) == []


def test_every_view_says_awaiting_review(tmp_path):
    text, _ = graded_record(tmp_path)
    record = GradeResult.from_dict(json.loads(text))
    txt = render(record, "text")
    assert "Quiz: in your own words (quiz.yaml)  0/4 · 4 awaiting review" in txt
    assert "  … why_rare  (2 points awaiting review)\n      awaiting review: 15 words read from quiz.yaml:24; graded by " \
           "the instructor\n      model answer: Information measures surprise" in txt
    assert "Score: 2/8 (25%) · 4 points awaiting review" in txt
    md = render(record, "md")
    assert "| ⏳ `why_rare` (`quiz.yaml:24`) | awaiting review | 0/2 (2 pending) | awaiting review: 15 words" in md
    html = render(record, "html")
    assert "awaiting review · 2 points · quiz.yaml:24" in html and "<dt>Model answer</dt>" in html
    junit = render(record, "junit")
    assert '<skipped message="awaiting review: 15 words read from quiz.yaml:24; graded by the instructor" />' in junit
    gradescope = json.loads(render(record, "gradescope"))
    pending = next(t for t in gradescope["tests"] if t["name"].endswith("why_rare"))
    assert "status" not in pending and pending["max_score"] == 0
    assert gradescope["output"].startswith("Score: 2/8 (25%), 4 points awaiting review, pass threshold 50% of the 4 "
                                           "graded: passed")


def test_grader_ci_and_the_classroom_payload_never_count_pending_points_as_lost(tmp_path):
    text, _ = graded_record(tmp_path)
    payload = classroom_result(GradeResult.from_dict(json.loads(text)))
    assert payload["max_score"] == 4 and payload["status"] == "pass"
    assert sum(t["score"] for t in payload["tests"]) == 2
    assert not [t for t in payload["tests"] if "why_" in t["name"]]
    folder = tmp_path / "ann"
    out = tmp_path / "github_output"
    result = CliRunner().invoke(cli, ["ci", str(folder), "--course", str(COURSE)],
                                env={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out)})
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[1:] == ["score=2", "max-score=4", "passed=true", "pending=4"]
    decoded = json.loads(base64.b64decode(lines[0].split("=", 1)[1]))
    assert decoded["max_score"] == 4


def test_the_course_notebook_has_a_tagged_cell_for_each_written_question(tmp_path):
    folder = tmp_path / "nb"
    result = CliRunner().invoke(cli, ["build", "--course", str(COURSE), "--out", str(folder), "--notebook", "single"])
    assert result.exit_code == 0, result.output
    nb = nbformat.read(folder / "course.ipynb", as_version=4)
    tagged = [(i, c.source) for i, c in enumerate(nb.cells, 1) if c.metadata.get("tags") == ["why_rare"]]
    assert len(tagged) == 1 and tagged[0][1] == ""
    assert nb.cells[tagged[0][0] - 2].source == ("### `why_rare` (2 points)\n\nWhy does a rare event carry more "
                                                 "information than a common one?")
    nb.cells[tagged[0][0] - 1].source = "Rare means surprising, and surprise is information."
    nbformat.write(nb, folder / "course.ipynb")
    [quiz], _ = grade_quizzes(load_course(COURSE).quizzes, folder, student="nb")
    assert quiz.questions[0].message == (f"awaiting review: 7 words read from course.ipynb, cell {tagged[0][0]}; "
                                         "graded by the instructor")
    assert quiz.questions[1].message.endswith(": no answer yet")  # the empty tagged cell is no answer


def test_a_colon_in_a_one_line_written_answer_gets_a_hint(tmp_path):
    folder = student_folder(tmp_path, {})
    text = (folder / "quiz.yaml").read_text().replace("\n  why_rare: |\n", "\n  why_rare: the reason: surprise\n")
    (folder / "quiz.yaml").write_text(text)
    [quiz], _ = grade_quizzes(load_course(COURSE).quizzes, folder, student="ann")
    assert quiz.questions[0].message == (
        "not graded: quiz.yaml:24:23: invalid YAML: mapping values are not allowed in this context; a colon and a "
        "space inside an answer start a new key: put the answer in quotes or, for an answer in words, write it as a "
        "block (the question id, ': |', then the lines indented below it); fix the file and check again")


def test_github_annotations_and_step_summary_do_not_call_pending_answers_failures(tmp_path):
    from grader.reports.formats.github import pick_annotations, step_summary

    text, _ = graded_record(tmp_path)
    record = GradeResult.from_dict(json.loads(text))
    annotations, left = pick_annotations(record)
    assert [a.title for a in annotations] == ["total_surprise(): 2 of 2 checks failed"] and left == 0
    summary = step_summary(record)
    assert "why_rare" not in summary and "why_bits" not in summary
    assert "| ❌ | Quiz: in your own words | `quiz.yaml` | 0/4 (4 awaiting review) | 0/2 |" in summary
    assert "**Score 2/8 (25%), 4 points awaiting review, pass threshold 50% of the 4 graded: passed**" in summary
