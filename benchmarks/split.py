"""Where a batch worker's CPU goes, per submission: the grading process against the sandbox (its fork server
and the forked workers), and the sandbox's cost per call, measured with trivial functions (1 call against 115
calls per submission, the difference divided by 114). No profiler, so the figures are not inflated by one.

Usage: python benchmarks/split.py [-n 120]      (from the project root; writes a synthetic class to /tmp)
The fork server's CPU is read from /proc: Linux only.
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

from synth import generate  # noqa: E402

from grader.authoring.session import open_course  # noqa: E402
from grader.classroom import batch  # noqa: E402
from grader.sandbox.client import Sandbox  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> tuple[float, float]:
    """(the process's own CPU seconds, its reaped children's) from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(x) / TICK for x in fields[11:15])
    return utime + stime, cutime + cstime


def server_pid(sandbox: Sandbox) -> int:
    sandbox.prestart()
    proc = sandbox._proc  # the benchmark reads the fork server's CPU; grading never needs its pid
    assert proc is not None
    return proc.pid


def grading_split(klass: Path, n: int, out: Path) -> str:
    plan = open_course(ROOT).plan
    scratch = batch.scratch_root()
    setup = batch.WorkerSetup(plan=plan, meta=batch.course_meta(plan), out=out, scratch=scratch,
                              forbidden=(out, klass.resolve(), scratch), reports=batch.reports_enabled())
    subs = sorted(klass.iterdir())[:n]
    with Sandbox() as sandbox:
        pid = server_pid(sandbox)
        batch.grade_one(setup, sandbox, {"student": subs[0].name, "path": str(subs[0]), "prior": None})  # warm
        own0, kids0 = tree_cpu(pid)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for sub in subs:
            batch.grade_one(setup, sandbox, {"student": sub.name, "path": str(sub), "prior": None})
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        own, kids = tree_cpu(pid)
    shutil.rmtree(scratch, ignore_errors=True)
    return (f"{n} submissions, CPU per submission: grading process {1000 * cpu / n:.1f} ms, fork server "
            f"{1000 * (own - own0) / n:.1f} ms, sandboxed workers {1000 * (kids - kids0) / n:.1f} ms "
            f"(wall {1000 * wall / n:.1f} ms per submission, one worker)")


def per_call(tmp: Path, reps: int = 60) -> str:
    plan = open_course(ROOT).plan
    limits = plan.rounds[0].limits
    task = {"module": "entropy", "file": "entropy.py", "function": "entropy", "args": "[[0.5, 0.5]]",
            "returns": "float"}
    figures = {}
    with Sandbox() as sandbox:
        pid = server_pid(sandbox)
        for calls in (1, 115):
            own0, kids0 = tree_cpu(pid)
            wall0 = time.perf_counter()
            for i in range(reps):
                work = tmp / f"trivial-{calls}-{i}"
                work.mkdir()
                (work / "entropy.py").write_text("def entropy(p):\n    return 1.0\n")
                response = sandbox.run(work, [task] * calls, limits, [])
                assert all(r["ok"] for r in response["results"])
            own, kids = tree_cpu(pid)
            figures[calls] = ((time.perf_counter() - wall0) / reps, (own - own0) / reps, (kids - kids0) / reps)
    (w1, s1, k1), (w115, s115, k115) = figures[1], figures[115]
    return (f"trivial functions, per submission: 1 call: fork server {1000 * s1:.1f} ms, worker {1000 * k1:.1f} ms "
            f"CPU; 115 calls: {1000 * s115:.1f} ms, {1000 * k115:.1f} ms. Per call: fork server "
            f"{1e6 * (s115 - s1) / 114:.0f} us, worker {1e6 * (k115 - k1) / 114:.0f} us CPU, "
            f"wall {1e6 * (w115 - w1) / 114:.0f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=120, help="submissions to grade (default 120)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grader-split-"))
    try:
        generate(tmp / "class", args.n)
        print(grading_split(tmp / "class", args.n, tmp / "out"), flush=True)
        print(per_call(tmp), flush=True)
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
