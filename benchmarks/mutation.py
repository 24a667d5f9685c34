"""Mutation score of the judging, tolerance, bundle and report code: of the one-token changes mutmut makes to them
(a `<` for a `<=`, a dropped argument, a changed string...), how many make at least one test fail. A yardstick,
not a CI gate (docs/mutation.md).

Usage: python benchmarks/mutation.py [--per-area 40] [--seed 1] [--all] [--jobs 1]
       (from the project root, after `pip install -e '.[test,mutation]'`)

mutmut ([tool.mutmut] in pyproject.toml: what it mutates, and which tests it runs) makes about 8000 mutants of
these modules; every one of them costs a run of the tests that cover its function, hours on a 2-core machine. So
by default this runs a seeded random sample of each area's mutants (the same sample for the same seed and code),
and says so beside the score; --all runs every mutant. mutmut keeps its results in mutants/ (ignored by git), so
a second run with the same sample only re-runs mutants whose code changed. Survivors are printed by name:
`mutmut show NAME` prints the change.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: area -> the source files it covers (the modules the issue names)
AREAS = {
    "grader/judge/": "grader/judge/",
    "grader/spec/tolerance.py": "grader/spec/tolerance.py",
    "grader/authoring/bundle.py": "grader/authoring/bundle.py",
    "grader/reports/": "grader/reports/",
}
#: mutmut's exit codes, as mutmut.stats.status_by_exit_code reads them
KILLED, SURVIVED, NOT_RUN = {1, 3}, {0}, {None}


def mutmut(*args: str, quiet: bool = False) -> None:
    subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=ROOT, check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL if quiet else None)


def mutants() -> dict[str, tuple[str, int | None]]:
    """Every mutant mutmut made: name -> (its area, its exit code, None when it has not run)."""
    out: dict[str, tuple[str, int | None]] = {}
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        source = meta.relative_to(ROOT / "mutants").as_posix()[: -len(".meta")]
        area = next((a for a, prefix in AREAS.items() if source.startswith(prefix)), None)
        if area is None:
            continue
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            out[name] = (area, code)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-area", type=int, default=40, help="mutants drawn from each area (default 40)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--all", action="store_true", help="every mutant (hours)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1: a shared machine)")
    args = parser.parse_args()

    if not (ROOT / "mutants").is_dir():
        # makes the mutants, then stops: mutmut refuses a name that matches none (its complaint is not shown)
        mutmut("run", "--max-children", str(args.jobs), "no-such-mutant", quiet=True)
    everything = mutants()
    by_area: dict[str, list[str]] = {a: sorted(n for n, (area, _) in everything.items() if area == a) for a in AREAS}
    rng = random.Random(args.seed)
    chosen = {a: names if args.all else sorted(rng.sample(names, min(args.per_area, len(names))))
              for a, names in by_area.items()}
    names = [n for a in AREAS for n in chosen[a]]
    mutmut("run", "--max-children", str(args.jobs), *names)

    results = mutants()
    print(f"{'area':28} {'mutants':>8} {'run':>5} {'killed':>7} {'survived':>9} {'other':>6} {'score':>7}")
    total: Counter[str] = Counter()
    survivors = []
    for area in AREAS:
        codes = [results[n][1] for n in chosen[area]]
        c = Counter("killed" if x in KILLED else "survived" if x in SURVIVED else "not run" if x in NOT_RUN
                    else "other" for x in codes)
        total.update(c)
        survivors += [n for n in chosen[area] if results[n][1] in SURVIVED]
        judged = c["killed"] + c["survived"]
        score = f"{100 * c['killed'] / judged:.0f} %" if judged else "-"
        print(f"{area:28} {len(by_area[area]):8} {len(codes):5} {c['killed']:7} {c['survived']:9} "
              f"{c['other'] + c['not run']:6} {score:>7}")
    judged = total["killed"] + total["survived"]
    sample = "every mutant" if args.all else f"a seeded sample (seed {args.seed}) of {args.per_area} per area"
    print(f"\nmutation score: {100 * total['killed'] / max(judged, 1):.1f} % ({total['killed']} killed of {judged} "
          f"judged; {sample}; 'other' is a timeout, a crash or no covering test)")
    if survivors:
        print("\nsurvivors (mutmut show NAME):")
        for n in survivors:
            print(f"  {n}")


if __name__ == "__main__":
    main()
