"""The student folder: stubs for every exercise and the public cases with their expected values.

Nothing hidden goes here: no hidden inputs, no reference code. A student can grade locally from this
folder alone; their score there covers the public checks only.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from grader.errors import InputError
from grader.files import write_atomic
from grader.spec.course import Case, Course, CourseItem, Exercise, FigureCheck, Function, Limits
from grader.spec.expected import reference_outputs
from grader.spec.invariants import parse_invariant
from grader.spec.quiz.public import public_quiz, quiz_from_public
from grader.spec.quiz.sheet import SHEET_FILE, build_sheet
from grader.spec.tolerance import Tolerance

BUNDLE_DIR = ".grader"
BUNDLE_FILE = "public.json"
BUNDLE_VERSION = 1


def stub_source(ex: Exercise) -> str:
    intuition = textwrap.fill(ex.intuition, 88)
    parts = [f'"""{ex.title}\n\n{intuition}\n\nCheck your work with:  grader check .\n"""\n\nimport numpy as np\n']
    parts.extend(f"\n\n{function_stub(fn)}" for fn in ex.functions.values())
    return "".join(parts)


def function_stub(fn: Function) -> str:
    """One function's stub: signature, docstring, a body that raises NotImplementedError."""
    doc = textwrap.indent(fn.doc.strip(), "    ").lstrip()
    return (f"def {fn.name}({', '.join(fn.params)}):\n"
            f'    """{doc}\n    """\n'
            f'    raise NotImplementedError("Write {fn.name}()")\n')


def public_bundle(course: Course, submission: str | None = None) -> dict[str, Any]:
    from grader.judge.diagnose import variant_outputs

    expected = reference_outputs(course)
    variants = variant_outputs(course)
    exercises = []
    for ex in course.exercises:
        cases = [c for c in ex.cases if c.visibility == "public"]
        public = {c.index for c in cases}
        exercises.append({
            "id": ex.id, "title": ex.title, "file": ex.file, "intuition": ex.intuition,
            "limits": ex.limits.as_dict(),
            "functions": {
                fn.name: {"params": list(fn.params), "returns": fn.returns, "doc": fn.doc,
                          "intuition": fn.intuition, "tolerance": fn.tolerance.__dict__, "uses": list(fn.uses)}
                for fn in ex.functions.values()
            },
            "cases": [
                {"index": c.index, "name": c.name, "function": c.function, "args": list(c.args),
                 "points": c.points, "expected": expected[(ex.id, c.index)], "as_array": c.as_array,
                 **({"figure": [{"check": f.kind, "points": f.points, "axis": f.axis, "count": f.count,
                                 "words": [[part, [list(g) for g in groups]] for part, groups in f.words]}
                                for f in c.figure]} if c.figure else {})}
                for c in cases
            ],
            # Feedback that works offline: known mistakes' answers on the public cases only, and the invariants
            # (seeded laws with no expected values, so they reveal nothing hidden).
            "misconceptions": [
                {**v.to_dict(), "outputs": [[i, ok, out] for i, ok, out in v.to_dict()["outputs"] if i in public]}
                for v in variants.get(ex.id, ())
            ],
            "invariants": ex.raw.get("invariants", []),
            "invariant_tolerance": {"rtol": ex.invariants[0].tolerance.rtol, "atol": ex.invariants[0].tolerance.atol}
            if ex.invariants else None,
        })
    return {
        "bundle_version": BUNDLE_VERSION, "course": course.title, "lesson": course.lesson,
        "pass_threshold": course.pass_threshold, "reveal": course.reveal, "due": course.due,
        "spec_hash": course.spec_hash, "exercises": exercises, "submission": submission or course.submission,
        "quizzes": [public_quiz(q) for q in course.quizzes],
    }


def course_from_bundle(folder: Path) -> tuple[Course, dict[tuple[str, int], Any]]:
    path = folder / BUNDLE_DIR / BUNDLE_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
        exercises = []
        expected: dict[tuple[str, int], Any] = {}
        for ex in data["exercises"]:
            functions = {
                name: Function(name, tuple(f["params"]), f["returns"], f["doc"], f.get("intuition", ""),
                               Tolerance(**f["tolerance"]), uses=tuple(f.get("uses", ())))
                for name, f in ex["functions"].items()
            }
            cases = tuple(
                Case(index=c["index"], name=c["name"], function=c["function"], args=tuple(c["args"]),
                     visibility="public", points=float(c["points"]), as_array=bool(c.get("as_array")),
                     figure=tuple(FigureCheck(f["check"], float(f["points"]), str(f["axis"]),
                                              tuple((str(part), tuple(tuple(str(w) for w in g) for g in groups))
                                                    for part, groups in f["words"]),
                                              None if f["count"] is None else int(f["count"]))
                                  for f in c.get("figure", ())))
                for c in ex["cases"]
            )
            for c in ex["cases"]:
                expected[(ex["id"], c["index"])] = c["expected"]
            tol = Tolerance(**{**(ex.get("invariant_tolerance") or {}), "nan": "fail"})
            invariants = tuple(parse_invariant(spec, ex["id"], tol) for spec in ex.get("invariants", []))
            exercises.append(Exercise(
                id=ex["id"], title=ex["title"], file=ex["file"], module=ex["file"][:-3], reference=None,
                intuition=ex["intuition"], functions=functions, cases=cases, limits=Limits(**ex["limits"]),
                points=sum(c.points for c in cases) + sum(inv.points for inv in invariants), invariants=invariants,
            ))
        quizzes = tuple(quiz_from_public(q, data["course"]) for q in data.get("quizzes", []))
        course = Course(
            root=folder.resolve(), title=data["course"], lesson=data["lesson"],
            pass_threshold=float(data["pass_threshold"]), reveal=data["reveal"], due=data.get("due"),
            exercises=tuple(exercises), quiz_items=tuple(CourseItem(q.id, folder / SHEET_FILE, q.points)
                                                         for q in quizzes),
            limits=exercises[0].limits, tolerance=Tolerance(),
            spec_hash=data["spec_hash"], has_reference=False, quizzes=quizzes,
            submission=data.get("submission", "file"),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise InputError(f"{path} is damaged ({type(exc).__name__}: {exc})",
                         "Rebuild the student folder with 'grader build --out DIR' in the course repository.") from None
    return course, expected


def bundle_variants(folder: Path) -> dict[str, tuple[Any, ...]]:
    """The known mistakes' public answers stored in a student folder, for diagnosis without the reference."""
    from grader.judge.diagnose import Variant

    try:
        data = json.loads((folder / BUNDLE_DIR / BUNDLE_FILE).read_text("utf-8"))
        return {ex["id"]: tuple(Variant.from_dict(v) for v in ex.get("misconceptions", [])) for ex in data["exercises"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{folder / BUNDLE_DIR / BUNDLE_FILE} is damaged ({type(exc).__name__}: {exc})",
                         "Rebuild the student folder with 'grader build --out DIR' in the course repository.") from None


def build(course: Course, out: Path, *, force: bool = False, student: str | None = None,
          notebook: str | None = None) -> list[Path]:
    """Write the student folder; refuses to overwrite a student's work unless ``force``.

    The quiz sheet carries ``student``'s own numbers (default: the folder's name, as ``grader check`` assumes).
    ``notebook`` (``each`` or ``single``) writes Jupyter notebooks instead of ``.py`` stubs, and the folder's
    bundle then grades a notebook even if a ``.py`` of the same name appears beside it.
    """
    from grader.authoring.notebook import notebook_names, student_notebooks

    out.mkdir(parents=True, exist_ok=True)
    stubs = notebook_names(course, notebook) if notebook else [ex.file for ex in course.exercises]
    clashes = [name for name in stubs if (out / name).exists()]
    if course.quizzes and (out / SHEET_FILE).exists():
        clashes.append(SHEET_FILE)
    if clashes and not force:
        raise InputError(f"{out} already has {', '.join(clashes)}; building would overwrite the student's work",
                         "Choose an empty folder, or pass --force to replace the stubs.")
    written = []
    if notebook:
        for name, text in student_notebooks(course, notebook, function_stub).items():
            written.append(write_atomic(out / name, text))
    else:
        for ex in course.exercises:
            written.append(write_atomic(out / ex.file, stub_source(ex)))
    if course.quizzes:
        sheet = build_sheet(course.quizzes, course.title, student or out.resolve().name)
        written.append(write_atomic(out / SHEET_FILE, sheet))
    bundle = json.dumps(public_bundle(course, "notebook" if notebook else None), indent=1, allow_nan=True)
    written.append(write_atomic(out / BUNDLE_DIR / BUNDLE_FILE, bundle + "\n"))
    return written
