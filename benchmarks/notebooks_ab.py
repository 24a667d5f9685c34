"""Notebooks against files, interleaved: the grading cost a notebook adds, with the machine's load shared fairly.

bench.py grades the class as files and then as notebooks, one batch after the other, so a change of load on a
shared machine between the two moves the ratio. Here one process grades each synthetic student twice in turn,
from files and from notebooks, with one sandbox, and sums the time of each.

Usage: python benchmarks/notebooks_ab.py [-n 120]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench import as_notebooks  # noqa: E402
from synth import generate  # noqa: E402

from grader.judge.grade import Plan, grade_submission  # noqa: E402
from grader.sandbox.client import Sandbox  # noqa: E402
from grader.spec.course import load_course  # noqa: E402
from grader.spec.expected import reference_outputs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=120, help="synthetic students")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grader-nb-ab-"))
    try:
        generate(tmp / "files", args.n)
        as_notebooks(tmp / "files", tmp / "notebooks")
        course = load_course(ROOT)
        plan = Plan.build(course, "course", reference_outputs(course))
        pairs = list(zip(sorted((tmp / "files").iterdir()), sorted((tmp / "notebooks").iterdir()), strict=True))
        spent = {"files": 0.0, "notebooks": 0.0}
        with Sandbox() as sandbox:
            grade_submission(plan, pairs[0][0], sandbox)  # warm up both paths
            grade_submission(plan, pairs[0][1], sandbox)
            for files, notebooks in pairs:
                for kind, folder in (("files", files), ("notebooks", notebooks)):
                    started = time.perf_counter()
                    grade_submission(plan, folder, sandbox)
                    spent[kind] += time.perf_counter() - started
        per = {k: 1000 * v / len(pairs) for k, v in spent.items()}
        print(f"{len(pairs)} students, one sandbox, interleaved; load average {os.getloadavg()[0]:.2f} at the end")
        print(f"files: {per['files']:.1f} ms per submission; notebooks: {per['notebooks']:.1f} ms per submission; "
              f"notebooks' throughput {100 * spent['files'] / spent['notebooks']:.0f}% of the files'")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
