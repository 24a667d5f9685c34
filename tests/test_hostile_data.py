"""The grader's own process against hostile data: deep folders, huge plain lists, control characters, and
workflow commands in a CI report on stdout (issue 11). Each test first states the attack, then the guarantee."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
import time
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


# -- issue 22: one student's files cost bounded work, and are charged to that student alone -------------------

FIXTURE = ROOT / "tests" / "fixtures" / "infotheory"


def _notebook_of_empty_lists(path: Path, mib: int = 60) -> None:
    """ATTACK: 60 MiB of `[],` inside a code cell's outputs: parsed in full, it took the grader to 1.5 GiB."""
    head = (b'{"cells": [{"cell_type": "code", "execution_count": null, "id": "a", "metadata": {}, '
            b'"source": "def entropy(p):\\n    return 0.0\\n", "outputs": [')
    with open(path, "wb") as fh:
        fh.write(head)
        fh.write(b"[]," * (mib * 2**20 // 3))
        fh.write(b'[]]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')


def test_a_notebook_of_empty_lists_is_refused_in_bounded_memory(tmp_path):
    from grader.sandbox.notebook import NotebookError, read_notebook

    _notebook_of_empty_lists(tmp_path / "entropy.ipynb")
    code = ("import sys\nfrom pathlib import Path\nfrom tests.memory import peak_kib\n"
            "from grader.sandbox.notebook import read_notebook\n"
            "try:\n    read_notebook(Path(sys.argv[1]))\nexcept ValueError as exc:\n    print(exc)\n"
            "print(peak_kib())\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "entropy.ipynb")], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout.splitlines()
    assert out[0] == ("entropy.ipynb holds more than 200000 JSON lists and objects; clear its outputs (Jupyter: Edit "
                      "> Clear Outputs of All Cells) and submit it again")
    assert int(out[1]) < 256 * 1024, f"{int(out[1]) // 1024} MiB"  # KiB: the whole process, imports included
    with pytest.raises(NotebookError, match="more than 200000 JSON lists"):
        read_notebook(tmp_path / "entropy.ipynb")


def test_magics_at_the_end_of_a_long_cell_cost_a_bounded_number_of_parses(monkeypatch):
    """ATTACK: 21 `%time` lines after 440 KB of code: one parse per magic line took 31 s."""
    import ast

    from grader.sandbox import notebook as nbmod

    source = "".join(f"v{i} = {i}\n" for i in range(40_000)) + "%time entropy([0.5])\n" * 21
    parses = []
    real = ast.parse
    monkeypatch.setattr(nbmod.ast, "parse", lambda text, *a, **k: parses.append(1) or real(text, *a, **k))
    notes: list[str] = []
    out, tree = nbmod._strip_magics(3, source, notes)
    assert tree is not None and len(parses) == 2  # as it is; then every magic replaced at once
    assert out.split("\n").count("pass") == 21 and notes[-1] == "cell 3: removed 1 more magic or shell lines"
    parses.clear()
    nbmod._strip_magics(3, source + "x = (\n", [])  # a real error too: still bounded
    assert len(parses) <= 2 + nbmod.FALLBACK_PARSES


def test_a_quiz_answer_made_to_backtrack_is_read_in_linear_time():
    """ATTACK: "1," then 60,000 ones then "!": the comma-decimal pattern backtracked for 22 s."""
    from grader.judge.answers import MAX_ANSWER_CHARS, Unreadable, check_length, parse_number

    raw = "1," + "1" * 60_000 + "!"
    started = time.monotonic()
    with pytest.raises(Unreadable, match=r"is not a number; write a number such as 1\.234"):
        parse_number(raw, "bits")
    assert time.monotonic() - started < 1
    with pytest.raises(Unreadable) as info:
        check_length(raw)
    assert str(info.value) == (f"this answer is 60003 characters long; an answer is at most {MAX_ANSWER_CHARS} "
                               "(a number, a choice or true/false)")


def test_a_sparse_3_gib_file_is_hashed_in_bounded_memory(tmp_path):
    """ATTACK: a 3 GiB sparse quiz.yaml: submission_hash read it whole (3.1 GiB)."""
    sub = tmp_path / "eve"
    shutil.copytree(SCENARIOS / "correct-numpy" / "submission", sub)
    with open(sub / "quiz.yaml", "wb") as fh:
        fh.truncate(3 * 2**30)
    code = ("import sys\nfrom pathlib import Path\nfrom tests.memory import peak_kib\n"
            "from grader.classroom.submissions import submission_hash\n"
            "print(submission_hash(Path(sys.argv[1])))\nprint(peak_kib())\n")
    out = subprocess.run([sys.executable, "-c", code, str(sub)], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.splitlines()
    assert int(out[1]) < 256 * 1024, f"{int(out[1]) // 1024} MiB"
    from grader.classroom.submissions import submission_hash

    first = out[0]
    with open(sub / "quiz.yaml", "r+b") as fh:  # a change past the cap is seen through the size
        fh.truncate(3 * 2**30 + 1)
    assert submission_hash(sub) != first


def test_a_drive_letter_is_only_a_letter_and_a_colon(tmp_path):
    """ATTACK: a Canvas upload named `notes: week 3.txt` made the whole class zip 'an absolute path'."""
    import zipfile

    from grader.classroom.submissions import extract_zip
    from grader.errors import InputError

    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("alice/notes: week 3.txt", "hi")
        zf.writestr("alice/entropy.py", "x = 1\n")
    extract_zip(archive, tmp_path / "out")
    assert (tmp_path / "out" / "alice" / "notes: week 3.txt").read_text() == "hi"
    with zipfile.ZipFile(tmp_path / "drive.zip", "w") as zf:
        zf.writestr("C:/Windows/evil.py", "x = 1\n")
    with pytest.raises(InputError, match="absolute path"):
        extract_zip(tmp_path / "drive.zip", tmp_path / "out2")


def _sheet_for(folder: Path, student: str) -> None:
    from tests.quiz_helpers import right_answers, write_sheet

    write_sheet(folder, student, right_answers(student))


def test_a_sheet_built_for_another_student_is_graded_as_the_folders_student(tmp_path):
    """ATTACK: bob's finished quiz.yaml handed in by alice: the report was for "bob", and the quiz scored 20/20."""
    from grader.handoff.ci import grade_folder

    alice = tmp_path / "alice"
    shutil.copytree(SCENARIOS / "correct-numpy" / "submission", alice)
    _sheet_for(alice, "bob")
    result = CliRunner().invoke(cli, ["check", str(alice), "--course", str(FIXTURE), "--format", "json"])
    record = json.loads(result.output)
    assert record["student"] == "alice"
    assert record["quizzes"][0]["score"] == 0
    assert record["quizzes"][0]["questions"][0]["message"] == (
        "not graded: quiz.yaml:12: this sheet was built for student bob, but it is graded as alice; the numbers "
        "differ between students, so answer your own sheet (grader build --student alice)")
    ci = grade_folder(alice, FIXTURE, None)
    assert ci.student == "alice" and ci.quizzes[0].score == 0
    _sheet_for(alice, "alice")  # her own sheet: full marks, so the refusal above was the identity's
    record = json.loads(CliRunner().invoke(cli, ["check", str(alice), "--course", str(FIXTURE),
                                                 "--format", "json"]).output)
    assert record["quizzes"][0]["score"] == record["quizzes"][0]["max_score"] > 0


def test_one_bad_entry_never_stops_the_class(tmp_path):
    """ATTACK: a class where bob handed in a whole Gradescope export, carol a .zip that will not extract and whose
    name holds an OSC 52 escape (it wrote the instructor's clipboard), dave a notebook of 60 MiB of empty lists,
    eve a 3 GiB sparse quiz.yaml, frank a notebook named `work<VT>.ipynb`. Everyone else is graded, each of these
    is charged to that student with the reason, the terminal sees no escape, and the exit code says so."""
    import csv

    klass = tmp_path / "class"
    for name in ("alice", "bob", "carol", "dave", "eve", "frank"):
        shutil.copytree(SCENARIOS / "correct-numpy" / "submission", klass / name)
    (klass / "bob" / "submission_metadata.yml").write_text("submission_1: {}\n")
    (klass / "bob" / "submission_1").mkdir()
    for f in (klass / "carol").iterdir():
        f.unlink()
    evil = "\x1b]52;c;cHduZWQ=\x07report.zip"
    (klass / "carol" / evil).write_bytes(b"PK\x03\x04 not a zip")
    (klass / "dave" / "entropy.py").unlink()
    _notebook_of_empty_lists(klass / "dave" / "entropy.ipynb")
    with open(klass / "eve" / "quiz.yaml", "wb") as fh:
        fh.truncate(3 * 2**30)
    (klass / "frank" / "entropy.py").unlink()
    from nbformat.v4 import new_code_cell, new_notebook, writes

    (klass / "frank" / "work\x0b.ipynb").write_text(writes(new_notebook(cells=[new_code_cell(
        (SCENARIOS / "correct-numpy" / "submission" / "entropy.py").read_text())])))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(klass), "--course", str(FIXTURE), "--out", str(out),
                                      "--jobs", "1", "--format", "junit"])
    assert result.exit_code == 5, (result.stdout, result.stderr)  # main's DROPPED
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout + result.stderr
    assert ("carol: class/carol/\\x1b]52;c;cHduZWQ=\\x07report.zip was not unzipped" in
            result.stdout.replace(str(tmp_path) + "/", ""))
    assert ("2 submission(s) could not be graded, each for a reason of its own (0 points, listed under problems in "
            "summary.html); everyone else was graded.\n") in result.stderr
    with open(out / "gradebook.csv", newline="") as fh:
        rows = {row["student"]: row for row in csv.DictReader(fh)}
    assert set(rows) == {"alice", "bob", "carol", "dave", "eve", "frank"}
    assert float(rows["alice"]["total"]) == float(rows["eve"]["total"]) > 0  # eve: only her quiz is unusable
    assert float(rows["frank"]["total"]) == float(rows["alice"]["total"])  # graded from the oddly named notebook
    assert float(rows["bob"]["total"]) == float(rows["carol"]["total"]) == 0
    assert 0 < float(rows["dave"]["total"]) < float(rows["alice"]["total"])  # entropy.ipynb refused: that exercise
    bob = json.loads((out / "results" / "bob.json").read_text())
    assert bob["warnings"] == [f"not graded: {klass}/bob looks like a Gradescope export, not one student's folder; "
                               "not graded"]
    dave = json.loads((out / "results" / "dave.json").read_text())
    assert "holds more than 200000 JSON lists and objects" in dave["exercises"][0]["checks"][0]["message"]
    from lxml import etree

    etree.parse(str(out / "junit" / "frank.xml"))  # the file attribute cleaned: XML any parser reads
    summary = (out / "summary.html").read_text()
    assert "2 with not graded" in summary


def _graded(name: str):
    from grader.judge.grade import Plan, grade_submission
    from grader.spec.course import load_course
    from grader.spec.expected import reference_outputs

    course = load_course(ROOT / "tests" / "fixtures" / "infotheory")  # an engine test: never the bundled course
    with Sandbox() as sandbox:
        return grade_submission(Plan.build(course, "course", reference_outputs(course)),
                                SCENARIOS / name / "submission", sandbox, student=name)


def _active_markdown(markdown: str) -> list[str]:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    html = cmarkgfm.markdown_to_html_with_extensions(markdown, options=Options.CMARK_OPT_UNSAFE,
                                                     extensions=["table", "autolink", "tagfilter"])
    return re.findall(r"<(?:a|img)\b[^>]*>", html)


def test_report_rows_are_inert_in_every_view():
    """The issue's report rows, graded from their hostile scenarios and rendered as their readers see them."""
    from grader.reports.formats import github
    from grader.reports.render import render

    md = _graded("hostile-report-markdown")
    message = ("entropy() raised ValueError: ![status](https://attacker.test/pixel.png) [Instructor note: regraded to "
               "30/30](https://attacker.test/x) <img src=https://attacker.test/i.png> (entropy.py:11)")
    assert f"| `{message}` |" in render(md, "md")
    assert _active_markdown(render(md, "md")) == [] and _active_markdown(github.step_summary(md)) == []
    forged = render(_graded("hostile-report-forged-line"), "text")
    assert ("        error     entropy() raised ValueError: almost\n"
            "                  │   ✓ entropy()  7/7 checks passed\n"
            "                  │ \n"
            "                  │ Score: 30/30 (100%) (entropy.py:11)\n") in forged
    assert not re.search(r"^\s*✓ entropy\(\)  7/7", forged, re.MULTILINE)
    named = _graded("hostile-report-filename")
    summary = github.step_summary(named)
    assert _active_markdown(summary) == [] and _active_markdown(render(named, "md")) == []
    assert "<img src=x>" in summary  # shown as text inside a fence, not dropped


def test_a_member_of_the_class_zip_that_cannot_be_extracted_is_charged_to_its_student(tmp_path):
    """ATTACK: one member of the class's zip over the size cap, one damaged, one encrypted-looking: each refused
    the whole class (exit 4, nobody graded). Now each is charged to the student it belongs to."""
    import csv
    import zipfile

    from grader.classroom.submissions import MAX_ZIP_MEMBER_BYTES

    archive = tmp_path / "class.zip"
    good = (SCENARIOS / "correct-numpy" / "submission")
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for student in ("alice", "bob", "carol"):
            for f in sorted(good.iterdir()):
                zf.writestr(f"{student}/{f.name}", f.read_text())
        big = zipfile.ZipInfo("bob/notes.txt")
        zf.writestr(big, b"\0" * 10)
        zf.writestr("carol/broken.py", "x = 1\n" * 200)
    data = bytearray(archive.read_bytes())
    # bob's member claims more than the cap in both of its headers (the size check reads the central directory)
    for marker in (b"PK\x03\x04", b"PK\x01\x02"):
        at = data.find(marker, data.find(b"bob/notes.txt") - 60 if marker == b"PK\x03\x04" else data.rfind(
            b"bob/notes.txt") - 60)
        at = data.find(marker, at)
        size_at = at + (22 if marker == b"PK\x03\x04" else 24)
        data[size_at:size_at + 4] = (MAX_ZIP_MEMBER_BYTES + 1).to_bytes(4, "little")
    start = data.find(b"carol/broken.py") + len("carol/broken.py")  # the deflate stream follows the local header
    data[start + 2] ^= 0xFF
    data[start + 3] ^= 0xFF
    archive.write_bytes(bytes(data))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(archive), "--course", str(FIXTURE), "--out", str(out),
                                      "--jobs", "1"])
    assert result.exit_code == 5, (result.stdout, result.stderr)  # main's DROPPED
    assert f"bob: {archive}/bob/notes.txt was not extracted ('bob/notes.txt' in the zip is " in result.stdout
    assert f"carol: {archive}/carol/broken.py was not extracted (cannot extract 'carol/broken.py'" in result.stdout
    with open(out / "gradebook.csv", newline="") as fh:
        rows = {row["student"]: float(row["total"]) for row in csv.DictReader(fh)}
    assert rows["alice"] > 0 and rows["bob"] == rows["carol"] == 0
