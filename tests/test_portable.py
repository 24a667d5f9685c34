"""The portable runner: the same answers as the confined one, on an interpreter without fork and rlimits.

The scenario corpus runs on both runners in test_scenarios.py; here are the runner-level comparisons, the
choice between the runners, and `grader check` in an interpreter that looks like Windows to the grader
(no os.fork, no resource, no fcntl, in the grading process and in the child alike).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.errors import UsageError
from grader.sandbox import backends
from grader.sandbox.client import Sandbox
from grader.sandbox.portable import PortableSandbox, enforced_here
from grader.spec.course import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one
SCENARIOS = ROOT / "tests" / "scenarios"

# Prepended to the grading process's code and to every child interpreter's: what Windows lacks.
NO_POSIX = (
    "import os, sys\n"
    "for _name in ('fork', 'forkpty'):\n"
    "    if hasattr(os, _name):\n"
    "        delattr(os, _name)\n"
    "for _name in ('resource', 'fcntl'):\n"
    "    sys.modules[_name] = None\n"
)
WRAPPER = """
import grader.sandbox.portable as portable

_child_argv = portable.child_argv


def child_argv():
    argv = _child_argv()
    argv[-1] = NO_POSIX + argv[-1]
    return argv


portable.child_argv = child_argv


def report():
    loaded = [m for m in ("resource", "fcntl", "grader.sandbox.zygote", "grader.sandbox.guard")
              if sys.modules.get(m) is not None]
    sys.stderr.write("LOADED " + repr(loaded) + "\\n")


import atexit

atexit.register(report)
from grader.cli import main

sys.argv = ["grader", *ARGS]
main()
"""


LINUX = sys.platform.startswith("linux")
needs_confined = pytest.mark.skipif(backends.confined_unavailable() is not None,
                                    reason="compares with the confined runner, which cannot run here")


@pytest.fixture(scope="module")
def runners():
    with Sandbox() as confined, PortableSandbox() as portable:
        yield {"confined": confined, "portable": portable}


def comparable(response: dict[str, Any]) -> dict[str, Any]:
    """A response without what may differ between runners: timings, the confinement layers, peak memory, and
    which call printed what. The fork server drains printed output only at the last event of a read, so calls
    that finish within one read lose their excerpt there (counted in output_bytes all the same); the portable
    runner syncs each event with a marker in the output pipe and keeps every call's excerpt (asserted below)."""
    results = [{k: v for k, v in (r or {}).items() if k != "duration"} for r in response["results"]]
    return {"results": results, "imports": response["imports"], "output_bytes": response["output_bytes"],
            "internal": response["internal"], "outputs": response["outputs"]}


CASES = {
    "prints": ("""
        def f():
            print("from f")
            return 1.0
        def g():
            print("from g ü")
            return [1, 2]
    """, ["f", "g"], {}),
    "timeout-then-the-rest": ("""
        def f():
            while True:
                pass
        def g():
            return 2.0
    """, ["f", "f", "g"], {"time_per_call": 1}),
    "exit-then-the-rest": ("""
        import os
        def f():
            print("bye")
            os._exit(7)
        def g():
            return 3.0
    """, ["f", "g"], {}),
    "flood": ("""
        def f():
            for i in range(100000):
                print("spam", i)
            return 1.0
        def g():
            print("after")
            return 1.0
    """, ["f", "g"], {}),
    "wrong-type-and-exception": ("""
        def f():
            return "1.0"
        def g():
            raise ValueError("no")
    """, ["f", "g"], {}),
    "import-error": ("""
        import not_a_module_anywhere
        def f():
            return 1.0
    """, ["f"], {}),
}


@needs_confined
@pytest.mark.parametrize("name", list(CASES))
def test_both_runners_give_the_same_response(name: str, runners, tmp_path: Path):
    code, functions, limits = CASES[name]
    responses = {}
    for kind, runner in runners.items():
        folder = tmp_path / kind
        folder.mkdir()
        (folder / "m.py").write_text(textwrap.dedent(code), encoding="utf-8")
        tasks = [{"module": "m", "file": "m.py", "function": fn, "args": "[]",
                  "returns": "array" if fn == "g" and name == "prints" else "float"} for fn in functions]
        response = runner.run(folder, tasks, {**DEFAULT_LIMITS, **limits}, [str(ROOT), str(tmp_path)])
        # each copy lives in its own folder; the judge strips the folder from messages in the same way
        responses[kind] = json.loads(json.dumps(comparable(response)).replace(str(folder.resolve()), "SANDBOX"))
    outputs = {kind: r.pop("outputs") for kind, r in responses.items()}
    assert responses["portable"] == responses["confined"]
    for got, confined in zip(outputs["portable"], outputs["confined"], strict=True):
        assert confined == "" or confined.split("[… output truncated")[0] == got.split("[… output truncated")[0]
    if name == "prints":
        assert outputs["portable"] == outputs["confined"] == ["from f\n", "from g ü\n"]
    if name == "exit-then-the-rest":
        assert outputs["portable"] == ["", ""]  # print() was still in the buffer that os._exit does not flush
    if name == "flood":
        assert outputs["portable"][0].startswith("spam 0\nspam 1\n") and "output truncated" in outputs["portable"][0]
        # the cap is per submission: nothing is kept after it, and the excerpt says so
        assert outputs["portable"][1] == "\n[… output truncated: 6 more bytes not shown]"
    if name == "timeout-then-the-rest":
        assert [r["ok"] for r in responses["portable"]["results"]] == [False, False, True]


def test_the_portable_child_says_what_it_enforces(tmp_path: Path):
    (tmp_path / "m.py").write_text("def f():\n    return 1.0\n")
    task = {"module": "m", "file": "m.py", "function": "f", "args": "[]", "returns": "float"}
    with PortableSandbox() as portable:
        response = portable.run(tmp_path, [task], DEFAULT_LIMITS, [str(ROOT)])
    assert response["results"][0]["value"] == 1.0
    assert response["confinement"] == {"runner": "portable", **enforced_here()}
    if LINUX:  # rlimits (memory too) and the audit hook
        assert set(enforced_here().values()) == {True}


# -- choosing a runner ---------------------------------------------------------------------


@needs_confined
def test_the_confined_runner_is_preferred_where_it_runs(monkeypatch):
    assert backends.preferred(None) == "confined"
    assert backends.preferred("portable") == "portable"
    monkeypatch.setattr(backends, "confined_unavailable", lambda: "it needs Linux (this is win32)")
    assert backends.preferred(None) == "portable"
    with pytest.raises(UsageError) as err:
        backends.preferred("confined")
    assert err.value.format() == ("Error: the confined runner cannot run here: it needs Linux (this is win32)\n"
                                  "Use --runner portable (the same feedback on public cases, without kernel "
                                  "confinement).")


def test_hidden_cases_need_confinement_unless_the_course_accepts_less():
    assert backends.check_allowed("confined", "course", "required") is None
    assert backends.check_allowed("portable", "student", "required") is None
    assert backends.check_allowed("portable", "course", "best-effort") == backends.BEST_EFFORT_WARNING
    with pytest.raises(UsageError):
        backends.check_allowed("portable", "course", "required")


def test_check_refuses_the_portable_runner_on_hidden_cases(monkeypatch):
    monkeypatch.setattr(backends, "confined_unavailable", lambda: None)
    result = CliRunner().invoke(cli, ["check", str(SCENARIOS / "correct-math" / "submission"), "--course", str(COURSE),
                                      "--runner", "portable"])
    assert result.exit_code == 2
    assert result.output == (
        "Error: this course grades hidden cases, which needs the confined runner\n"
        "Grade on Linux with --runner confined, or accept weaker isolation with 'isolation: best-effort' in "
        "course.yaml (every report then carries a warning).\n")


def test_a_best_effort_course_is_graded_portably_with_a_warning(course_copy: Path):
    text = (course_copy / "course.yaml").read_text()
    (course_copy / "course.yaml").write_text(text.replace("reveal: always", "reveal: always\nisolation: best-effort"))
    result = CliRunner().invoke(cli, ["check", str(SCENARIOS / "correct-math" / "submission"), "--course",
                                      str(course_copy), "--runner", "portable"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"Warning: {backends.BEST_EFFORT_WARNING}" in lines
    assert next(line for line in lines if line.startswith("Score: ")) == "Score: 30/50 (60%) · 31 of 31 checks passed"
    assert "Runner: portable (no kernel confinement)" in lines
    record = json.loads(CliRunner().invoke(cli, ["check", str(SCENARIOS / "correct-math" / "submission"), "--course",
                                                 str(course_copy), "--runner", "portable", "--format", "json"]).output)
    assert record["runner"] == "portable" and record["warnings"] == [backends.BEST_EFFORT_WARNING]


def test_an_unknown_isolation_value_names_the_key(course_copy: Path):
    text = (course_copy / "course.yaml").read_text()
    (course_copy / "course.yaml").write_text(text.replace("reveal: always", "reveal: always\nisolation: none"))
    result = CliRunner().invoke(cli, ["validate", "--course", str(course_copy)])
    assert result.exit_code == 3
    assert "isolation" in result.output


# -- Windows, simulated --------------------------------------------------------------------


def _crlf_bom(text: str, bom: bool) -> bytes:
    return ("\ufeff" if bom else "").encode() + text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def test_check_runs_where_there_is_no_fork_resource_or_fcntl(tmp_path: Path):
    """`grader check` in a student folder, in a grading process and children without os.fork, resource and
    fcntl (so the confined runner is unavailable and guard cannot load): a full, correct result. The folder's
    name is not ASCII, its files have CRLF line endings and BOMs, and one imports a module with a non-ASCII name."""
    folder = tmp_path / "élève Ω"
    built = subprocess.run([sys.executable, "-m", "grader", "build", "--course", str(COURSE), "--out", str(folder)],
                           capture_output=True, text=True, encoding="utf-8")
    assert built.returncode == 0, built.stderr
    for i, name in enumerate(("entropy.py", "cross_entropy.py", "kl_sweep.py")):
        text = (SCENARIOS / "correct-math" / "submission" / name).read_text(encoding="utf-8")
        if name == "entropy.py":
            text = text.replace("import math\n", "import math\n\nfrom größen_ω import BASE\n").replace(
                "math.log2(p)", "math.log(p, BASE)")
        (folder / name).write_bytes(_crlf_bom(text, bom=i != 1))
    (folder / "größen_ω.py").write_bytes(_crlf_bom("# Größen für die Entropie\nBASE = 2\n", bom=True))
    wrapper = tmp_path / "windows_like.py"
    wrapper.write_text(f"NO_POSIX = {NO_POSIX!r}\nARGS = ['check', '.', '--format', 'json']\n" + NO_POSIX + WRAPPER,
                       encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "GRADER_DEBUG"}
    done = subprocess.run([sys.executable, str(wrapper)], cwd=folder, capture_output=True, env=env, timeout=120)
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr
    assert "LOADED []" in stderr  # neither the Linux-only modules nor the confined runner's were imported
    record = json.loads(done.stdout.decode("utf-8"))
    assert record["runner"] == "portable" and record["mode"] == "student" and record["warnings"] == []
    assert record["grader_error"] is None
    assert record["student"] == "élève Ω"
    checks = [c for ex in record["exercises"] for c in ex["checks"]]
    assert [c["name"] for c in checks if c["status"] != "passed"] == []
    assert len([c for c in checks if c["kind"] != "invariant"]) == 13
    assert record["score"] == record["max_score"] == 12.5
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".py") == [
        "cross_entropy.py", "entropy.py", "größen_ω.py", "kl_sweep.py"]  # the folder is left as it was


@needs_confined
def test_a_mistake_is_explained_the_same_way_on_both_runners(tmp_path: Path, monkeypatch):
    """The misconception diagnosis (from the bundle's known mistakes) comes through the portable runner too."""
    folder = tmp_path / "student"
    built = subprocess.run([sys.executable, "-m", "grader", "build", "--course", str(COURSE), "--out", str(folder)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    for name in ("entropy.py", "cross_entropy.py", "kl_sweep.py"):
        shutil.copy(SCENARIOS / "mistake-natural-log" / "submission" / name, folder / name)
    monkeypatch.chdir(tmp_path)  # not inside the course repository: a student folder
    records = {}
    for runner in ("confined", "portable"):
        result = CliRunner().invoke(cli, ["check", str(folder), "--runner", runner, "--format", "json"])
        assert result.exit_code == 0, result.output
        records[runner] = json.loads(result.output)
    for record in records.values():
        record.pop("duration")
        record.pop("runner")
        record.pop("confinement", None)  # the kernel layers: the confined runner's alone
        for ex in record["exercises"]:
            for c in ex["checks"]:
                c.pop("duration")
    assert records["portable"] == records["confined"]
    assert any(c["misconception"] for ex in records["portable"]["exercises"] for c in ex["checks"])


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_no_colour_on_a_windows_console_that_cannot_show_it(monkeypatch):
    from grader.reports import render

    for var in ("NO_COLOR", "WT_SESSION", "TERM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(render.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(render.sys, "platform", "win32")
    assert render.use_color(_Terminal()) is False
    monkeypatch.setenv("WT_SESSION", "1")  # Windows Terminal understands ANSI
    assert render.use_color(_Terminal()) is True


def test_a_console_without_unicode_gets_question_marks_not_a_crash(tmp_path: Path):
    """A Windows code page has no ✓ or ✗: the report still prints (click would raise UnicodeEncodeError)."""
    folder = tmp_path / "student"
    built = subprocess.run([sys.executable, "-m", "grader", "build", "--course", str(COURSE), "--out", str(folder)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    shutil.copy(SCENARIOS / "correct-numpy" / "submission" / "entropy.py", folder / "entropy.py")  # ✓ lines
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    env.pop("PYTHONUTF8", None)
    done = subprocess.run([sys.executable, "-m", "grader", "check", "--runner", "portable", "."], cwd=folder,
                          capture_output=True, env=env)
    assert done.returncode == 0, done.stderr.decode("cp1252")
    text = done.stdout.decode("cp1252")
    assert "  ? entropy()  3/3 checks passed" in text
    assert "Runner: portable (no kernel confinement)" in text.splitlines()


@pytest.mark.parametrize("command", ["batch", "merge"])
def test_batch_and_merge_say_what_they_need_where_there_is_no_fork_or_fcntl(tmp_path: Path, command: str):
    """An instructor on Windows gets a clear error and what to do instead, not a crash of the grader."""
    (tmp_path / "class" / "alice").mkdir(parents=True)
    args = [command, str(tmp_path / "class"), "--out", str(tmp_path / "out")]
    wrapper = tmp_path / "windows_like.py"
    wrapper.write_text(f"NO_POSIX = {NO_POSIX!r}\nARGS = {args!r}\n" + NO_POSIX + WRAPPER, encoding="utf-8")
    done = subprocess.run([sys.executable, str(wrapper)], cwd=COURSE, capture_output=True, text=True, timeout=120)
    needs = "it locks its --out folder and forks its workers" if command == "batch" else "it locks its --out folder"
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        f"Error: grader {command} needs Linux or macOS ({needs}); this is {sys.platform}\n"
        "Run it in WSL or on a Linux machine (CI, the course server). "
        "On this machine, grader check grades one submission folder at a time.\n"), done.stderr
    assert not (tmp_path / "out").exists()
