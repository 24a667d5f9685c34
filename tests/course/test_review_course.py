"""The bundled course end to end: the round's scenario submissions plus written answers, graded by grader batch,
reviewed in Chromium on grader review's page (grouped, decided, applied), and the gradebook then shows the
reviewed points. Its screenshot is the one docs/review.md shows (GRADER_DOCS_SCREENSHOT=1 replaces it)."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.spec.course import load_course
from grader.spec.quiz.sheet import build_sheet
from tests.feedback.cdp import Browser, chromium
from tests.review.test_review_browser import APPLIED, GROUPS, go, run, wait

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "scenarios"
BINARY = chromium()
EVEN = ("The first one, [0.25, 0.25, 0.25, 0.25], is the most uncertain because all four outcomes are equally "
        "likely, so no guess is better than another. Its entropy is 2 bits, the maximum for four outcomes. The second "
        "one is almost always the first outcome, so it is easy to guess.")
CLASS = {  # student -> (scenario, written answer to explain_most_uncertain)
    "alice": ("correct-numpy", EVEN),
    "bob": ("mistake-natural-log", EVEN.upper().replace(". ", ".   ")),  # the same after case and spacing
    "carol": ("correct-loops", EVEN.replace("equally likely", "equaly likely")),  # a typo: near-identical
    "dave": ("mistake-log10", "The uniform one, because it has the number of outcomes that makes it most uncertain, "
                              "more outcomes means more uncertainty in general."),
    "erin": ("mistake-kl-swapped", "[0.97, 0.01, 0.01, 0.01] is the most uncertain since 0.97 is so big compared "
                                   "with the others that it dominates everything."),
    "frank": ("correct-math", None),
}


@pytest.mark.skipif(BINARY is None, reason="chromium is not installed (.ci/run installs Debian's package)")
def test_the_rounds_scenarios_with_written_answers_are_reviewed_from_start_to_finish(tmp_path: Path):
    course = load_course(ROOT)
    source = tmp_path / "class"
    for student, (scenario, answer) in CLASS.items():
        shutil.copytree(SCENARIOS / scenario / "submission", source / student)
        sheet = build_sheet(course.quizzes, course.title, student)
        if answer:
            sheet = sheet.replace("\n  explain_most_uncertain: |\n", f"\n  explain_most_uncertain: |\n    {answer}\n")
        (source / student / "quiz.yaml").write_text(sheet)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(source), "--course", str(ROOT), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    proc = subprocess.Popen([sys.executable, "-m", "grader", "review", str(out), "--course", str(ROOT), "--reviewer",
                             "Dr. Shannon"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[0] == f"Reviewing 5 written answers in 3 groups (3 questions) from {out}.\n"
        url = lines[2].strip()
        base = url.split("/?token=")[0]
        with Browser(BINARY) as browser:
            session = browser.open(url)
            go(browser, session, base + "/q/information_theory/explain_most_uncertain")
            groups = run(browser, session, GROUPS)
            assert [g["badges"] for g in groups] == [
                ["2 near-identical variants",
                 "identical long answer shared by several students: a possible integrity concern"], [], []]
            assert [(g["count"], g["ticked"], g["suggested"]) for g in groups] == [
                ("3 students", [True, True, True, False],
                 ["suggested by “equally likely”, “no guess”", "suggested by “almost always”, “easy to guess”",
                  "suggested by “2 bits”, “maximum”"]),
                ("1 student", [True, False, False, True],  # a hint only: "uniform" is there, the reason is not
                 ["suggested by “uniform”", "suggested by “more outcomes”, “number of outcomes”"]),
                ("1 student", [False, True, False, False], ["suggested by “0.97”"])]
            # the first group: confirm the suggestions as they are, with a comment, by clicking Save
            run(browser, session, """(() => { const f = document.querySelector('form.decide');
                f.querySelector('textarea').value = 'Clear and complete.';
                f.querySelector('button.save').click(); })()""")
            wait(browser, session, "document.querySelector('.saved').textContent === 'saved'")
            # the third: the suggestion is wrong (0.97 is named, but as the most uncertain): untick it, save
            run(browser, session, """(() => { const f = document.querySelectorAll('form.decide')[2];
                f.querySelectorAll('input[name=items]').forEach(b => b.checked = false);
                f.querySelector('button.save').click(); })()""")
            wait(browser, session, "document.querySelectorAll('.saved')[2].textContent === 'saved'")
            wait(browser, session, APPLIED)
            go(browser, session, base + "/q/information_theory/explain_most_uncertain")
            shot = tmp_path / "review-page.png"
            browser.screenshot(session, shot, {"x": 0, "y": 0, "width": 1100, "height": 900})
            if os.environ.get("GRADER_DOCS_SCREENSHOT"):
                shutil.copyfile(shot, ROOT / "docs" / "img" / "review-page.png")
            assert [g["status"] for g in run(browser, session, GROUPS)] == [
                "reviewed by Dr. Shannon · 2 of 2 points", "not reviewed yet", "reviewed by Dr. Shannon · 0 of 2 points"]
            assert browser.problems() == []
    finally:
        proc.terminate()
        proc.wait(10)
    with (out / "gradebook.csv").open(newline="") as fh:
        rows = {r["student"]: (r["information_theory"], r["total"], r["pending"]) for r in csv.DictReader(fh)}
    # graded quiz points: 2 for the reviewed explanation (the rest of each sheet is blank); pending apart
    # (the exercise points are the scenarios' own: 30, 20, 30, 20, 22.5, 30 in their expected.json)
    assert rows == {"alice": ("2", "32", "0"), "bob": ("2", "22", "0"), "carol": ("2", "32", "0"),
                    "dave": ("0", "20", "2"), "erin": ("0", "22.5", "0"), "frank": ("0", "30", "0")}
    report = (out / "reports" / "erin.html").read_text()
    assert "reviewed by Dr. Shannon: 0 of 2 points; no rubric item applies" in report


def test_the_bundled_quiz_has_the_lessons_three_explanation_questions():
    quiz = load_course(ROOT).quizzes[0]
    text = [q for q in quiz.questions if q.type == "text"]
    assert [(q.id, q.points, q.min_words, q.max_words) for q in text] == [
        ("explain_most_uncertain", 2, 20, 150), ("explain_loss_change", 2, 15, 120), ("explain_training", 2, 20, 200)]
    for q in text:
        assert sum(it.points for it in q.rubric if it.points > 0) == q.points
        assert any(it.points < 0 for it in q.rubric) and all(it.suggest for it in q.rubric)
        assert q.model_answer

