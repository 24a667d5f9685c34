"""The grader's own process against hostile data: deep folders, huge plain lists, control characters, and
workflow commands in a CI report on stdout (issue 11). Each test first states the attack, then the guarantee."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.files import walk_bounded
from grader.sandbox.client import Sandbox, copy_submission, python_files
from grader.spec.course import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one
SCENARIOS = ROOT / "tests" / "scenarios"
HUGE = SCENARIOS / "hostile-huge-data" / "submission"


def test_a_submission_nested_1100_folders_deep_is_walked_without_recursion(tmp_path):
    sub = tmp_path / "sub"
    shutil.copytree(SCENARIOS / "correct-numpy" / "submission", sub)
    deep = sub
    for _ in range(1100):  # os.walk in Python 3.11 recurses once per level: RecursionError at ~1000
        deep = deep / "d"
        deep.mkdir()
    (deep / "evil.py").write_text("x = 1\n")
    files = [rel for rel, _ in python_files(sub)]
    assert files == ["cross_entropy.py", "entropy.py", "kl_sweep.py"]
    dest = tmp_path / "copy"
    dest.mkdir()
    assert copy_submission(sub, dest) == files
    result = CliRunner().invoke(cli, ["check", str(sub), "--course", str(COURSE)])
    assert result.exit_code == 0, result.output
    (deep / "evil.py").unlink()
    while deep != sub:  # shutil.rmtree (pytest's clean-up) would recurse too
        deep.rmdir()
        deep = deep.parent


def test_a_folder_with_many_entries_costs_bounded_work(tmp_path):
    for i in range(150):
        (tmp_path / f"f{i:03}.txt").touch()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.py").touch()
    assert [rel for rel, _ in walk_bounded(tmp_path, max_entries=100)] == []  # stopped at the entry cap
    assert len(list(walk_bounded(tmp_path, max_entries=1000))) == 151
    assert [rel for rel, _ in walk_bounded(tmp_path, max_depth=0)][-1] == "f149.txt"  # not below the root


def test_a_plain_list_of_two_million_floats_is_refused_like_an_array(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "m.py").write_text(textwrap.dedent("""
        def f():
            return [0.5] * 2_000_000
    """))
    task = {"module": "m", "file": "m.py", "function": "f", "args": "[]", "returns": "array"}
    with Sandbox() as sb:
        response = sb.run(folder, [task], dict(DEFAULT_LIMITS), [str(ROOT), str(tmp_path)])
    error = response["results"][0]["error"]
    assert error["exception"] == "WrongType"
    assert error["message"] == "expected an array of numbers, got a list with more than 1000000 elements"


@pytest.mark.parametrize("fmt", ["text", "md"])
def test_terminal_escapes_from_student_output_are_shown_as_text(fmt):
    result = CliRunner().invoke(cli, ["check", str(HUGE), "--course", str(COURSE), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x9b" not in result.output and "\x07" not in result.output
    assert "\\x1b[32mScore: 10/10 (100%)\\x1b[0m" in result.output


def test_grader_ci_fences_a_markdown_or_html_report_on_stdout(tmp_path):
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""}
    for fmt in ("md", "html", "json"):
        result = CliRunner(env=env).invoke(cli, ["ci", str(HUGE), "--course", str(COURSE), "--format", fmt])
        lines = result.stdout.splitlines()
        token = lines[0].removeprefix("::stop-commands::")
        assert lines[0].startswith("::stop-commands::") and len(token) >= 16, fmt
        end = lines.index(f"::{token}::")
        assert any("::notice::pwned" in line for line in lines[1:end]), fmt  # the student's line, inside
        assert not any("pwned" in line for line in lines[end:]), fmt
