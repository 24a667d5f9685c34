"""Answers with the previous submission's reply, found in the memory this worker inherited (issue 21).

When the fork server forked workers itself, its serve() loop still held the reply it had just sent for the
previous submission (the local ``response``), and a worker is a copy of that process: its own stack reaches
that frame through ``f_back``. No ctypes and no audit-hook bypass is needed; plain Python walks the frames,
finds every dict with ``results`` (a reply) and every dict with ``tasks`` (a request), and answers each call
with the value the previous student's code returned for the same task.
"""

import json
import sys


def _reachable():
    stack, seen, found = [], set(), []
    frame = sys._getframe()
    while frame is not None:
        stack.extend(frame.f_locals.values())
        frame = frame.f_back
    budget = 300_000
    while stack and budget:
        budget -= 1
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            found.append(obj)
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj[:5000])
        elif type(obj).__module__.startswith("grader") and hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
    return found


def _plain(value):
    return value.tolist() if hasattr(value, "tolist") else [_plain(v) for v in value] \
        if isinstance(value, (list, tuple)) else value


def steal(function, args):
    dicts = _reachable()
    replies = [d for d in dicts if isinstance(d.get("results"), list) and isinstance(d.get("outputs"), list)]
    requests = [d for d in dicts if isinstance(d.get("tasks"), list)]
    want = _plain(list(args))
    for request in requests:
        for i, task in enumerate(request["tasks"]):
            if not isinstance(task, dict) or task.get("function") != function:
                continue
            try:
                if json.loads(task["args"]) != want:
                    continue
            except (KeyError, TypeError, ValueError):
                continue
            for reply in replies:
                results = reply["results"]
                if len(results) == len(request["tasks"]) and isinstance(results[i], dict) and results[i].get("ok"):
                    return results[i]["value"]
    return None


def answer(name):
    def stolen(*args):
        value = steal(name, args)
        if value is None:
            raise LookupError("no earlier submission's reply in this worker's memory")
        return value
    return stolen
