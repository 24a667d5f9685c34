"""The students' own computations, without any sandbox: the course's first round run by the worker's own code
in this one warm process, for every submission of a synthetic class (no fork, no confinement, no events, no
grading). What is left of a batch's cost when isolation and judging are taken away; compare it with the
floor's whole cost per submission (README "Performance").

Usage: python benchmarks/compute.py [-n 400]      (from the project root; writes a synthetic class to /tmp)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from synth import generate  # noqa: E402

from grader.authoring.session import open_course  # noqa: E402
from grader.sandbox.worker import Worker  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=400, help="submissions (default 400)")
    args = parser.parse_args()
    first = open_course(ROOT).plan.rounds[0]
    limits, tasks = first.limits, first.tasks
    tmp = Path(tempfile.mkdtemp(prefix="grader-compute-"))
    modules = {t["module"] for t in tasks}
    total = 0.0
    try:
        students = generate(tmp / "class", args.n)
        sink = os.open(os.devnull, os.O_WRONLY)
        for student, _scenario in students:
            for name in modules:
                sys.modules.pop(name, None)
            folder = str(tmp / "class" / student)
            sys.path.insert(0, folder)  # as in the sandbox: a student's files may import each other
            worker = Worker(folder, list(tasks), sink, limits)
            worker.cpu_budget = lambda seconds: None  # no rlimits in this process
            worker.send = lambda event: None  # no events
            with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                started = time.process_time()
                with contextlib.suppress(BaseException):
                    worker.run(list(range(len(tasks))))
                total += time.process_time() - started
            sys.path.remove(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{args.n} submissions, {len(tasks)} calls each: {1000 * total / args.n:.1f} ms of CPU per submission "
          f"for the students' own code and the worker's per-call work, in one warm process (load average "
          f"{os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
