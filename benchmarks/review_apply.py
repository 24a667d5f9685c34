"""What applying a review decision costs: a class graded by grader batch (tests/fixtures/written), one decision
covering the largest group, then the time ``apply`` takes to rewrite the records, reports, gradebook and summary.

    python benchmarks/review_apply.py -n 300

Printed: the class size, the batch's wall time, then the apply that changed the group's records and one that
found nothing to change (every record is still read and checked: the floor of an apply).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from click.testing import CliRunner

from grader.cli import cli
from grader.review import store
from grader.review.app import Review
from grader.review.apply import apply
from grader.spec.course import load_course
from tests.review.helpers import ANSWERS, COURSE, make_class


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    stock = list(ANSWERS.values())
    answers = {f"s{i:04d}": stock[i % len(stock)] for i in range(args.n)}
    with tempfile.TemporaryDirectory() as tmp:
        source, out = make_class(Path(tmp) / "class", answers), Path(tmp) / "out"
        started = time.perf_counter()
        result = CliRunner().invoke(cli, ["batch", str(source), "--course", str(COURSE), "--out", str(out),
                                          "--jobs", str(args.jobs)])
        assert result.exit_code == 0, result.output
        batch = time.perf_counter() - started
        course = load_course(COURSE)
        review = Review.open(out, course, apply_decisions=False)
        group = review.groups["words/why_rare"][0]
        conn = store.connect(out)
        store.save(conn, [store.Decision("words/why_rare", h, ("surprise",), reviewer="bench") for h in group.hashes])
        conn.close()
        started = time.perf_counter()
        changed = apply(out, course)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = apply(out, course)
        second = time.perf_counter() - started
    print(f"{args.n} students; grader batch {batch:.1f} s (--jobs {args.jobs})")
    print(f"apply after one decision covering {group.size} students: {first:.2f} s ({len(changed.changed)} records, "
          f"reports, gradebook and summary rewritten)")
    print(f"apply with nothing to change: {second:.2f} s ({again.records} records read and checked)")


if __name__ == "__main__":
    main()
