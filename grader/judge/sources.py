"""Which file of a submission each exercise grades: ``entropy.py``, ``entropy.ipynb`` or the course notebook.

A folder may hold ``entropy.py``, ``entropy.ipynb`` (one notebook per exercise) or one course notebook
(``course.ipynb``, or the only notebook not named after an exercise). When both a ``.py`` and a notebook are
there, the course's ``submission: file|notebook`` decides (default: the ``.py``) and the report says so.
Notebooks are turned into modules here, in the grader's process, as data (grader.sandbox.notebook); the
modules are written only into the sandbox's private copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.record import Check
from grader.sandbox.notebook import (
    Module,
    Notebook,
    NotebookError,
    build_module,
    explain_name_error,
    notebook_files,
    read_notebook,
    write_module,
)
from grader.sandbox.task_error import ErrorKind
from grader.spec.course import Course, Exercise

COURSE_NOTEBOOK = "course.ipynb"


@dataclass
class Source:
    """How one exercise is graded from a notebook: the module, or why the notebook cannot be graded."""

    file: str  # the notebook graded, e.g. entropy.ipynb
    module: Module | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def course_notebook(names: list[str], course: Course) -> str | None:
    """``course.ipynb``; else, when no notebook is named after an exercise, the folder's only notebook."""
    if COURSE_NOTEBOOK in names:
        return COURSE_NOTEBOOK
    modules = {f"{ex.module}.ipynb" for ex in course.exercises}
    if any(n in modules for n in names):
        return None  # entropy.ipynb beside scratch.ipynb: the scratch notebook is not a course notebook
    return names[0] if len(names) == 1 else None


def resolve(course: Course, submission: Path) -> dict[str, Source]:
    """exercise id -> its notebook source, for the exercises graded from a notebook (others: their .py file).

    Exercises whose ``.py`` is graded although a notebook is there get a Source with no module and a note.
    """
    notebooks = dict(notebook_files(submission))
    if not notebooks:
        return {}
    shared = course_notebook(sorted(notebooks), course)
    known = {name for ex in course.exercises for name in ex.functions}
    read: dict[str, Notebook | NotebookError] = {}
    seen_notes: set[str] = set()
    out: dict[str, Source] = {}
    for ex in course.exercises:
        own = f"{ex.module}.ipynb"
        name = own if own in notebooks else shared
        if name is None:
            continue
        py = submission / ex.file
        has_py = py.is_file() and not py.is_symlink()
        if has_py and course.submission != "notebook":
            out[ex.id] = Source(ex.file, notes=[f"both {ex.file} and {name} are here: {ex.file} was graded "
                                                "(the course grades the .py file; course.yaml: submission: file)"])
            continue
        source = Source(name)
        if has_py:
            source.notes.append(f"both {ex.file} and {name} are here: {name} was graded "
                                "(course.yaml: submission: notebook)")
        if name not in read:
            try:
                read[name] = read_notebook(notebooks[name])
            except NotebookError as exc:
                read[name] = exc
        nb = read[name]
        try:
            if isinstance(nb, NotebookError):
                raise nb
            source.module = build_module(nb, ex.functions, known)
        except NotebookError as exc:
            source.error = str(exc)
        else:
            for note in source.module.notes:  # a course notebook's notes are said once, not per exercise
                if note not in seen_notes:
                    seen_notes.add(note)
                    source.notes.append(note)
        out[ex.id] = source
    return out


def write(sources: dict[str, Source], course: Course, work: Path) -> None:
    """Put each notebook's module into the sandbox copy ``work`` as the exercise's file.

    A notebook that cannot be graded leaves no file there (not even a ``.py`` the course said to ignore), so
    the exercise is reported with the notebook's error and the others are graded as usual.
    """
    for ex in course.exercises:
        source = sources.get(ex.id)
        if source is None or source.file == ex.file:
            continue
        target = work / ex.file
        if source.module is not None:
            write_module(source.module, target)
        elif target.exists():
            target.unlink()


def rename_files(course: Course, sources: dict[str, Source], text: str) -> str:
    """``text`` with each exercise's ``.py`` named as the notebook it was graded from (for messages that span
    exercises, such as invariants)."""
    for ex in course.exercises:
        source = sources.get(ex.id)
        if source is not None and source.file != ex.file:
            text = _swap(text, ex.file, source.file)
    return text


def _swap(text: str, old: str, new: str) -> str:
    """``old`` as a whole file name (``entropy.py`` but not the end of ``cross_entropy.py``) replaced by ``new``."""
    return re.sub(rf"(?<![\w./-]){re.escape(old)}(?!\w)", new.replace("\\", "\\\\"), text)


def relocate(ex: Exercise, source: Source | None, checks: list[Check]) -> None:
    """Point the checks of a notebook exercise at the notebook's cell and line, in fields and messages."""
    if source is None or source.file == ex.file:
        return
    module = source.module
    for check in checks:
        if check.kind == "invariant":
            continue
        if source.error is not None:
            check.message, check.file, check.line = source.error, source.file, None
            check.details = {"exception": ErrorKind.NOTEBOOK_ERROR.value}
            continue
        if check.file != ex.file or module is None:
            continue
        line = check.line  # a line of the module the sandbox ran
        place = module.place(line)
        check.file = source.file
        check.cell, check.line = place if place else (None, None)
        if line:
            check.message = check.message.replace(f"({ex.file}:{line})", f"({module.where(line)})")
        check.message = check.message.replace(f"{ex.file} could not be imported",
                                              f"the code cells of {source.file} could not run")
        check.message = _swap(check.message, ex.file, source.file)  # the student never saw the generated module
        why = explain_name_error(module, check.message, line) if check.details.get("exception") == "NameError" else None
        if why:
            check.message += f". {why}"
