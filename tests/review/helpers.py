"""A class of students with written answers, graded by a real grader batch against tests/fixtures/written."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.spec.course import load_course
from grader.spec.quiz.sheet import build_sheet

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "tests" / "fixtures" / "written"
SOLUTION = "import math\n\n\ndef surprise(p):\n    return -math.log2(p)\n\n\ndef total_surprise(probs):\n" \
           "    return float(sum(surprise(p) for p in probs))\n"

#: student -> (why_rare, why_bits); None leaves the answer blank
ANSWERS: dict[str, tuple[str | None, str | None]] = {
    "ann": ("A rare event is a surprise, so it carries more information.", "One yes/no question."),
    "ben": ("A rare event is a  SURPRISE, so it carries more information.", "One yes/no question."),
    "cat": ("A rare event is a surprise, so it carries more informaton!", "A fair coin flip."),
    "dan": ("Its -log2(p) is larger when p is small, so the rare event tells you more.", None),
    "eve": ("<script>document.title='pwned'</script><b>bold</b> rare events are less information", "A coin flip."),
}


def sheet(student: str, answers: dict[str, str | None]) -> str:
    """The student's own sheet, with each written answer as the indented block the sheet asks for."""
    text = build_sheet(load_course(COURSE).quizzes, "Written course", student)
    for qid, answer in answers.items():
        if answer is None:
            continue
        block = "".join(f"    {line}\n" for line in answer.splitlines())
        text = text.replace(f"\n  {qid}: |\n", f"\n  {qid}: |\n{block}", 1)
    return text


def make_class(folder: Path, answers: dict[str, tuple[str | None, str | None]] = ANSWERS) -> Path:
    """One folder per student: a correct surprise.py and a sheet with the given answers."""
    if folder.exists():
        shutil.rmtree(folder)
    for student, (rare, bits) in answers.items():
        sub = folder / student
        sub.mkdir(parents=True)
        (sub / "surprise.py").write_text(SOLUTION)
        (sub / "quiz.yaml").write_text(sheet(student, {"why_rare": rare, "why_bits": bits}))
    return folder
