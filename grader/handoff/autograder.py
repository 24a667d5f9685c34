"""The Gradescope autograder: ``grader export gradescope`` writes the bundle, ``run`` grades inside it.

Bundle layout (zip root)::

    setup.sh          installs Python and the grader (Gradescope runs it once, building the image)
    run_autograder    grades /autograder/submission, always leaves /autograder/results/results.json
    grader-src/       installable copy of the grader (no course files)
    course/           course.yaml, exercises, reference solutions: graded with every case, hidden too

The student-facing build (stubs, public.json) is not in it: Gradescope grades in course mode.
``GRADER_AUTOGRADER_ROOT`` moves ``/autograder`` (for tests), ``GRADER_PYTHON`` picks the interpreter,
and ``GRADER_SKIP_INSTALL=1`` makes setup.sh a no-op (tests run with the interpreter they already have).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from grader.files import write_atomic
from grader.spec.course import Course

ROOT_ENV = "GRADER_AUTOGRADER_ROOT"
PYTHON_ENV = "GRADER_PYTHON"
SKIP_INSTALL_ENV = "GRADER_SKIP_INSTALL"
DEFAULT_ROOT = "/autograder"

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu 22.04 by default).
# It installs Python and the grader into a venv; the course (reference, hidden cases) stays in
# source/course, where student code cannot read it.
set -euo pipefail
ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
if [ -n "${GRADER_SKIP_INSTALL:-}" ]; then
  echo "GRADER_SKIP_INSTALL is set: installing nothing"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --no-cache-dir --upgrade pip
"$ROOT/venv/bin/python" -m pip install --no-cache-dir "$SOURCE/grader-src"
# Fail the image build now, not at the first submission, if the course does not load.
"$ROOT/venv/bin/python" -m grader validate --course "$SOURCE/course"
"""

# The fallback JSON is written by bash, for when Python cannot even start the grader.
RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. It always leaves results/results.json behind.
set -uo pipefail
ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
RESULTS="$ROOT/results/results.json"
PY="${GRADER_PYTHON:-$ROOT/venv/bin/python}"
if [ ! -x "$PY" ]; then PY="$(command -v python3 || echo python3)"; fi
# The bundled grader is the one that grades, whatever else is installed.
export PYTHONPATH="$ROOT/source/grader-src"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
cd "$ROOT"
"$PY" -m grader.handoff.autograder run --root "$ROOT"
if [ ! -s "$RESULTS" ]; then
  cat > "$RESULTS" <<'JSON'
{"score": 0,
 "output": "The autograder could not start, so this submission was not graded. This is not a problem with \
your code: please tell your instructor (the details are in the autograder log).",
 "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden", "tests": []}
JSON
fi
exit 0
"""

_COURSE_SKIP = ("__pycache__",)
_EPOCH = (1980, 1, 1, 0, 0, 0)


def course_files(course: Course) -> list[Path]:
    """Files of the course, relative to its root: course.yaml and every folder an exercise or quiz uses.

    Whole folders, so helpers beside a reference or a quiz (misconception variants, data) come along.
    """
    root = course.root
    used: set[Path] = {root / "course.yaml"}
    for ex in course.exercises:
        for path in (ex.spec_path, ex.reference):
            if path is not None:
                used.add(path)
    used.update(q.file for q in course.quiz_items)
    used.update(q.reference for q in course.quizzes if getattr(q, "reference", None) is not None)
    files: set[Path] = set()
    for path in used:
        rel = path.resolve().relative_to(root)
        if len(rel.parts) == 1:
            files.add(rel)
            continue
        folder = root / rel.parts[0]
        for found in folder.rglob("*"):
            parts = found.relative_to(root).parts
            if found.is_file() and not any(p.startswith(".") or p in _COURSE_SKIP for p in parts):
                files.add(found.relative_to(root))
    return sorted(files)


def _add(zf: zipfile.ZipFile, arcname: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(arcname, _EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | 0o100000) << 16
    zf.writestr(info, data)


def export_gradescope(course: Course, out: Path) -> list[str]:
    """Write the autograder zip (reproducible: sorted entries, fixed dates); return its entry names."""
    from grader.handoff.vendor import vendor_grader
    from grader.spec.course import load_course

    with tempfile.TemporaryDirectory(prefix="grader-export-") as tmp:
        stage = Path(tmp)
        vendor_grader(stage / "grader-src")
        for rel in course_files(course):
            target = stage / "course" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(course.root / rel, target)
        load_course(stage / "course")  # the copy must stand on its own: raises SpecError if a file is missing
        entries: dict[str, tuple[bytes, bool]] = {
            "setup.sh": (SETUP_SH.encode(), True),
            "run_autograder": (RUN_AUTOGRADER.encode(), True),
        }
        for path in sorted(stage.rglob("*")):
            if path.is_file():
                entries[path.relative_to(stage).as_posix()] = (path.read_bytes(), False)
        tmp_zip = stage / "autograder.zip"
        with zipfile.ZipFile(tmp_zip, "w") as zf:
            for name in sorted(entries, key=lambda n: (n not in ("setup.sh", "run_autograder"), n)):
                data, executable = entries[name]
                _add(zf, name, data, executable)
        write_atomic(out, tmp_zip.read_bytes())
        return list(entries)


def submission_folder(submission: Path, course: Course) -> Path:
    """Students often upload a zip of a folder: grade the one subfolder that holds their files."""
    from grader.judge.sources import COURSE_NOTEBOOK

    names = {ex.file for ex in course.exercises} | {f"{ex.module}.ipynb" for ex in course.exercises} | {COURSE_NOTEBOOK}
    if not course.exercises or any((submission / n).is_file() for n in names):
        return submission
    candidates = [
        p.parent for p in sorted(submission.rglob("*"))
        if p.name in names and not any(part.startswith((".", "__MACOSX")) for part in p.relative_to(submission).parts)
    ]
    folders = sorted(set(candidates))
    return folders[0] if len(folders) == 1 else submission


def _student(root: Path, submission: Path) -> tuple[str, tuple[str, ...]]:
    """Who Gradescope says submitted (e-mail first: build quiz sheets with it), else the sheet's id; and, for a
    group submission, every member's e-mail and sid (a sheet built for any member is accepted: Gradescope lists
    the group's members in ``users`` in no order we can rely on, and grades one submission for all of them).

    Gradescope's word wins over the sheet's ``student:`` line, which the student could edit to take
    someone else's variant: a sheet naming anyone outside ``users`` still scores 0.
    """
    try:
        meta = json.loads((root / "submission_metadata.json").read_text("utf-8"))
        users = [u for u in meta["users"] if isinstance(u, dict)]
        ids = [str(u.get("email") or u.get("sid") or u.get("name") or u.get("id") or "") for u in users]
        if ids and ids[0]:
            accept = tuple(dict.fromkeys(str(v) for u in users for v in (u.get("email"), u.get("sid")) if v))
            return ids[0], accept if len(users) > 1 else ()
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        pass
    from grader.spec.quiz.sheet import sheet_student

    return sheet_student(submission) or "submission", ()


def run(root: Path) -> int:
    """Grade ``root/submission`` with the course in ``root/source/course``; write ``root/results/results.json``.

    Whatever happens, a valid results.json is written: a grader crash becomes a score-0 file that
    says it is not the student's fault, and the traceback goes to stdout (instructors only).
    """
    from grader.reports.formats.gradescope import crash_results, to_gradescope

    started = time.perf_counter()
    results = root / "results" / "results.json"
    print(f"grader {Path(__file__).resolve().parent}, Python {sys.version.split()[0]}, root {root}", flush=True)
    try:
        from grader.errors import GraderError
        from grader.judge.grade import Plan, grade_submission
        from grader.reports.render import render
        from grader.sandbox.client import Sandbox
        from grader.spec.course import load_course
        from grader.spec.expected import reference_outputs

        with Sandbox() as sandbox:
            sandbox.spawn()  # NumPy starts in the fork server while the course loads
            try:
                course = load_course(root / "source" / "course")
            except GraderError as exc:
                raise RuntimeError(f"the course in the autograder does not load:\n{exc.format()}") from None
            plan = Plan.build(course, "course", reference_outputs(course))
            submission = submission_folder(root / "submission", course)
            student, group = _student(root, submission)
            result = grade_submission(plan, submission, sandbox, student=student, extra_forbidden=(root,),
                                      accept=group)
        data = to_gradescope(result)
        print(render(result, "text"), flush=True)
    except BaseException as exc:  # Gradescope must get a results.json, whatever broke
        traceback.print_exc()
        sys.stdout.flush()
        data = crash_results(f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
    write_atomic(results, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.handoff.autograder", description="Gradescope entry point.")
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="grade ROOT/submission and write ROOT/results/results.json")
    run_p.add_argument("--root", type=Path, default=Path(DEFAULT_ROOT))
    args = parser.parse_args(argv)
    return run(args.root.resolve())


if __name__ == "__main__":
    sys.exit(main())
