"""The bundled course's conversion question accepts bits only (tests/test_quiz_units.py has the rule itself)."""

from __future__ import annotations

from pathlib import Path

from grader.judge.quiz import grade_quizzes
from grader.record import Status
from grader.spec.course import load_course
from grader.spec.quiz.sheet import SHEET_FILE, build_sheet
from grader.spec.quiz.variants import expected, variant

ROOT = Path(__file__).resolve().parents[2]


def test_nats_to_bits_accepts_bits_only_and_never_the_loss_written_back(tmp_path):
    course = load_course(ROOT)
    quiz = next(q for q in course.quizzes if q.question("nats_to_bits") is not None)
    q = quiz.question("nats_to_bits")
    assert q.accepts == ("bits",)
    sheet = build_sheet(course.quizzes, course.title, "ada").splitlines()
    asked = sheet.index("  nats_to_bits:")
    assert sheet[asked - 2].endswith("[1 point · a number, in bits; written in bits only]")  # the student is told
    v = variant(quiz, q, "ada")
    loss, bits = v.params["loss"], expected(quiz, v)
    outcomes = {}
    for raw in (f"{loss} nats", f"{bits:.4f}", f"{bits:.4f} bits", f"{bits * 0.30103:.4f} hartleys"):
        (tmp_path / SHEET_FILE).write_text(
            build_sheet(course.quizzes, course.title, "ada").replace("  nats_to_bits:\n", f"  nats_to_bits: {raw}\n"))
        results, error = grade_quizzes(course.quizzes, tmp_path, student="ada", reveal="always", due=None)
        assert error is None
        got = next(qq for r in results for qq in r.questions if qq.id == "nats_to_bits")
        outcomes[raw] = (got.status, got.message.split(":")[0].split(";")[0].split(" is in ")[-1])
    assert outcomes == {
        f"{loss} nats": (Status.FAILED, "nats, and this question accepts an answer in bits only"),
        f"{bits:.4f}": (Status.PASSED, "correct"),
        f"{bits:.4f} bits": (Status.PASSED, "correct"),
        f"{bits * 0.30103:.4f} hartleys": (Status.FAILED, "hartleys, and this question accepts an answer in bits only"),
    }
