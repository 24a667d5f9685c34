"""Scenario hostile-hook-off: switches the audit hook off from Python, then reads the reference.

ATTACKS (issue 11), each in try/except: (1) replaces the guard module's helpers in sys.modules
with functions that allow everything; (2) finds the hook's closure through gc.get_objects() and
empties its cells; (3) an os.PathLike whose __fspath__ answers a harmless path at the check and the
reference at the open; (4) os.chdir to the course plus a monkeypatched os.getcwd; (5) a thread that
flips the working folder between check and open. Then it reads reference/entropy.py (found from the
grader package's own __file__) and answers with the reference if it could.
A leak makes entropy pass; with Landlock, every read of the course fails, so entropy returns -1.
"""
import gc
import os
import sys
import threading

import numpy as np

LOOT = []


def _course_root():
    pkg = sys.modules.get("grader")
    if pkg is not None and getattr(pkg, "__file__", None):
        return os.path.dirname(os.path.dirname(pkg.__file__))
    return "/work/main"


def _switch_off():
    guard = sys.modules.get("grader.sandbox.guard")
    if guard is not None:
        for name in ("_inside", "check_read", "check_write"):
            try:
                setattr(guard, name, lambda *a, **k: True)
            except Exception:
                pass
    try:
        for obj in gc.get_objects():
            if callable(obj) and getattr(obj, "__name__", "") == "hook" and getattr(obj, "__closure__", None):
                for cell in obj.__closure__:
                    try:
                        if isinstance(cell.cell_contents, (list, tuple)):
                            cell.cell_contents = ()
                        elif callable(cell.cell_contents):
                            cell.cell_contents = lambda *a, **k: None
                    except Exception:
                        pass
    except Exception:
        pass


class Flip:
    def __init__(self, target):
        self.target, self.calls = target, 0

    def __fspath__(self):
        self.calls += 1
        return os.path.abspath("harmless.txt") if self.calls == 1 else self.target


def _read(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if "def entropy" in text and "hostile-hook-off" not in text:  # not this very file, read from the sandbox
        LOOT.append(text)


def _attack():
    root = _course_root()
    ref = os.path.join(root, "reference", "entropy.py")
    _switch_off()
    for attempt in (
        lambda: _read(ref),
        lambda: _read(Flip(ref)),
        lambda: (os.chdir(os.path.join(root, "reference")), setattr(os, "getcwd", lambda: "/tmp"), _read("entropy.py")),
    ):
        try:
            attempt()
        except Exception:
            pass
    try:
        os.chdir(os.path.dirname(os.path.abspath(__file__)))
    except Exception:
        pass
    open("harmless.txt", "w").close() if not os.path.exists("harmless.txt") else None
    stop = []

    def flipper():
        while not stop:
            try:
                os.chdir(os.path.join(root, "reference"))
                os.chdir(os.path.dirname(os.path.abspath(__file__)))
            except Exception:
                return

    t = threading.Thread(target=flipper, daemon=True)
    t.start()
    for _ in range(30):  # the GIL hands over every 5 ms: kept short so the call stays far from its limit
        try:
            _read("entropy.py")
        except Exception:
            pass
    stop.append(1)
    t.join(1)


TRIED = []


def entropy(probs):
    """Shannon entropy in bits, answered with the reference if it leaked; else a wrong value."""
    if not TRIED:  # once per worker
        TRIED.append(1)
        try:
            _attack()
        except Exception:
            pass
    if LOOT:
        namespace = {}
        exec(LOOT[0], namespace)
        return float(namespace["entropy"](probs))
    return -1.0


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    p = [np.asarray(d, dtype=float) for d in distributions]
    return int(np.argmax([float(-np.sum(q[q > 0] * np.log2(q[q > 0]))) for q in p]))
