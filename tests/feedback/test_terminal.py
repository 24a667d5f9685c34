"""The text report as a student's terminal receives it: real bytes through a pseudo-terminal, a pipe, NO_COLOR,
and the notebook's check cell run in Jupyter.

Rendering with ``color=True`` and looking for ``\\033[`` somewhere proved nothing: the marks were joined with their
colour codes into a plain string in the template, escaped as student text, and every colour terminal showed
``\\x1b[31m✗\\x1b[0m`` while that test passed. These tests read what the program writes to its terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pexpect

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "tests" / "fixtures" / "infotheory"
MINI = ROOT / "tests" / "fixtures" / "mini"
MISTAKE = ROOT / "tests" / "scenarios" / "mistake-natural-log" / "submission"
GRADER = str(Path(sys.executable).parent / "grader")

RED, GREEN, YELLOW, BOLD, DIM, RESET = (b"\x1b[31m", b"\x1b[32m", b"\x1b[33m", b"\x1b[1m", b"\x1b[2m", b"\x1b[0m")
CROSS = "✗".encode()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm-256color", **extra)
    return env


def _through_a_terminal(*args: str, **env: str) -> tuple[int, list[bytes]]:
    """The exit status and the lines a terminal receives (the pty turns each newline into CR LF)."""
    child = pexpect.spawn(GRADER, list(args), env=_env(**env), timeout=240, cwd=str(ROOT))
    out = child.read()
    child.close()
    assert child.exitstatus is not None, out
    return child.exitstatus, out.split(b"\r\n")


def test_a_terminal_gets_real_colour_sequences_and_never_an_escape_written_as_text():
    status, lines = _through_a_terminal("check", "--course", str(COURSE), str(MISTAKE))
    assert status == 0
    assert lines[3] == b"  " + RED + CROSS + RESET + b" " + BOLD + b"entropy()" + RESET + b"  0/7 checks passed"
    assert lines[4] == b"    " + RED + CROSS + RESET + b" four-sided die " + RED + b"[natural-log]" + RESET
    text = b"\n".join(lines)
    assert b"\\x1b" not in text and b"\\033" not in text  # no escape code spelled out as text
    # every escape sequence on the screen is one of the grader's six colour codes
    assert set(_sequences(text)) <= {RED, GREEN, YELLOW, BOLD, DIM, RESET}
    assert text.count(RED + CROSS + RESET) == text.count(CROSS)


def test_no_color_gives_the_bare_marks_on_a_terminal():
    status, lines = _through_a_terminal("check", "--course", str(COURSE), str(MISTAKE), NO_COLOR="1")
    assert status == 0
    assert lines[3] == "  ✗ entropy()  0/7 checks passed".encode()
    assert lines[4] == "    ✗ four-sided die [natural-log]".encode()
    assert b"\x1b" not in b"\n".join(lines) and b"\\x1b" not in b"\n".join(lines)


def test_a_pipe_gets_no_colour():
    done = subprocess.run([GRADER, "check", "--course", str(COURSE), str(MISTAKE)], env=_env(), cwd=ROOT,
                          capture_output=True, timeout=240)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split(b"\n")
    assert lines[3] == "  ✗ entropy()  0/7 checks passed".encode()
    assert b"\x1b" not in done.stdout and b"\\x1b" not in done.stdout


def _sequences(text: bytes) -> list[bytes]:
    import re

    return re.findall(rb"\x1b\[[0-9;]*[A-Za-z]", text)


def test_the_notebook_check_cell_shows_colours_not_escape_codes_in_jupyter(tmp_path):
    """The built notebook's last cell runs ``!python -m grader check .``; IPython gives ``!`` a terminal, so the
    output holds colour codes, which Jupyter draws; an escape code written out as text would show to the student."""
    from grader.authoring.bundle import build
    from grader.spec.course import load_course

    out = tmp_path / "student"
    build(load_course(MINI), out, notebook="single")
    nb = nbformat.read(out / "course.ipynb", as_version=4)
    for cell in nb.cells:
        if "surprise" in cell.metadata.get("tags", []):
            cell.source = "import math\n\ndef surprise(p):\n    return -math.log(p)\n"  # natural log: a mistake
    nbformat.write(nb, out / "course.ipynb")
    env = {**_env(), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--output", "ran.ipynb",
         "--ExecutePreprocessor.timeout=120", "course.ipynb"],
        cwd=out, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    last = nbformat.read(out / "ran.ipynb", as_version=4).cells[-1]
    assert last.metadata["tags"] == ["check"]
    printed = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream").replace("\r\n", "\n")
    lines = printed.splitlines()
    red, reset, bold = (s.decode() for s in (RED, RESET, BOLD))
    assert f"  {red}✗{reset} {bold}surprise(){reset}  0/1 checks passed" in lines, printed
    assert f"    {red}✗{reset} a fair coin {red}[natural-log]{reset}" in lines, printed
    assert "\\x1b" not in printed and "\\033" not in printed
