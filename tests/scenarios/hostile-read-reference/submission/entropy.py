"""Scenario hostile-read-reference: hunts for the course's reference solutions and answer data.

ATTACKS, all in try/except: (1) by path - walks up from __file__ and from os.getcwd()
looking for reference/entropy.py and exercises/*.yaml, and tries /work/main/reference/entropy.py;
(2) by import - reference.entropy, reference, grader, autograder, plus any already-loaded
module whose name smells of reference/solution/grader; (3) at call time, peeks at the
caller's stack frames for a local called expected / want / answer.
If anything is found it answers "correctly" (a leak makes entropy pass); otherwise it
returns deliberately wrong values (-1.0 and -1), so the expected result is "failed".
"""
import glob
import importlib
import importlib.util
import os
import sys

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


def _search():
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = ["/work/main/reference/entropy.py"]  # HOSTILE: the course repo's absolute path
    for start in (here, os.getcwd()):
        for folder in _ancestors(start):  # HOSTILE: walk up to /
            candidates.append(os.path.join(folder, "reference", "entropy.py"))
            for path in glob.glob(os.path.join(folder, "exercises", "*.yaml")):
                try:
                    with open(path, encoding="utf-8") as fh:
                        fh.read()
                    LOOT.append(path)
                except Exception:
                    pass
    for path in dict.fromkeys(candidates):
        try:
            if os.path.isfile(path):
                LOOT.append(path)  # readable reference source: already a leak
                _load_file(path)
        except Exception:
            pass
    for name in ("reference.entropy", "reference", "grader", "autograder"):  # HOSTILE: by import
        try:
            _steal_module(importlib.import_module(name), "import " + name)
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
