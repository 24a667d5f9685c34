"""Loading the course's reference code into the grader's own (trusted) process.

Kept apart from the course model so that quizzes (grader.spec.quiz) and exercises can both load reference
modules without importing each other. Student code never comes here.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.spec.course import Exercise


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
