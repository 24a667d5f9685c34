"""The worker-reply protocol under Hypothesis (issue 22): whatever a worker (or student code posing as it) writes
where the worker reports, the grader never raises, stays within 256 MiB, and takes no longer than its limits.

Each example starts from the events a real worker sends for a round (``confined``, then per module ``imported``,
per task ``done``, then ``end``; on the portable runner also ``importing`` and ``start``) and then replaces,
inserts and deletes lines with: events of every kind with fields of any JSON type (huge integers, NaN, deep
lists, hostile text, wrong types), raw bytes that are not JSON, and a few very large payloads. The lines go
through each runner's own supervisor code (``zygote.Supervisor._catch_up`` reading the progress page, and
``portable.Supervisor._handle``), round after round until every task is resolved, as ``Ledger.run`` does; the
response then goes through the grader's own check (``client.recheck_values``) and, for part of the examples,
through ``grade_submission`` and every report format.

``GRADER_FUZZ_SCALE=N`` multiplies the number of examples (the default is 2,000 per runner plus 300 graded
and rendered end to end).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.judge.grade import Plan, grade_submission
from grader.reports.render import FORMATS, render
from grader.sandbox import page, reply
from grader.sandbox.client import _well_formed, recheck_values
from grader.sandbox.portable import Supervisor as PortableSupervisor
from grader.sandbox.zygote import Supervisor as ZygoteSupervisor
from grader.spec.course import DEFAULT_LIMITS, load_course
from grader.spec.expected import reference_outputs

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
SCALE = int(os.environ.get("GRADER_FUZZ_SCALE", "1"))
LIMITS = {**DEFAULT_LIMITS, "output_kb": 64}
TASKS = [{"module": "surprise", "file": "surprise.py", "function": "surprise", "args": "[0.5]", "returns": "float"},
         {"module": "surprise", "file": "surprise.py", "function": "surprise", "args": "[0.25]", "returns": "float"},
         {"module": "extra", "file": "extra.py", "function": "count", "args": "[]", "returns": "int"},
         {"module": "extra", "file": "extra.py", "function": "vector", "args": "[]", "returns": "array"}]

HOSTILE_TEXT = st.sampled_from([
    "", "ok", "x" * 2001, "\x1b]52;c;cHduZWQ=\x07", "\n✓ entropy()  7/7 checks passed", "![s](https://a.test/p)",
    "<img src=x onerror=alert(1)>", "::error::forged", "\x00\x0b\ud800", "surprise", "extra", "ev", "ok",
]) | st.text(max_size=50)
NUMBERS = st.one_of(st.integers(), st.sampled_from([10**4000, -(10**400), 2**1024, 2**63]),
                    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none())
JSON = st.recursive(NUMBERS | HOSTILE_TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE_TEXT, inner, max_size=4),
                    max_leaves=20)
KINDS = st.sampled_from(["confined", "internal", "importing", "start", "imported", "done", "end", "other", None])
FIELDS = st.sampled_from(["ev", "task", "module", "ok", "value", "type", "error", "lines", "duration", "traceback",
                          "landlock", "missing"])


@cache
def big(name: str) -> bytes:
    """Large lines, built once: the sizes the caps are for."""
    return {
        "huge-lines": json.dumps({"ev": "imported", "module": "surprise", "ok": True,
                                  "lines": {"a" * 15_000_000: 1, "b" * 15_000_000: 2}}).encode(),
        "million-ones": b'{"ev": "done", "task": 0, "ok": true, "type": "list", "value": [' + b"1," * 999_999 + b"1]}",
        "too-many": b'{"ev": "done", "task": 0, "ok": true, "type": "list", "value": [' + b"1," * 2_000_000 + b"1]}",
        "deep": b'{"ev": "done", "task": 0, "ok": true, "type": "list", "value": ' + b"[" * 100_000 + b"]" * 100_000
                + b"}",
        "objects": b"[" + b"{}," * 1_000_000 + b"{}]",
        "huge-int": b'{"ev": "done", "task": 0, "ok": true, "type": "int", "value": 1' + b"0" * 4000 + b"}",
        "too-long-int": b'{"ev": "done", "task": 0, "ok": true, "type": "int", "value": 1' + b"0" * 5000 + b"}",
        "flood": b"1\n" * 1_000_000,
    }[name]


@st.composite
def lines(draw: Any) -> bytes:
    """One line where the worker reports: an event with fuzzed fields, a raw byte string, or a large payload."""
    choice = draw(st.integers(0, 19))
    if choice <= 11:
        event: dict[str, Any] = {"ev": draw(KINDS)}
        for field in draw(st.lists(FIELDS, max_size=5, unique=True)):
            event[field] = draw(JSON) if field != "task" else draw(st.integers(-2, 6) | NUMBERS)
        return json.dumps(event).encode()
    if choice <= 18:
        return draw(st.binary(max_size=60)).replace(b"\n", b" ")
    # the large payloads refused before or soon after parsing; all of them are measured one by one below
    return big(draw(st.sampled_from(["too-many", "deep", "objects", "too-long-int", "huge-int"])))


MUTATION = st.tuples(FIELDS, st.none() | JSON | st.sampled_from([[], {}, "", {"a" * 300: 1}, {"f": "1"}, {"f": True},
                                                                   {"f": 10**12}, {"exception": 1, "message": "m"}]))
EDITS = st.lists(st.one_of(
    st.tuples(st.sampled_from(["replace", "insert", "delete"]), st.integers(0, 20), lines()),
    # one field of a real event changed (None: removed): reaches the checks deep in a round
    st.tuples(st.just("mutate"), st.integers(0, 20), MUTATION),
), max_size=4)


def legit(todo: list[int], portable: bool) -> list[bytes]:
    """What a real worker sends for this round."""
    out = [{"ev": "confined", "landlock": True, "seccomp": True}]
    seen: set[str] = set()
    for i in todo:
        task = TASKS[i]
        if task["module"] not in seen:
            seen.add(task["module"])
            if portable:
                out.append({"ev": "importing", "module": task["module"]})
            out.append({"ev": "imported", "module": task["module"], "ok": True, "lines": {task["function"]: 3}})
        if portable:
            out.append({"ev": "start", "task": i})
        value = {"float": 1.0, "int": 2, "array": [1.0, 2.0]}[task["returns"]]
        out.append({"ev": "done", "task": i, "ok": True, "value": value, "type": "float", "duration": 0.001})
    out.append({"ev": "end"})
    return [json.dumps(e).encode() for e in out]


def edited(todo: list[int], portable: bool, edits: list[tuple[str, int, Any]]) -> list[bytes]:
    sequence = legit(todo, portable)
    for how, where, line in edits:
        where = min(where, len(sequence))
        if how == "insert":
            sequence.insert(where, line)
        elif how == "replace" and where < len(sequence):
            sequence[where] = line
        elif how == "delete" and where < len(sequence):
            del sequence[where]
        elif how == "mutate" and where < len(sequence):
            try:
                event = json.loads(sequence[where])
            except ValueError:
                continue
            if isinstance(event, dict):
                field, value = line
                if value is None:
                    event.pop(field, None)
                else:
                    event[field] = value
                sequence[where] = json.dumps(event).encode()
    return sequence


SHARED = page.new()


class _NoTemplate:
    """Stands in for the template process (issue 21): this supervisor's rounds fork no worker."""

    peak_rss_kb = None

    def reaped(self, pid: int, block: bool = False) -> None:
        return None


class FuzzZygote(ZygoteSupervisor):
    """The fork server's supervisor, with each round's worker replaced by the edited lines on a progress page."""

    def __init__(self, tasks: list[dict[str, Any]], limits: dict[str, Any], edits: list[tuple[str, int, bytes]]):
        super().__init__({"dir": "/nonexistent", "tasks": tasks, "limits": limits}, _NoTemplate())  # type: ignore[arg-type]
        self.edits = edits

    def _round(self, todo: list[int]) -> None:
        self.todo, self.cursor = todo, -1
        self.round_confined = False
        self.round_imports = set()
        self.round_ended = False
        self.page_offset = 0
        self.claimed = 0.0
        data = b"".join(line + b"\n" for line in edited(todo, False, self.edits))[: page.SIZE - page.START]
        SHARED[page.START:page.START + len(data)] = data
        page.HEADER.pack_into(SHARED, 0, len(data))
        if not self._catch_up(SHARED, time.monotonic() - 1.0) and not self.round_ended:
            self._crash(self._under_way(), "the process exited with status 3")


class _Child:
    def kill(self) -> None:
        pass


class FuzzPortable(PortableSupervisor):
    """The portable runner's supervisor, its child's result pipe replaced by the edited lines."""

    def __init__(self, tasks: list[dict[str, Any]], limits: dict[str, Any], edits: list[tuple[str, int, bytes]]):
        super().__init__(None, "/nonexistent", tasks, limits, [])  # type: ignore[arg-type]
        self.edits = edits

    def _round(self, todo: list[int]) -> None:
        self._phase = ("idle", None)
        self._deadline = time.monotonic() + 60
        self._started = 0.0
        child = _Child()
        for line in edited(todo, True, self.edits):
            for one in line.split(b"\n"):  # the pipe is read line by line
                if not self._handle(child, one, time.monotonic()):  # type: ignore[arg-type]
                    return
        self._crash(self._phase, "the process exited with status 3")


def _respond(supervisor: Any) -> dict[str, Any]:
    """The response as the grader gets it: through JSON, checked like ``client.Sandbox.run``."""
    response = json.loads(json.dumps(supervisor.run()))
    assert _well_formed(response, len(supervisor.tasks))
    return recheck_values(response)


def _bounded(run: Any) -> Any:
    """Small inputs: the time is what can go wrong (the large ones are measured one by one, in a process)."""
    started = time.monotonic()
    out = run()
    assert time.monotonic() - started < 5, f"{time.monotonic() - started:.1f} s"  # loose: a loaded machine
    return out


def _plain_results(response: dict[str, Any]) -> None:
    for result in response["results"]:
        assert isinstance(result, dict) and type(result.get("ok")) is bool
        if result["ok"]:
            assert reply.plain_problem(result["value"]) is None
        else:
            error = result["error"]
            assert isinstance(error.get("message"), str) and len(error["message"]) <= 2500
    for info in response["imports"].values():
        if info.get("ok"):
            assert all(type(k) is str and len(k) <= 200 and type(v) is int for k, v in info["lines"].items())


@settings(max_examples=2000 * SCALE, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(EDITS)
def test_fork_server_supervisor_takes_any_reply(edits):
    response = _bounded(lambda: _respond(FuzzZygote(TASKS, LIMITS, edits)))
    _plain_results(response)


@settings(max_examples=2000 * SCALE, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(EDITS)
def test_portable_supervisor_takes_any_reply(edits):
    response = _bounded(lambda: _respond(FuzzPortable(TASKS, LIMITS, edits)))
    _plain_results(response)


# -- end to end: a graded record and every view ------------------------------------------------------------

@pytest.fixture(scope="module")
def plan() -> Plan:
    course = load_course(MINI)
    return Plan.build(course, "course", reference_outputs(course))


class FuzzRunner:
    """A runner (grader.sandbox.backends.Runner) whose rounds are the fuzzed lines, through either supervisor."""

    runner = "fuzz"

    def __init__(self, supervisor: type, edits: list[tuple[str, int, bytes]]):
        self.supervisor, self.edits = supervisor, edits

    def run(self, sandbox_dir, tasks, limits, forbidden, isolation="best-effort"):
        return _respond(self.supervisor(tasks, limits, self.edits))


@settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(edits=EDITS, portable=st.booleans())
def test_any_reply_is_graded_and_rendered_in_every_view(plan, tmp_path_factory, edits, portable):
    folder = tmp_path_factory.mktemp("sub")
    (folder / "surprise.py").write_text("def surprise(p):\n    return 1.0\n")
    runner = FuzzRunner(FuzzPortable if portable else FuzzZygote, edits)
    result = grade_submission(plan, folder, runner, student="s1")  # type: ignore[arg-type]
    assert result.grader_error is None or "internal error" in result.grader_error
    for fmt in FORMATS:
        assert render(result, fmt)
    assert all(math.isfinite(e.score) for e in result.exercises)


BIG = ["huge-lines", "million-ones", "too-many", "deep", "objects", "huge-int", "too-long-int", "flood"]
MEASURE = """
import json, sys, time
sys.path.insert(0, {tests!r})
import test_reply_fuzz as t
from memory import peak_kib
line = t.big({name!r})
before = peak_kib()
started = time.monotonic()
where = 4 if {supervisor!r} == "FuzzPortable" else 2  # the first "done" event of the round
response = t._respond(t.{supervisor}(t.TASKS, t.LIMITS, [("replace", where, line)]))
elapsed = time.monotonic() - started
t._plain_results(response)
print(json.dumps({{"elapsed": elapsed, "peak_kib": peak_kib(),
                  "before_kib": before, "first": response["results"][0]}}))
"""


def measure(name: str, supervisor: str) -> dict[str, Any]:
    """One large reply handled in a fresh interpreter: its peak resident memory is the process's own."""
    code = MEASURE.format(tests=str(ROOT / "tests"), name=name, supervisor=supervisor)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.parametrize("name", BIG)
@pytest.mark.parametrize("supervisor", ["FuzzZygote", "FuzzPortable"])
def test_the_largest_replies_cost_bounded_memory_and_time(name, supervisor):
    """The whole grader process, NumPy and the course loaded, stays under 256 MiB on each of the largest
    replies; the time bound is loose for a loaded machine (benchmarks/reply_caps.py prints the idle figures)."""
    got = measure(name, supervisor)
    assert got["peak_kib"] < 256 * 1024, f"{got['peak_kib'] / 1024:.0f} MiB"
    assert got["elapsed"] < 10, f"{got['elapsed']:.1f} s"
    if name == "million-ones":  # a legitimate size: graded, not refused
        assert got["first"]["ok"] is True
    else:
        assert got["first"]["ok"] is False
