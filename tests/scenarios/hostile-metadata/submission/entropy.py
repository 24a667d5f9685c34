"""Scenario hostile-metadata: changes the metadata of files it cannot write (issue 21).

Landlock has no right for chmod, chown, utime or extended attributes, so before seccomp refused them a worker
could chmod 000 the course's reference/ and exercises/ (every later check failed until someone repaired it),
its class folder (classmates scored 0 in a batch), and as root set the setuid bit on root-owned files. It
finds the grader's paths in its own stack (the forbidden folders of its request), then tries each call on
each; whatever got through is put back, so a broken defence costs a failed test, not a broken checkout.
It answers correctly only if an attack got through.
"""
import os
import stat
import sys

import numpy as np

WINS = []


def _paths():
    found = set()
    frame = sys._getframe()
    while frame is not None:
        for value in frame.f_locals.values():
            if isinstance(value, (list, tuple)):
                found.update(v for v in value if isinstance(v, str) and v.startswith("/"))
            if isinstance(value, dict):
                found.update(v for v in value.get("forbidden", []) if isinstance(v, str) and v.startswith("/"))
        frame = frame.f_back
    return sorted(found)


def _targets():
    out = []
    for root in _paths():
        out.append(root)
        for name in ("reference", "exercises", "course.yaml", "gradebook.csv", "other-student"):
            out.append(os.path.join(root, name))
    return [p for p in out if os.path.lexists(p)]


def _attempt(name, path, change, undo):
    try:
        before = os.lstat(path)
    except OSError:
        return
    try:
        change(path)
    except OSError:
        return
    WINS.append(f"{name} {path}")
    try:
        undo(path, before)
    except OSError:
        pass


def _attack():
    for path in _targets():
        _attempt("chmod 000", path, lambda p: os.chmod(p, 0), lambda p, st: os.chmod(p, stat.S_IMODE(st.st_mode)))
        _attempt("setuid", path, lambda p: os.chmod(p, 0o4777),
                 lambda p, st: os.chmod(p, stat.S_IMODE(st.st_mode)))
        _attempt("chown", path, lambda p: os.chown(p, 65534, 65534), lambda p, st: os.chown(p, st.st_uid, st.st_gid))
        _attempt("utime", path, lambda p: os.utime(p, (0, 0)),
                 lambda p, st: os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns)))
        _attempt("setxattr", path, lambda p: os.setxattr(p, "user.pwned", b"1"),
                 lambda p, st: os.removexattr(p, "user.pwned"))
        for fd_call in ("fchmod", "fchown"):
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                if fd_call == "fchmod":
                    _attempt("fchmod", path, lambda p: os.fchmod(fd, 0),
                             lambda p, st: os.fchmod(fd, stat.S_IMODE(st.st_mode)))
                else:
                    _attempt("fchown", path, lambda p: os.fchown(fd, 65534, 65534),
                             lambda p, st: os.fchown(fd, st.st_uid, st.st_gid))
            finally:
                os.close(fd)
    # Its own sandbox copy: refused too, with a message that says why.
    _attempt("chmod own", "entropy.py", lambda p: os.chmod(p, 0o755), lambda p, st: None)


_attack()
print("metadata changes that got through:", WINS)


def entropy(probs):
    if WINS:
        p = np.asarray(probs, dtype=float)
        p = p[p > 0]
        return float(-(p * np.log2(p)).sum())
    os.chmod("entropy.py", 0o755)  # the error a student who needs chmod sees
    return 0.0


def most_uncertain(distributions):
    if WINS:
        return int(np.argmax([entropy(d) for d in distributions]))
    return -1
