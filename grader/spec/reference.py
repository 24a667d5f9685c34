"""Loading the course's reference code into the grader's own (trusted) process.

Kept apart from the course model so that quizzes (grader.spec.quiz) and exercises can both load reference
modules without importing each other. Student code never comes here.

The reference and the known mistakes are the course author's code: anything wrong with them (a syntax
error, an exception, a missing function) is a course error (exit 3) located at ``reference/FILE.py:LINE``,
never a grader crash.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from grader.errors import Problem, SpecError, did_you_mean

if TYPE_CHECKING:
    from grader.spec.course import Exercise


class ReferenceError_(SpecError):
    """The course's own code failed (on import or on a case): a course bug, exit 3, at the author's file:line."""


def course_root_of(path: Path) -> Path | None:
    for parent in path.resolve().parents:
        if (parent / "course.yaml").is_file():
            return parent
    return None


def shown(path: Path | str) -> str:
    """A course file as its author names it: relative to the course root (``reference/entropy.py``)."""
    path = Path(path)
    root = course_root_of(path)
    if root is not None:
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def _in_course(filename: str, root: Path | None) -> bool:
    if root is None or not filename or filename.startswith("<"):
        return False
    path = Path(filename).resolve()
    grader_pkg = Path(__file__).resolve().parents[1]
    return path.is_relative_to(root) and not path.is_relative_to(grader_pkg) and ".venv" not in path.parts


def code_problem(exc: BaseException, path: Path, what: str, fix: str) -> Problem:
    """``exc`` raised by the course's code, located at the deepest line of the course's own files.

    A SyntaxError names its own file and line; any other exception is placed at the last traceback
    frame inside the course (the reference's own line, not the grader's), else at ``path``.
    """
    root = course_root_of(path)
    if isinstance(exc, SyntaxError) and exc.filename:
        where = Path(exc.filename)
        detail = f"{type(exc).__name__}: {exc.msg}"
        return Problem(shown(where), exc.lineno or 1, exc.offset or 1, f"{what}: {detail}; {fix}")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _in_course(f.filename, root)]
    detail = f"{type(exc).__name__}: {exc}".replace("_grader_reference_", "reference ")
    if frames:
        last = frames[-1]
        source = f" (in {last.name}: {last.line})" if last.line else ""
        return Problem(shown(last.filename), last.lineno or 1, (getattr(last, "colno", None) or 0) + 1,
                       f"{what}: {detail}{source}; {fix}")
    return Problem(shown(path), 1, 1, f"{what}: {detail}; {fix}")


def raised_at(exc: BaseException, path: Path) -> str:
    """`` (raised at reference/entropy.py:9: assert ...)`` for messages located in a YAML file, or ``""``."""
    p = code_problem(exc, path, "", "")
    if p.file == shown(path) and p.line == 1 and not isinstance(exc, SyntaxError):
        return ""
    source = p.message.split(" (in ", 1)[1].rsplit(")", 1)[0] if " (in " in p.message else ""
    return f" (raised at {p.file}:{p.line}" + (f", in {source}" if source else "") + ")"


def defined_names(path: Path) -> set[str]:
    """Names a Python file defines at module level (functions, assignments, imports), read without running it.

    Raises ReferenceError_ at the file's line when it does not parse.
    """
    try:
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise ReferenceError_([code_problem(exc, path, f"{shown(path)} does not parse",
                                            "fix the syntax (python -m py_compile shows the same error)")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceError_([Problem(shown(path), 1, 1, f"{shown(path)} cannot be read: {exc}")]) from None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def missing_function(path: Path, name: str, names: set[str]) -> str:
    """The message for a function the course names but ``path`` does not define."""
    options = sorted(n for n in names if not n.startswith("_"))
    return (f"{shown(path)} has no function {name}(); define it there, or correct the name"
            f"{did_you_mean(name, options)}")


def load_module(path: Path, name: str) -> ModuleType:
    """Import a course file; a failure is a course error at the author's file:line (exit 3)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ReferenceError_([Problem(shown(path), 1, 1, f"{shown(path)} cannot be imported as Python code")])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ReferenceError_([code_problem(exc, path, f"{shown(path)} could not be imported",
                                            "fix the course's code so that it imports")]) from None
    return module


def reference_module(exercise: Exercise) -> ModuleType:
    assert exercise.reference is not None
    if any(fn.returns == "figure" for fn in exercise.functions.values()):
        from grader.sandbox.figure import preload

        preload()  # Agg before the reference imports pyplot: the grader never opens a window
    return load_module(exercise.reference, f"_grader_reference_{exercise.id}")


def plain(value: Any, returns: str) -> Any:
    """Reference outputs go through the same coercion as student outputs."""
    from grader.sandbox.worker import coerce

    return coerce(value, returns)[0]


def call(module: ModuleType, function: str, args: tuple[Any, ...], returns: str) -> Any:
    fn = getattr(module, function)
    if returns == "figure":
        from grader.sandbox.figure import drawn

        return drawn(lambda: fn(*copy.deepcopy(list(args))))
    return plain(fn(*copy.deepcopy(list(args))), returns)
