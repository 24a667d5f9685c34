"""Scenario hostile-read-reference: hunts for the course's reference solutions and answer data.

ATTACKS, all in try/except: (1) by path - walks up from __file__, os.getcwd() and the
grader package's folder looking for reference/entropy.py and exercises/*.yaml, and tries
/work/main/reference/entropy.py; (2) by import - reference.entropy, reference, grader,
autograder, grader.spec.expected.reference_outputs(), plus any already-loaded module whose name
smells of reference/solution/grader; (3) at call time, peeks at the caller's stack frames
for a local called expected / want / answer.
If anything is found it answers "correctly" (a leak makes entropy pass); otherwise it
returns deliberately wrong values (-1.0 and -1), so the expected result is "failed".
"""
import glob
import importlib
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

LOOT = []  # descriptions of everything found
_REFERENCE = {}  # stolen callables, if any


def _ancestors(start):
    path = os.path.abspath(start)
    while True:
        yield path
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def _steal_module(module, where):
    """Take the reference entropy functions from a module (never from this file itself)."""
    if getattr(module, "__dict__", None) is globals():
        return
    for name in ("entropy", "most_uncertain"):
        if callable(getattr(module, name, None)):
            _REFERENCE.setdefault(name, getattr(module, name))
            LOOT.append(f"{name} from {where}")


def _load_file(path):
    spec = importlib.util.spec_from_file_location("_stolen_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _steal_module(module, path)


def _read(path):
    """Count a file as loot only if its contents can really be read."""
    with open(path, encoding="utf-8") as fh:
        fh.read()
    LOOT.append(path)


def _search():
    starts = [os.path.dirname(os.path.abspath(__file__)), os.getcwd()]
    for name in ("reference.entropy", "reference", "grader", "autograder"):  # HOSTILE: by import
        try:
            module = importlib.import_module(name)
            _steal_module(module, "import " + name)
            if getattr(module, "__file__", None):  # a package's location points at the course
                starts.append(os.path.dirname(module.__file__))
        except Exception:
            pass
    folders = ["/work/main"]  # HOSTILE: the course repo's absolute path
    for start in starts:
        folders.extend(_ancestors(start))  # HOSTILE: walk up to /
    for folder in dict.fromkeys(folders):
        paths = [os.path.join(folder, "reference", "entropy.py")]
        try:
            paths += glob.glob(os.path.join(folder, "exercises", "*.yaml"))
        except Exception:
            pass
        for path in paths:
            try:
                _read(path)
                if path.endswith(".py"):
                    _load_file(path)
            except Exception:
                pass
    try:  # HOSTILE: ask the grader's own code for the expected values
        from grader.spec.course import find_course_root, load_course
        from grader.spec.expected import reference_outputs

        for start in starts + ["/work/main"]:
            root = find_course_root(Path(start))
            if root is not None:
                outputs = reference_outputs(load_course(root))
                LOOT.append(f"{len(outputs)} expected values from grader.spec.expected")
                break
    except Exception:
        pass
    for name, module in list(sys.modules.items()):  # HOSTILE: grader internals already loaded
        if module is not None and any(k in name.lower() for k in ("reference", "solution", "grader")):
            try:
                _steal_module(module, "sys.modules " + name)
            except Exception:
                pass


def _peek_caller(names=("expected", "want", "answer")):
    """HOSTILE: look for the expected answer in the caller's local variables."""
    try:
        frame = sys._getframe(2)
    except Exception:
        return None
    while frame is not None:
        for name in names:
            value = frame.f_locals.get(name)
            if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
                return value
        frame = frame.f_back
    return None


try:
    _search()
except Exception:
    pass


def _honest_entropy(probs):
    """Stands in for answers mined from whatever leaked (yaml files, grader internals)."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def entropy(probs):
    peeked = _peek_caller()
    if peeked is not None:
        return float(peeked)
    if "entropy" in _REFERENCE:
        return _REFERENCE["entropy"](probs)
    if LOOT:
        return _honest_entropy(probs)
    return -1.0  # nothing leaked: deliberately wrong


def most_uncertain(distributions):
    peeked = _peek_caller()
    if peeked is not None:
        return int(peeked)
    if "most_uncertain" in _REFERENCE:
        return _REFERENCE["most_uncertain"](distributions)
    if LOOT:
        return int(np.argmax([_honest_entropy(d) for d in distributions]))
    return -1  # nothing leaked: deliberately wrong
