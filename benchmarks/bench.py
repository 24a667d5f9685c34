"""Benchmarks for `grader batch`, printed side by side from one run.

1. Throughput: `grader batch` on N synthetic submissions (benchmarks/synth.py) against the baseline an
   instructor would otherwise script: one `pytest` run per submission, two at a time, on a generated test
   file that imports the student's modules and asserts the same cases with pytest.approx. The same class
   handed in as Jupyter notebooks (each exercise's .py as a notebook, one code cell per statement) is graded
   too, for the notebooks' throughput against the files'.
2. Start-up: `grader check` on one submission against `python -c "import numpy"`.
3. Memory: the peak, over the whole process tree, while `grader batch` grades M submissions, sampled
   from /proc every 0.2 s (sum of RSS, which counts pages shared after fork once per process, and sum
   of PSS, which shares them out).

Usage: python benchmarks/bench.py [-n 2000] [--baseline-n 40] [--memory-n 10000] [--jobs J]
Every command runs with this interpreter (sys.executable), never through a shell or a version-manager shim.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from synth import generate  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
MIB = 1024 * 1024


# -- the baseline: one pytest run per submission ---------------------------------------------------

TEST_FILE = '''\
"""Generated: the course's cases for one submission, checked the way a pytest-based autograder would."""
import importlib
import json
import sys

import numpy as np
import pytest

sys.path.insert(0, {submission!r})
CASES = json.loads({cases!r})


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case):
    module = importlib.import_module(case["module"])
    got = getattr(module, case["function"])(*json.loads(case["args"]))  # fresh arguments per call
    expected = case["expected"]
    if case["returns"] == "int":
        assert int(got) == expected
    elif case["returns"] == "float":
        assert float(got) == pytest.approx(expected, rel=case["rtol"], abs=case["atol"])
    else:
        got = np.asarray(got, dtype=float)
        assert got.shape == np.shape(expected)
        assert got.ravel().tolist() == pytest.approx(np.ravel(expected).tolist(), rel=case["rtol"], abs=case["atol"])
'''


def baseline_cases() -> list[dict]:
    from grader.spec.course import load_course
    from grader.spec.expected import reference_outputs

    course = load_course(ROOT)
    expected = reference_outputs(course)
    cases = []
    for ex in course.exercises:
        for case in ex.cases:
            fn = ex.functions[case.function]
            cases.append({"id": f"{ex.id}-{case.index}", "module": ex.module, "function": case.function,
                          "args": json.dumps(list(case.args)), "returns": fn.returns,
                          "expected": expected[(ex.id, case.index)], "rtol": fn.tolerance.rtol,
                          "atol": fn.tolerance.atol})
    return cases


def run_pytest_baseline(klass: Path, students: list[str], work: Path) -> tuple[float, dict[str, int]]:
    cases = json.dumps(baseline_cases())
    jobs = []
    for student in students:
        folder = work / student
        folder.mkdir(parents=True)
        (folder / f"test_{student}.py").write_text(TEST_FILE.format(submission=str(klass / student), cases=cases))
        jobs.append((student, folder))

    def one(job: tuple[str, Path]) -> tuple[str, int]:
        student, folder = job
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                              cwd=folder, capture_output=True, text=True, timeout=120, env=ENV)
        m = re.search(r"(\d+) passed", proc.stdout)
        return student, int(m.group(1)) if m else 0

    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        passed = dict(pool.map(one, jobs))
    return time.perf_counter() - started, passed


# -- memory of a process tree ----------------------------------------------------------------------

def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _kib(path: str, key: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Peak total RSS and PSS of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_pss = self.peak_procs = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            kids = _children()
            todo, tree = [self.pid], []
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo.extend(kids.get(pid, []))
            rss = sum(_kib(f"/proc/{p}/status", "VmRSS:") for p in tree)
            pss = sum(_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in tree)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_procs = max(self.peak_procs, len(tree))
            self.done.wait(self.interval)


# -- commands --------------------------------------------------------------------------------------

def batch(klass: Path, out: Path, jobs: int | None, sample: bool = False,
          course: Path = ROOT) -> tuple[float, TreeSampler | None]:
    cmd = [sys.executable, "-m", "grader", "batch", str(klass), "--out", str(out), "--course", str(course),
           "--no-progress"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid) if sample else None
    if sampler:
        sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    if sampler:
        sampler.done.set()
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"grader batch failed ({proc.returncode}):\n{stdout}\n{stderr}")
    return wall, sampler


def median_wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, env=ENV, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def passed_checks(out: Path, student: str) -> int:
    """Passed cases (not invariant trials, which the baseline does not run)."""
    data = json.loads((out / "results" / f"{student}.json").read_text())
    return sum(c["status"] == "passed" and c.get("kind", "case") == "case" for ex in data["exercises"]
               for c in ex["checks"])


def cases_only_course(dest: Path) -> Path:
    """A copy of the course without its invariants (0 points, advisory): the same cases as the baseline."""
    import yaml

    for name in ("course.yaml", "reference", "exercises"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    for path in (dest / "exercises").glob("*.yaml"):
        data = yaml.safe_load(path.read_text("utf-8"))
        if isinstance(data, dict) and data.pop("invariants", None) is not None:
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return dest


def as_notebooks(klass: Path, dest: Path) -> Path:
    """The class with each exercise's .py handed in as a notebook instead: a markdown cell, then one code cell
    per top-level statement (a whole file that does not parse goes into one cell), with a stream output."""
    import ast

    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from grader.spec.course import load_course

    files = {ex.file for ex in load_course(ROOT).exercises}
    for folder in sorted(klass.iterdir()):
        out = dest / folder.name
        out.mkdir(parents=True)
        for path in sorted(folder.iterdir()):
            if path.name not in files:
                shutil.copy(path, out / path.name)
                continue
            text = path.read_bytes().decode("utf-8", errors="replace")
            try:
                lines = text.splitlines(keepends=True)
                chunks = ["".join(lines[n.lineno - 1 if not getattr(n, "decorator_list", None)
                                        else n.decorator_list[0].lineno - 1:n.end_lineno])
                          for n in ast.parse(text).body]
            except (SyntaxError, ValueError):
                chunks = [text]
            cells = [new_markdown_cell(f"# {path.stem}")]
            cells += [new_code_cell(c.rstrip("\n"), outputs=[new_output("stream", name="stdout", text="ok\n")])
                      for c in chunks]
            nbformat.write(new_notebook(cells=cells), out / f"{path.stem}.ipynb")
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="submissions for the throughput run")
    parser.add_argument("--baseline-n", type=int, default=40, help="submissions for the pytest baseline")
    parser.add_argument("--memory-n", type=int, default=10000, help="submissions for the memory run (0: skip)")
    parser.add_argument("--jobs", type=int, help="grader batch --jobs (default: its own)")
    parser.add_argument("--runs", type=int, default=5, help="repetitions of the start-up timings")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    lines = []
    try:
        klass = tmp / "class"
        kinds = {student: folder.name for student, folder in generate(klass, args.n)}
        wall, _ = batch(klass, tmp / "out", args.jobs)
        rate = args.n / wall
        nb_wall, _ = batch(as_notebooks(klass, tmp / "notebooks"), tmp / "out-nb", args.jobs)
        nb_rate = args.n / nb_wall
        # A notebook cannot hold invalid UTF-8, so broken-not-utf8 becomes gradable as a notebook: it may differ.
        nb_differ = sorted({kinds[s] for s in kinds
                            if json.loads((tmp / "out" / "results" / f"{s}.json").read_text())["score"]
                            != json.loads((tmp / "out-nb" / "results" / f"{s}.json").read_text())["score"]})
        (tmp / "course").mkdir()
        cases_wall, _ = batch(klass, tmp / "out-cases", args.jobs, course=cases_only_course(tmp / "course"))
        cases_rate = args.n / cases_wall

        sample = sorted(p.name for p in klass.iterdir())[: args.baseline_n]
        base_wall, base_passed = run_pytest_baseline(klass, sample, tmp / "pytest")
        base_rate = len(sample) / base_wall
        agree = sum(base_passed[s] == passed_checks(tmp / "out-cases", s) for s in sample)

        correct = ROOT / "tests" / "scenarios" / "correct-numpy" / "submission"
        check = median_wall([sys.executable, "-m", "grader", "check", str(correct), "--course", str(ROOT)], args.runs)
        numpy = median_wall([sys.executable, "-c", "import numpy"], args.runs)

        cpus = os.cpu_count()
        lines += [
            f"machine: {cpus} cores, load average {os.getloadavg()[0]:.2f} at the end; Python {sys.version.split()[0]}",
            "",
            f"{'what':58s} {'submissions':>11s} {'wall':>9s} {'per second':>11s}",
            f"{'grader batch, the course (cases + invariant trials)':58s} {args.n:11d} {wall:8.2f}s {rate:11.1f}",
            f"{'grader batch, the course, the class as Jupyter notebooks':58s} {args.n:11d} {nb_wall:8.2f}s {nb_rate:11.1f}",
            f"{'grader batch, the same cases as the baseline':58s} {args.n:11d} {cases_wall:8.2f}s {cases_rate:11.1f}",
            f"{'pytest per submission, 2 at a time (the cases)':58s} {len(sample):11d} {base_wall:8.2f}s {base_rate:11.2f}",
            f"speed-up over the baseline: {cases_rate / base_rate:.0f}x on the same cases, {rate / base_rate:.0f}x "
            f"with the invariant trials too (jobs: {args.jobs or 'default'}); pytest and the grader agree on the "
            f"passed-case count for {agree}/{len(sample)} submissions",
            f"notebooks against files: {100 * nb_rate / rate:.0f}% of the files' throughput (target: at least 80%); "
            f"scores differ only for: {', '.join(nb_differ) or 'none'}",
            "",
            f"grader check, one submission (median of {args.runs}): {check:.3f} s; "
            f"python -c 'import numpy': {numpy:.3f} s; ratio {check / numpy:.1f}x",
        ]
        shutil.rmtree(klass)
        shutil.rmtree(tmp / "out")
        shutil.rmtree(tmp / "notebooks")
        shutil.rmtree(tmp / "out-nb")
        shutil.rmtree(tmp / "out-cases")
        if args.memory_n:
            big = tmp / "big"
            generate(big, args.memory_n)
            mwall, sampler = batch(big, tmp / "big-out", args.jobs, sample=True)
            assert sampler is not None
            lines += [
                f"memory, {args.memory_n} submissions in {mwall:.1f} s ({args.memory_n / mwall:.1f}/s): "
                f"peak over the process tree ({sampler.peak_procs} processes at most): "
                f"RSS sum {sampler.peak_rss / 1024:.0f} MiB, PSS sum {sampler.peak_pss / 1024:.0f} MiB",
            ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(textwrap.dedent("\n".join(lines)))


if __name__ == "__main__":
    main()
