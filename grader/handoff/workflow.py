"""``grader init-ci``: a GitHub Actions workflow for a student repository or for the course repository.

Actions are pinned to full commit SHAs (a tag can be moved; a SHA cannot), permissions are the least
each job needs, and the grader is installed from a copy vendored into the repository unless an
``--install`` requirement is given. To update a pin: ``git ls-remote https://github.com/OWNER/REPO TAG``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.authoring.bundle import BUNDLE_DIR, BUNDLE_FILE
from grader.errors import InputError, UsageError
from grader.files import write_atomic


@dataclass(frozen=True)
class Pin:
    repo: str
    sha: str
    version: str

    @property
    def uses(self) -> str:
        return f"{self.repo}@{self.sha}  # {self.version}"


# Every commit an action may be pinned to, with the tag it was checked to be: the one place to change a pin
# (tests/test_init_ci.py fails on a pin not listed here). Each was checked against the action's repository
# (`git ls-remote`, and the tree at that commit holds what its action.yml runs).
VERIFIED_PINS: dict[tuple[str, str], str] = {
    ("actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683"): "v4.2.2",
    ("actions/setup-python", "a26af69be951a213d495a4c3e4e4022e16d87065"): "v5.6.0",
    # tag v1 = branch releases/v1: the built action. Its action.yml runs dist/main.js, which exists only on
    # releases/v1 (main, e.g. 43c2d9f, has no dist/ and fails with "File not found").
    ("classroom-resources/autograding-grading-reporter", "d13b5912daf5042ac1b71bc38bdb4a6bcd61d8ca"): "v1",
}


def _pin(repo: str) -> Pin:
    (sha, tag), = [(sha, tag) for (r, sha), tag in VERIFIED_PINS.items() if r == repo]
    return Pin(repo, sha, tag)


CHECKOUT = _pin("actions/checkout")
SETUP_PYTHON = _pin("actions/setup-python")
CLASSROOM_REPORTER = _pin("classroom-resources/autograding-grading-reporter")
PINS = (CHECKOUT, SETUP_PYTHON, CLASSROOM_REPORTER)

WORKFLOW_PATH = Path(".github/workflows/grader.yml")
VENDOR_DIR = Path(BUNDLE_DIR) / "grader-src"
PYTHON_VERSION = "3.11"

_STUDENT = """\
# Written by `grader init-ci`: grades the public checks of this assignment on every push and pull
# request, annotates the failing lines, and reports the points to GitHub Classroom.
# Only public cases live in this repository; hidden cases are graded by the instructor elsewhere.
name: Autograding Tests
"on":
  push:
  pull_request:
  workflow_dispatch:
  repository_dispatch:
permissions:
  contents: read
{classroom_permissions}jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    timeout-minutes: 10
{classroom_if}    steps:
      - name: Check out the submission
        uses: {checkout}
        with:
          persist-credentials: false
      - name: Set up Python
        uses: {setup_python}
        with:
          python-version: "{python}"
      - name: Install the grader
        run: python -m pip install {install}
      - name: Grade (exits 1 below the pass threshold)
        id: grader
        run: grader ci .
{classroom_step}"""

_CLASSROOM_PERMISSIONS = """\
  checks: write   # GitHub Classroom reads the points from this run's check annotations
  actions: read
"""
_CLASSROOM_IF = "    if: github.actor != 'github-classroom[bot]'\n"
_CLASSROOM_STEP = """\
      - name: Report the points to GitHub Classroom
        if: always() && steps.grader.outputs.result != ''
        uses: {reporter}
        env:
          GRADER_RESULTS: ${{{{ steps.grader.outputs.result }}}}
        with:
          runners: grader
"""

_COURSE = """\
# Written by `grader init-ci`: checks the course on every push and pull request (the specs validate,
# the reference solutions pass every public and hidden case in the sandbox), and lets an instructor
# grade one student repository with the hidden cases by hand (Actions > Course > Run workflow).
# Keep this repository private: it holds the reference solutions and the hidden cases.
name: Course
"on":
  push:
  pull_request:
  workflow_dispatch:
    inputs:
      repository:
        description: "Student repository to grade with the hidden cases (owner/name); empty: course checks only"
        required: false
        default: ""
permissions:
  contents: read
jobs:
  course:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    steps:
      - name: Check out the course
        uses: {checkout}
        with:
          persist-credentials: false
      - name: Set up Python
        uses: {setup_python}
        with:
          python-version: "{python}"
      - name: Install the grader
        run: python -m pip install {install}
      - name: Validate the course
        run: grader validate
{reference_step}  grade-student:
    if: github.event_name == 'workflow_dispatch' && inputs.repository != ''
    runs-on: ubuntu-latest
    timeout-minutes: 15
    steps:
      - name: Check out the course
        uses: {checkout}
        with:
          persist-credentials: false
      - name: Check out the student's repository
        uses: {checkout}
        with:
          repository: ${{{{ inputs.repository }}}}
          token: ${{{{ secrets.STUDENT_REPOS_TOKEN }}}}   # read access to the students' repositories
          path: submission
          persist-credentials: false
      - name: Set up Python
        uses: {setup_python}
        with:
          python-version: "{python}"
      - name: Install the grader
        run: python -m pip install {install}
      - name: Grade with every case, hidden ones included
        env:
          STUDENT_REPOSITORY: ${{{{ inputs.repository }}}}   # via env, never spliced into the script
        run: grader ci submission --student "$STUDENT_REPOSITORY" --format junit --output grader-junit.xml
"""

_REFERENCE_STEP = """\
      - name: Grade the reference solutions with every case, as a submission would be
        run: grader ci {reference} --student reference --format junit --output grader-junit.xml
"""


def detect_kind(folder: Path) -> str:
    if (folder / "course.yaml").is_file():
        return "course"
    if (folder / BUNDLE_DIR / BUNDLE_FILE).is_file():
        return "student"
    raise UsageError(f"{folder} is neither a course repository (no course.yaml) nor a student folder "
                     f"(no {BUNDLE_DIR}/{BUNDLE_FILE})",
                     "Run it in the course repository, or in a folder made by 'grader build --out DIR'.")


def _reference_folder(folder: Path) -> str | None:
    """The folder of reference solutions, if they are named like the student files (then it grades as-is)."""
    from grader.spec.course import load_course

    course = load_course(folder)
    parents = {ex.reference.parent for ex in course.exercises if ex.reference is not None}
    named_alike = all(ex.reference is not None and ex.reference.name == ex.file for ex in course.exercises)
    if len(parents) != 1 or not named_alike:
        return None
    try:
        return parents.pop().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return None


def _has_grader_project(folder: Path) -> bool:
    pyproject = folder / "pyproject.toml"
    return pyproject.is_file() and 'name = "infotheory-grader"' in pyproject.read_text("utf-8")


def workflow_text(kind: str, install: str, *, classroom: bool = True, reference: str | None = None,
                  python: str = PYTHON_VERSION) -> str:
    common = {"checkout": CHECKOUT.uses, "setup_python": SETUP_PYTHON.uses, "python": python, "install": install}
    if kind == "student":
        return _STUDENT.format(
            **common,
            classroom_permissions=_CLASSROOM_PERMISSIONS if classroom else "",
            classroom_if=_CLASSROOM_IF if classroom else "",
            classroom_step=_CLASSROOM_STEP.format(reporter=CLASSROOM_REPORTER.uses) if classroom else "",
        )
    step = _REFERENCE_STEP.format(reference=reference) if reference else ""
    return _COURSE.format(**common, reference_step=step)


def init_ci(folder: Path, *, kind: str | None = None, install: str | None = None, classroom: bool = True,
            force: bool = False, python: str = PYTHON_VERSION) -> list[Path]:
    """Write the workflow (and, unless ``install`` is given, a vendored grader); return the files written."""
    from grader.handoff.vendor import vendor_grader

    folder = folder.resolve()
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    kind = kind or detect_kind(folder)
    target = folder / WORKFLOW_PATH
    if target.exists() and not force:
        raise InputError(f"{target} already exists", "Pass --force to replace it.")
    written: list[Path] = []
    reference = _reference_folder(folder) if kind == "course" else None
    if install is None:
        if kind == "course" and _has_grader_project(folder):
            install = "."
        else:
            vendor_grader(folder / VENDOR_DIR)
            written.append(folder / VENDOR_DIR)
            install = f"./{VENDOR_DIR.as_posix()}"
    elif any(c in install for c in "\n\r"):
        raise UsageError("--install must be one line")
    text = workflow_text(kind, _shell_word(install), classroom=classroom, reference=reference, python=python)
    written.insert(0, write_atomic(target, text))
    return written


def _shell_word(text: str) -> str:
    """Quote a pip requirement for the ``run:`` line unless it is plainly safe."""
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@+=")
    return text if text and set(text) <= safe else "'" + text.replace("'", "'\"'\"'") + "'"
