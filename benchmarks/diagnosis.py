"""How right and how often the feedback names a mistake, measured on the golden scenarios.

For every folder in tests/scenarios with a ``scenario.yaml``, grade the submission against the course and
compare what the report names with what the scenario declares:

- ``misconceptions: [id, ...]``: declared mistakes the submission makes (each should be named, in any style:
  where it is made, inherited by a caller, written in a caller, or as a crash);
- ``relations: {function: kind}``: undeclared mistakes, and the generic relation that describes them.

A *false diagnosis* is a misconception named that the scenario does not list, or a relation sentence on a
function the scenario does not list (or of another kind). "Fails because X, which it builds on, fails" is
not counted as a diagnosis: it is reported separately, and it is only ever said when X fails.

    python benchmarks/diagnosis.py [--only PREFIX ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.judge.grade import Plan, grade_submission  # noqa: E402
from grader.sandbox.client import Sandbox  # noqa: E402
from grader.spec.course import load_course  # noqa: E402
from grader.spec.expected import reference_outputs  # noqa: E402


def findings(result) -> dict[str, dict]:
    """function -> its diagnosis (the first failed check's), for every function that has one."""
    out: dict[str, dict] = {}
    for _, check in result.checks():
        if check.kind != "invariant" and check.diagnosis and check.function not in out:
            out[check.function] = check.diagnosis
    return out


def measure(folders: list[Path]) -> dict:
    plans: dict[Path, Plan] = {}
    rows = []
    with Sandbox() as sandbox:
        for folder in folders:
            spec = yaml.safe_load((folder / "scenario.yaml").read_text()) or {}
            root = ROOT / spec.get("course", ".")  # a fixture course, for mistakes the bundled one cannot show
            if root not in plans:
                course = load_course(root)
                plans[root] = Plan.build(course, "course", reference_outputs(course))
            result = grade_submission(plans[root], folder / "submission", sandbox, student=folder.name)
            found = findings(result)
            want_ids = set(spec.get("misconceptions") or [])
            want_rel = dict(spec.get("relations") or {})
            named_ids = {d["id"] for d in found.values() if d.get("id")}
            named_rel = {f: d["relation"] for f, d in found.items() if d.get("kind") == "relation"}
            false = sorted([f"misconception {i}" for i in named_ids - want_ids]
                           + [f"relation {k} on {f}" for f, k in named_rel.items() if want_rel.get(f) != k])
            rows.append({
                "scenario": folder.name,
                "declared": len(want_ids), "declared_named": len(want_ids & named_ids),
                "undeclared": len(want_rel), "undeclared_named": sum(1 for f, k in want_rel.items()
                                                                     if named_rel.get(f) == k),
                "false": false,
                "upstream": sorted(f"{f} <- {', '.join(d['upstream'])}" for f, d in found.items()
                                   if d.get("kind") == "upstream"),
            })
    return {"rows": rows, **totals(rows)}


def totals(rows: list[dict]) -> dict:
    d = sum(r["declared"] for r in rows)
    dn = sum(r["declared_named"] for r in rows)
    u = sum(r["undeclared"] for r in rows)
    un = sum(r["undeclared_named"] for r in rows)
    return {"scenarios": len(rows), "false_diagnoses": sum(len(r["false"]) for r in rows),
            "declared": d, "declared_named": dn, "undeclared": u, "undeclared_named": un}


def share(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f}%)" if b else "0/0 (n/a)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=[], help="scenario name prefixes (default: all)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    folders = sorted(p.parent for p in (ROOT / "tests" / "scenarios").glob("*/scenario.yaml"))
    if args.only:
        folders = [f for f in folders if any(f.name.startswith(p) for p in args.only)]
    data = measure(folders)
    if args.json:
        print(json.dumps(data, indent=1))
        return
    for r in data["rows"]:
        flag = "FALSE " + "; ".join(r["false"]) if r["false"] else ""
        print(f"{r['scenario']:<36} declared {r['declared_named']}/{r['declared']}  "
              f"undeclared {r['undeclared_named']}/{r['undeclared']}  {flag}"
              + (f"  upstream: {'; '.join(r['upstream'])}" if r["upstream"] else ""))
    print()
    groups = [("new (diag-*)", [r for r in data["rows"] if r["scenario"].startswith("diag-")]),
              ("existing corpus", [r for r in data["rows"] if not r["scenario"].startswith("diag-")]),
              ("all", data["rows"])]
    for title, rows in groups:
        t = totals(rows)
        if rows:
            print(f"{title}: {t['scenarios']} scenarios; false diagnoses {t['false_diagnoses']}; declared mistakes "
                  f"named {share(t['declared_named'], t['declared'])}; undeclared mistakes with a correct relation "
                  f"{share(t['undeclared_named'], t['undeclared'])}")


if __name__ == "__main__":
    main()
