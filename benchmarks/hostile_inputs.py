"""Time and peak memory of the grader's own process on each hostile input of issue 22, one fresh interpreter each.

    python benchmarks/hostile_inputs.py

Each row builds its input in a temporary folder and runs one step of the grader on it in a new interpreter,
then prints the wall time and the peak resident memory (VmHWM) of that interpreter, imports included (a bare
interpreter with NumPy and the grader imported is the "baseline" row). The issue's own figures, from before the
fix, are in its table (e.g. 1.5 GiB for the notebook of empty lists, 22 s for the quiz answer).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETUP = {
    "notebook of 60 MiB of empty lists": (
        "p = Path(sys.argv[1]) / 'entropy.ipynb'\n"
        "with open(p, 'wb') as fh:\n"
        "    fh.write(b'{\"cells\": [{\"cell_type\": \"code\", \"execution_count\": null, \"id\": \"a\", "
        "\"metadata\": {}, \"source\": \"x = 1\", \"outputs\": [')\n"
        "    fh.write(b'[],' * (20 * 2**20)); fh.write(b'[]]}], \"metadata\": {}, \"nbformat\": 4, "
        "\"nbformat_minor\": 5}')\n",
        "from grader.sandbox.notebook import read_notebook, NotebookError\n"
        "try:\n    read_notebook(p)\nexcept NotebookError:\n    pass\n"),
    "21 %time lines under 440 KB of code": (
        "src = ''.join(f'v{i} = {i}\\n' for i in range(40000)) + '%time entropy([0.5])\\n' * 21\n",
        "from grader.sandbox.notebook import _strip_magics\n_strip_magics(1, src, [])\n"),
    "quiz answer '1,' + 60,000 ones + '!'": (
        "raw = '1,' + '1' * 60000 + '!'\n",
        "from grader.judge.answers import parse_number, Unreadable\n"
        "try:\n    parse_number(raw, 'bits')\nexcept Unreadable:\n    pass\n"),
    "3 GiB sparse quiz.yaml, hashed": (
        "d = Path(sys.argv[1]) / 'eve'; d.mkdir()\n"
        "open(d / 'quiz.yaml', 'wb').truncate(3 * 2**30)\n",
        "from grader.classroom.submissions import submission_hash\nsubmission_hash(d)\n"),
    "10 M lines on the progress page": (
        "from grader.sandbox import page\nshared = page.new()\nflood = b'1\\n' * 10_000_000\n"
        "shared[page.START:page.START + len(flood)] = flood\npage.HEADER.pack_into(shared, 0, len(flood))\n",
        "from grader.sandbox import reply\n"
        "try:\n    for ev, _ in page.read_events(shared, 0, 32 * 2**20):\n        reply.check_event(ev)\n"
        "except ValueError:\n    pass\n"),
    "a reply line map with two 15 MB names": (
        "line = json.dumps({'ev': 'imported', 'module': 'm', 'ok': True, "
        "'lines': {'a' * 15_000_000: 1, 'b' * 15_000_000: 2}}).encode()\n",
        "from grader.sandbox import reply\n"
        "try:\n    reply.check_event(reply.load_line(line))\nexcept ValueError:\n    pass\n"),
    "baseline (imports only)": ("", ""),
}

RUN = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
import numpy, grader.sandbox.notebook, grader.judge.answers, grader.classroom.submissions, grader.sandbox.reply
from tests.memory import peak_kib
{setup}
started = time.perf_counter()
{step}
print(json.dumps({{"seconds": time.perf_counter() - started, "peak_mib": peak_kib() / 1024}}))
"""


def main() -> None:
    print(f"{'input':42} {'time':>9} {'peak RSS':>10}")
    for name, (setup, step) in SETUP.items():
        with tempfile.TemporaryDirectory() as tmp:
            code = RUN.format(root=str(ROOT), setup=setup, step=step or "pass")
            out = subprocess.run([sys.executable, "-c", code, tmp], capture_output=True, text=True, cwd=ROOT)
            if out.returncode:
                print(f"{name:42} failed: {out.stderr.strip().splitlines()[-1]}")
                continue
            got = json.loads(out.stdout.splitlines()[-1])
            print(f"{name:42} {got['seconds']:8.2f}s {got['peak_mib']:7.0f} MiB")


if __name__ == "__main__":
    main()
