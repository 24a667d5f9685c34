"""Benchmarks for `grader batch` and `grader check`, printed side by side from one run.

1. Throughput: `grader batch` (the whole course: cases, invariant trials, diagnosis, quiz sheets, an HTML
   report per student) on N synthetic submissions (benchmarks/synth.py), against the floor
   (../shared/bench/floor.py: the least work isolated fork-per-submission grading can do) on the same class,
   with the same --jobs, in the same run; and against the baseline an instructor would otherwise script: one
   `pytest` run per submission, two at a time, asserting the same cases with pytest.approx.
2. Start-up: `grader check` on one submission against `python -c "import numpy"`, paired runs (one of each,
   alternately), warm page cache; and the first run after installing (an empty grader cache, no .pyc files
   for the grader: a fresh copy of the checkout).
3. Memory: the peak over the whole process tree of the throughput run (and, with --full, of a 10,000-submission
   run), sampled from /proc every 0.2 s (sum of RSS, which counts pages shared after fork once per process,
   and sum of PSS, which shares them out).
4. Notebooks: the same class handed in as Jupyter notebooks (each exercise's .py as a notebook, one code cell
   per statement), graded by the same command, for the notebooks' throughput against the files'.

Usage: python benchmarks/bench.py          # about three minutes: -n 400 --jobs 2, baseline 10, no 10k run
       python benchmarks/bench.py --full   # -n 2000, baseline 40, the cases-only run and 10,000 for memory
       python benchmarks/bench.py --check-only --runs 15   # only `grader check` against a NumPy start
       python benchmarks/bench.py --figures -n 100         # the figure function's cost: check and batch
Every command runs with this interpreter (sys.executable), never through a shell or a version-manager shim,
and without PYTHONDONTWRITEBYTECODE, as on a user's machine (where Python keeps .pyc files).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from synth import generate  # noqa: E402

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPATH"] = str(ROOT)
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


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process tree so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def no_figure_course(dest: Path) -> Path:
    """A copy of the course without its figure function (plot_kl_sweep, its case, its 3 points): what the
    course costs when no exercise draws, to compare with the course as it is."""
    import yaml

    dest.mkdir(parents=True, exist_ok=True)

    for name in ("course.yaml", "reference", "exercises"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    path = dest / "exercises" / "kl_sweep.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    drawn = {name for name, fn in data["functions"].items() if fn["returns"] == "figure"}
    data["functions"] = {k: v for k, v in data["functions"].items() if k not in drawn}
    dropped = sum(sum(c["points"] for c in case["figure"]) for case in data["cases"] if case["call"] in drawn)
    data["cases"] = [case for case in data["cases"] if case["call"] not in drawn]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    course = yaml.safe_load((dest / "course.yaml").read_text("utf-8"))
    for item in course["exercises"]:
        if item["id"] == "kl_sweep":
            item["points"] -= dropped
    (dest / "course.yaml").write_text(yaml.safe_dump(course, sort_keys=False, allow_unicode=True), "utf-8")
    reference = dest / "reference" / "kl_sweep.py"
    text = reference.read_text("utf-8")
    reference.write_text(text[:text.index("\n\ndef plot_kl_sweep")] + "\n", "utf-8")
    return dest


def figures(tmp: Path, n: int, jobs: int, runs: int) -> list[str]:
    """`grader check` and `grader batch` on the course with its figure function and on a copy without it.

    The same submission (correct-numpy, which draws the figure) and the same class; the copy never imports
    matplotlib, in the grader or in the fork server."""
    plain = no_figure_course(tmp / "no-figures")
    correct = ROOT / "tests" / "scenarios" / "correct-numpy" / "submission"
    cmds = {name: [sys.executable, "-m", "grader", "check", str(correct), "--course", str(course)]
            for name, course in (("figures", ROOT), ("plain", plain))}
    for course in (ROOT, plain):
        subprocess.run([sys.executable, "-m", "grader", "validate", "--course", str(course)], env=ENV,
                       capture_output=True, check=True)
    for cmd in cmds.values():
        subprocess.run(cmd, env=ENV, capture_output=True, check=False)  # warm: cache, .pyc
    with_fig, without, ratio = paired(cmds["figures"], cmds["plain"], runs)
    numpy_check, numpy_start, _ = paired(cmds["plain"], [sys.executable, "-c", "import numpy"], runs)
    klass = tmp / "fig-class"
    generate(klass, n)
    walls = {}
    for name, course in (("figures", ROOT), ("plain", plain)):
        walls[name], _ = batch(klass, tmp / f"fig-out-{name}", jobs, course=course)
    return [
        f"grader check, correct-numpy (median of {runs} paired runs): with the figure function {with_fig:.3f} s, "
        f"without {without:.3f} s; ratio {ratio:.2f} (matplotlib's cost: {with_fig - without:+.3f} s)",
        f"grader check without figures against python -c 'import numpy': {numpy_check:.3f} s / {numpy_start:.3f} s",
        f"grader batch --jobs {jobs}, {n} submissions: with the figure function {walls['figures']:.2f} s "
        f"({n / walls['figures']:.1f}/s), without {walls['plain']:.2f} s ({n / walls['plain']:.1f}/s); "
        f"ratio {walls['figures'] / walls['plain']:.2f}",
    ]


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


def find_floor() -> Path | None:
    """../shared/bench/floor.py from the project root (or from the checkout a worktree belongs to)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        path = base / "shared" / "bench" / "floor.py"
        if path.is_file():
            return path
    return None


def floor(script: Path, klass: Path, out: Path, jobs: int) -> float:
    """The floor's rate, as it prints it ('floor: N subs in S s = R subs/s'), recomputed from N and S."""
    proc = subprocess.run([sys.executable, str(script), str(klass), str(out), "--jobs", str(jobs)], cwd=ROOT,
                          env=ENV, capture_output=True, text=True, check=True)
    m = re.search(r"floor: (\d+) subs in ([\d.]+) s", proc.stdout)
    if not m:
        raise SystemExit(f"floor.py printed no rate:\n{proc.stdout}\n{proc.stderr}")
    return int(m.group(1)) / float(m.group(2))


def check_outputs(out: Path, n: int) -> str:
    """What the default batch leaves in place when it ends."""
    results = len(list((out / "results").glob("*.json")))
    reports = len(list((out / "reports").glob("*.html")))
    both = all((out / name).is_file() for name in ("gradebook.csv", "summary.html"))
    if results != n or reports != n or not both:
        raise SystemExit(f"grader batch left {results} results, {reports} reports (of {n}), "
                         f"gradebook.csv and summary.html present: {both}")
    return f"{results} results/*.json, {reports} reports/*.html, gradebook.csv, summary.html"


def paired(cmd_a: list[str], cmd_b: list[str], runs: int, env: dict[str, str] = ENV) -> tuple[float, float, float]:
    """Medians of a, of b, and of the per-pair ratio a/b, over ``runs`` pairs run alternately."""
    a_times, b_times = [], []
    for _ in range(runs):
        for cmd, times in ((cmd_a, a_times), (cmd_b, b_times)):
            started = time.perf_counter()
            subprocess.run(cmd, env=env, capture_output=True, check=False)
            times.append(time.perf_counter() - started)
    return (statistics.median(a_times), statistics.median(b_times),
            statistics.median(a / b for a, b in zip(a_times, b_times, strict=True)))


def cold_check(tmp: Path, submission: Path) -> tuple[float, float]:
    """The first `grader check` after installing: a fresh copy of the checkout (no .pyc files for the
    grader) and an empty grader cache (course validation, reference outputs, compiled templates)."""
    copy = tmp / "fresh-checkout"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "tests"))
    env = {**ENV, "PYTHONPATH": str(copy), "XDG_CACHE_HOME": str(tmp / "fresh-cache")}
    cmd = [sys.executable, "-m", "grader", "check", str(submission), "--course", str(copy)]
    times = []
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=copy, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    if not list(copy.glob("grader/__pycache__/*.pyc")):
        raise SystemExit("the first-run timing did not use the fresh copy of the grader")
    return times[0], times[1]


def startup(tmp: Path, runs: int) -> list[str]:
    """`grader check` against a bare NumPy start, paired; then the first run after installing."""
    correct = ROOT / "tests" / "scenarios" / "correct-numpy" / "submission"
    check_cmd = [sys.executable, "-m", "grader", "check", str(correct), "--course", str(ROOT)]
    subprocess.run(check_cmd, env=ENV, capture_output=True, check=False)  # warm: page cache, .pyc, cache
    check, numpy, ratio = paired(check_cmd, [sys.executable, "-c", "import numpy"], runs)
    first, second = cold_check(tmp, correct)
    return [
        f"grader check, one submission (median of {runs} paired runs): {check:.3f} s; "
        f"python -c 'import numpy': {numpy:.3f} s; check/numpy ratio {ratio:.2f} (target <= 2.5)",
        f"first run after installing (no .pyc for the grader, empty cache): {first:.3f} s "
        f"({first / numpy:.1f}x numpy); the run after it: {second:.3f} s",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, help="submissions for the throughput run (default 400; --full 2000)")
    parser.add_argument("--baseline-n", type=int, help="submissions for the pytest baseline (default 10; --full 40)")
    parser.add_argument("--memory-n", type=int, help="submissions for a separate memory run (default none; "
                                                       "--full 10000)")
    parser.add_argument("--jobs", type=int, default=2, help="grader batch --jobs and floor.py --jobs (default 2)")
    parser.add_argument("--runs", type=int, default=7, help="pairs of start-up timings (default 7)")
    parser.add_argument("--full", action="store_true", help="the long run: the figures the README quotes")
    parser.add_argument("--check-only", action="store_true", help="only the start-up figures of `grader check`")
    parser.add_argument("--figures", action="store_true", help="only the cost of the figure function: `grader "
                                                                 "check` and batch (-n, default 100) with and "
                                                                 "without it")
    args = parser.parse_args()
    if args.figures:
        tmp = Path(tempfile.mkdtemp(prefix="grader-bench-"))
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start", flush=True)
        try:
            Lines().__iadd__(figures(tmp, args.n or 100, args.jobs, args.runs))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)
        return
    if args.check_only:
        tmp = Path(tempfile.mkdtemp(prefix="grader-bench-"))
        try:
            Lines().__iadd__(startup(tmp, args.runs))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)
        return
    n = args.n or (2000 if args.full else 400)
    baseline_n = args.baseline_n if args.baseline_n is not None else (40 if args.full else 10)
    memory_n = args.memory_n if args.memory_n is not None else (10000 if args.full else 0)
    floor_script = find_floor()

    tmp = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    lines = Lines()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start; "
          f"Python {sys.version.split()[0]}", flush=True)
    try:
        klass = tmp / "class"
        kinds = {student: scenario.name for student, scenario in generate(klass, n)}  # student -> scenario
        subprocess.run([sys.executable, "-m", "grader", "validate", "--course", str(ROOT)], env=ENV,
                       capture_output=True, check=True)  # the cache is warm, as in a course repository
        cpu0 = children_cpu()
        wall, sampler = batch(klass, tmp / "out", args.jobs, sample=True)
        batch_cpu = (children_cpu() - cpu0) / n
        assert sampler is not None
        outputs = check_outputs(tmp / "out", n)
        rate = n / wall
        cpu0 = children_cpu()
        floor_rate = floor(floor_script, klass, tmp / "floor", args.jobs) if floor_script else None
        floor_cpu = (children_cpu() - cpu0) / n
        lines += [
            f"{'what':58s} {'submissions':>11s} {'wall':>9s} {'per second':>11s}",
            f"{'grader batch, the course (jobs ' + str(args.jobs) + ')':58s} {n:11d} {wall:8.2f}s {rate:11.1f}",
        ]
        if floor_rate:
            lines += [f"{'floor.py, the same class (jobs ' + str(args.jobs) + ')':58s} {n:11d} "
                      f"{n / floor_rate:8.2f}s {floor_rate:11.1f}",
                      f"batch/floor ratio: {rate / floor_rate:.2f} (target >= 0.5)",
                      f"CPU per submission, whole process tree: batch {1000 * batch_cpu:.1f} ms, floor "
                      f"{1000 * floor_cpu:.1f} ms; floor/batch CPU {floor_cpu / batch_cpu:.2f} (the throughput "
                      "ratio of an idle machine, where both are CPU-bound on every core)"]
        else:
            lines += ["batch/floor ratio: not measured (no ../shared/bench/floor.py)"]
        nb_wall, _ = batch(as_notebooks(klass, tmp / "notebooks"), tmp / "out-nb", args.jobs)
        nb_rate = n / nb_wall
        # A notebook cannot hold invalid UTF-8, so broken-not-utf8 becomes gradable as a notebook: it may differ.
        nb_differ = sorted({kinds[s] for s in kinds
                            if json.loads((tmp / "out" / "results" / f"{s}.json").read_text())["score"]
                            != json.loads((tmp / "out-nb" / "results" / f"{s}.json").read_text())["score"]})
        lines += [f"{'grader batch, the course, the class as Jupyter notebooks':58s} {n:11d} {nb_wall:8.2f}s "
                  f"{nb_rate:11.1f}",
                  f"notebooks against files: {100 * nb_rate / rate:.0f}% of the files' throughput (target: at least "
                  f"80%); scores differ only for: {', '.join(nb_differ) or 'none'}"]
        lines += [f"left in place: {outputs}",
                  f"memory, {n} submissions: peak over the process tree ({sampler.peak_procs} processes at most): "
                  f"RSS sum {sampler.peak_rss / 1024:.0f} MiB, PSS sum {sampler.peak_pss / 1024:.0f} MiB"]
        if args.full:
            (tmp / "course").mkdir()
            cases_wall, _ = batch(klass, tmp / "out-cases", args.jobs, course=cases_only_course(tmp / "course"))
            lines += [f"{'grader batch, the same cases as the baseline':58s} {n:11d} {cases_wall:8.2f}s "
                      f"{n / cases_wall:11.1f}"]
        cases_out = tmp / ("out-cases" if args.full else "out")

        sample = sorted(p.name for p in klass.iterdir())[:baseline_n]
        if sample:
            base_wall, base_passed = run_pytest_baseline(klass, sample, tmp / "pytest")
            base_rate = len(sample) / base_wall
            agree = sum(base_passed[s] == passed_checks(cases_out, s) for s in sample)
            lines += [
                f"{'pytest per submission, 2 at a time (the cases)':58s} {len(sample):11d} {base_wall:8.2f}s "
                f"{base_rate:11.2f}",
                f"speed-up over the pytest baseline: {rate / base_rate:.0f}x with everything the grader does"
                + (f", {n / cases_wall / base_rate:.0f}x on the same cases" if args.full else "")
                + f"; pytest and the grader agree on the passed-case count for {agree}/{len(sample)} submissions",
            ]

        lines += ["", *startup(tmp, args.runs)]
        shutil.rmtree(klass)
        for name in ("out", "out-cases", "floor", "notebooks", "out-nb"):
            shutil.rmtree(tmp / name, ignore_errors=True)
        if memory_n:
            big = tmp / "big"
            generate(big, memory_n)
            mwall, msampler = batch(big, tmp / "big-out", args.jobs, sample=True)
            assert msampler is not None
            lines += [
                f"memory, {memory_n} submissions in {mwall:.1f} s ({memory_n / mwall:.1f}/s): "
                f"peak over the process tree ({msampler.peak_procs} processes at most): "
                f"RSS sum {msampler.peak_rss / 1024:.0f} MiB, PSS sum {msampler.peak_pss / 1024:.0f} MiB "
                "(target < 300 MiB)",
            ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)


class Lines:
    """The report, printed as each figure is measured (a long run shows its first figures early)."""

    def __iadd__(self, new: list[str]) -> Lines:
        for line in new:
            print(line, flush=True)
        return self


if __name__ == "__main__":
    main()
