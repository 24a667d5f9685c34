"""Scenario hostile-deep-tree: shapes its sandbox copy so that removing it fails (issue 21).

At import it first switches the audit hook off (a refused open() leaves the hook's frame in the traceback; the
closure of its to_path() holds the cells of deny, realpath and getcwd, which it replaces), since the hook's
realpath of every deeper path would take minutes; the kernel is the boundary and allows all of what follows
inside the copy. Then it makes up to 1,100 nested folders (200 at import, 150 more per call) with 200-character names (deeper than the recursion
limit, far longer than PATH_MAX; built by chdir and relative names), a folder created with mode 000 holding a file, a
read-only folder holding a file, and a thousand empty files. shutil.rmtree raised RecursionError on
such a copy: `grader check` and `grader batch` exited 70 and left the scratch folders behind. Its answers
are right: it must get full marks and leave nothing behind.
"""
import os

import numpy as np


def _hook_off():
    try:
        open("/root/.grader-hook-probe")
    except PermissionError as exc:
        tb = exc.__traceback__
        while tb is not None:
            to_path = tb.tb_frame.f_locals.get("to_path")
            if callable(to_path) and getattr(to_path, "__closure__", None):
                for cell in to_path.__closure__:
                    value = cell.cell_contents
                    name = getattr(value, "__name__", "")
                    if name == "deny":
                        cell.cell_contents = lambda what: None
                    elif name == "realpath":
                        cell.cell_contents = lambda path: path
                    elif name == "getcwd":
                        cell.cell_contents = lambda: "/"
                return True
            tb = tb.tb_next
    except OSError:
        pass
    return False


HOOK_OFF = _hook_off()
DEPTH = [0]


def _deeper(levels):
    """Nest ``levels`` more folders below the deepest one, staying there (a mkdir costs up to 2 ms here, so
    the tree grows over the import and the calls, within their time limits)."""
    for _ in range(min(levels, 1100 - DEPTH[0])):
        os.mkdir("d" * 200)
        os.chdir("d" * 200)
        DEPTH[0] += 1


os.mkdir("locked", 0)
os.mkdir("readonly")
open(os.path.join("readonly", "kept.txt"), "w").close()
os.mkdir("readonly-later")
os.mkdir("many")
for i in range(1000):
    open(os.path.join("many", f"f{i}"), "w").close()
try:
    os.chmod("readonly", 0o500)  # refused by the kernel now (issue 21), so a 0o500 folder is made by mkdir below
except OSError:
    pass
os.mkdir(os.path.join("readonly-later", "inner"), 0o500)
_deeper(200)


def entropy(probs):
    _deeper(150)
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def most_uncertain(distributions):
    _deeper(150)
    return int(np.argmax([entropy(d) for d in distributions]))
