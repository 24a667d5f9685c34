"""Per-submission wall time of the two runners (README "Platforms"): the non-hostile scenarios graded in
course mode, one runner kept open, twice each in alternation.

    python benchmarks/runners.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from grader.judge.grade import Plan, grade_submission
from grader.sandbox.backends import make
from grader.spec.course import load_course
from grader.spec.expected import reference_outputs

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    course = load_course(ROOT)
    plan = Plan.build(course, "course", reference_outputs(course))
    subs = [d / "submission" for d in sorted((ROOT / "tests" / "scenarios").iterdir())
            if (d / "scenario.yaml").is_file() and not d.name.startswith("hostile")]
    for kind in ("confined", "portable", "confined", "portable"):
        with make(kind) as runner:
            runner.prestart()
            grade_submission(plan, subs[0], runner)  # warm-up, not counted
            times = []
            for sub in subs:
                began = time.perf_counter()
                grade_submission(plan, sub, runner)
                times.append(time.perf_counter() - began)
        print(f"{kind:9s} n={len(subs)} median {statistics.median(times) * 1000:.0f} ms, "
              f"mean {statistics.mean(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
