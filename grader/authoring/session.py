"""Finding the course for a command: the course repository (reference and hidden cases) or a student folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.authoring.bundle import BUNDLE_DIR, BUNDLE_FILE, bundle_variants, course_from_bundle
from grader.errors import InputError
from grader.judge.grade import Plan
from grader.spec.course import Course, find_course_root, load_course
from grader.spec.expected import reference_outputs


@dataclass(frozen=True)
class Session:
    """The course a command works on and its plan, built once per command."""

    course: Course
    plan: Plan


def open_course(course_dir: Path | None, submission: Path | None = None) -> Session:
    """``--course`` wins; then a course.yaml at or above the working folder; then a student folder's bundle."""
    root: Path | None
    if course_dir is not None:
        root = course_dir.resolve()
        if not (root / "course.yaml").is_file():
            raise InputError(f"{course_dir} has no course.yaml", "Pass the folder that holds course.yaml to --course.")
    else:
        root = find_course_root(Path.cwd())
    if root is not None:
        course = load_course(root)
        return Session(course, Plan.build(course, "course", reference_outputs(course)))
    if submission is not None and (submission / BUNDLE_DIR / BUNDLE_FILE).is_file():
        course, expected = course_from_bundle(submission)
        return Session(course, Plan.build(course, "student", expected, variants=bundle_variants(submission)))
    raise InputError(
        "no course found: there is no course.yaml here or above, and no student folder",
        "Run inside the course repository, pass --course DIR, or check a folder made by 'grader build'.",
    )
