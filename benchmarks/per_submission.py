"""End to end: one small submission (three tasks, one module) through the confined runner, per request.

Run: python benchmarks/per_submission.py [-n 200] [--grader PATH]

``--grader`` imports the grader from another checkout's folder (e.g. ``git archive COMMIT grader | tar -x -C
/tmp/old``, then ``--grader /tmp/old``), to compare a commit before a change with the one after on the same
machine at the same time. Prints the median wall-clock time of ``Sandbox.run`` per request, in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--grader", default=str(Path(__file__).resolve().parent.parent))
    args = parser.parse_args()
    sys.path.insert(0, args.grader)
    from grader.sandbox.client import Sandbox
    from grader.spec.course import DEFAULT_LIMITS

    with tempfile.TemporaryDirectory() as base:
        folder = Path(base) / "sub"
        folder.mkdir()
        (folder / "m.py").write_text("import math\n\ndef f(x):\n    return math.sqrt(x)\n")
        tasks = [{"module": "m", "file": "m.py", "function": "f", "args": f"[{i}]", "returns": "float"}
                 for i in range(3)]
        times = []
        with Sandbox() as sb:
            sb.run(folder, tasks, DEFAULT_LIMITS, [base])  # warm
            for _ in range(args.n):
                t0 = time.perf_counter()
                response = sb.run(folder, tasks, DEFAULT_LIMITS, [base])
                times.append(time.perf_counter() - t0)
                assert response["results"][2]["value"] == 2 ** 0.5, response
    print(f"{args.grader}: Sandbox.run of 3 calls, median of {args.n}: {statistics.median(times) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
