"""Synthetic classes for the benchmarks: copies of the scenario corpus, each file made unique.

The mix is what a real class looks like: mostly correct or mistaken work, some broken. Hostile
submissions that hit time limits are left out of the throughput mix (each costs a full time limit by
design); ``--hostile`` adds them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCENARIOS = ROOT / "tests" / "scenarios"

# (scenario prefix, share of the class)
MIX = (("correct-", 0.40), ("mistake-", 0.40), ("broken-", 0.15), ("untouched-stubs", 0.05))
SLOW_HOSTILE = ("hostile-infinite-loop", "hostile-import-loop", "hostile-ignore-sigterm", "hostile-recursion",
                "hostile-memory-bomb")


def kinds(hostile: bool = False) -> list[tuple[str, list[Path]]]:
    groups = []
    for prefix, _share in MIX:
        groups.append((prefix, sorted(p for p in SCENARIOS.glob(f"{prefix}*") if (p / "submission").is_dir())))
    if hostile:
        groups.append(("hostile-", sorted(p for p in SCENARIOS.glob("hostile-*") if (p / "submission").is_dir())))
    return groups


def plan_class(n: int, hostile: bool = False) -> list[tuple[str, Path]]:
    """(student id, scenario folder) for n students, spread over every kind of submission."""
    shares = dict(MIX)
    if hostile:
        shares = {k: v * 0.95 for k, v in shares.items()}
        shares["hostile-"] = 0.05
    out = []
    for prefix, folders in kinds(hostile):
        count = round(n * shares[prefix])
        for i in range(count):
            out.append(folders[i % len(folders)])
    while len(out) < n:
        out.append(kinds()[0][1][len(out) % len(kinds()[0][1])])
    out = out[:n]
    # interleave kinds, as students are sorted by id, not by mistake
    order = sorted(range(n), key=lambda i: (i * 7919) % n)
    return [(f"s{j:05d}", out[i]) for j, i in enumerate(order)]


def quiz_answers(student: str, kind: str) -> dict[str, str]:
    """A quiz sheet's answers: all right for correct code, half right for mistakes, none for broken code."""
    from tests.quiz_helpers import right_answers

    right = right_answers(student)
    if kind.startswith("correct"):
        return right
    if kind.startswith("mistake"):
        return {k: ("log2" if k == "log_units" else v) for i, (k, v) in enumerate(right.items()) if i % 2 == 0}
    return {}


def write_quiz(folder: Path, student: str, kind: str) -> None:
    from grader.spec.quiz.sheet import SHEET_FILE, build_sheet
    from tests.quiz_helpers import course, fill

    if kind.startswith(("broken", "untouched")):
        return  # broken work often comes without the quiz sheet
    text = build_sheet(course().quizzes, course().title, student)
    (folder / SHEET_FILE).write_text(fill(text, quiz_answers(student, kind)), "utf-8")


def generate(dest: Path, n: int, hostile: bool = False) -> list[tuple[str, Path]]:
    """Write n student folders into dest; each file gets a comment line so no two submissions are equal.
    Students also hand in a quiz sheet (benchmarks/synth.py: quiz_answers)."""
    dest.mkdir(parents=True, exist_ok=True)
    students = plan_class(n, hostile)
    for student, scenario in students:
        folder = dest / student
        folder.mkdir()
        write_quiz(folder, student, scenario.name)
        for src in (scenario / "submission").iterdir():
            if src.is_file():
                data = src.read_bytes()
                if src.suffix == ".py":
                    data = data + f"\n# {student}\n".encode()
                (folder / src.name).write_bytes(data)
            elif src.is_dir():
                shutil.copytree(src, folder / src.name)
    return students


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=Path)
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--hostile", action="store_true")
    args = parser.parse_args()
    generate(args.dest, args.n, args.hostile)
    print(f"wrote {args.n} submissions to {args.dest}")


if __name__ == "__main__":
    main()
