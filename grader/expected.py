"""Expected values, computed by the reference solutions in the grader's own (trusted) process.

Student code never runs here and the sandbox never receives these values.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.course import Course, Exercise


class ReferenceError_(Exception):
    """The reference failed on a case: a course bug, reported by ``grader validate``."""


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def reference_module(exercise: Exercise) -> ModuleType:
    assert exercise.reference is not None
    return load_module(exercise.reference, f"_grader_reference_{exercise.id}")


def plain(value: Any, returns: str) -> Any:
    """Reference outputs go through the same coercion as student outputs."""
    from grader.sandbox.worker import coerce

    return coerce(value, returns)[0]


def call(module: ModuleType, function: str, args: tuple[Any, ...], returns: str) -> Any:
    fn = getattr(module, function)
    return plain(fn(*copy.deepcopy(list(args))), returns)


_CACHE: dict[tuple[str, str], dict[tuple[str, int], Any]] = {}


def reference_outputs(course: Course) -> dict[tuple[str, int], Any]:
    """Expected value of every case, keyed by (exercise id, case index); cached per course version."""
    key = (str(course.root), course.spec_hash)
    if key in _CACHE:
        return _CACHE[key]
    out: dict[tuple[str, int], Any] = {}
    for ex in course.exercises:
        module = reference_module(ex)
        for case in ex.cases:
            fn = ex.functions[case.function]
            try:
                out[(ex.id, case.index)] = call(module, case.function, case.args, fn.returns)
            except Exception as exc:
                raise ReferenceError_(
                    f"reference {ex.reference.name}: {case.function}() failed on case {case.name!r}: "
                    f"{type(exc).__name__}: {exc}") from exc
    _CACHE[key] = out
    return out
