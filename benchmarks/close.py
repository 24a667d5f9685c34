"""How long Sandbox.close() waits for the fork server to exit, after one trivial request (every `grader check`
pays it once).

Usage: python benchmarks/close.py [N]      (from the project root; default 15 closes)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.sandbox.client import Sandbox
from grader.spec.course import DEFAULT_LIMITS


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    work = Path(tempfile.mkdtemp(prefix="grader-close-"))
    (work / "m.py").write_text("def f():\n    return 1.0\n")
    task = {"module": "m", "file": "m.py", "function": "f", "args": "[]", "returns": "float"}
    times = []
    for _ in range(reps):
        sandbox = Sandbox()
        sandbox.run(work, [task], DEFAULT_LIMITS, [])
        began = time.perf_counter()
        sandbox.close()
        times.append(1000 * (time.perf_counter() - began))
    print(f"Sandbox.close(): median {statistics.median(times):.1f} ms, min {min(times):.1f}, max {max(times):.1f} "
          f"over {reps}")


if __name__ == "__main__":
    main()
