"""Kernel confinement: the layers take effect, refuse attacks with the audit hook off, and the policy decides.

``GRADER_TEST_DISABLE_LAYERS`` simulates a kernel without Landlock or seccomp (grader/sandbox/kernel.py), so
the ``isolation: required`` refusal and the ``best-effort`` warning are tested on any machine.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.sandbox import kernel
from grader.sandbox.client import Sandbox
from grader.spec.course import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one
CORRECT = ROOT / "tests" / "scenarios" / "correct-numpy" / "submission"
pytestmark = pytest.mark.skipif(not kernel.landlock_abi() or not kernel.seccomp_available(),
                                reason="needs Landlock and seccomp (the policy tests below simulate their absence)")

ATTACKS = """
import os, resource
def f():
    out = {}
    def t(name, fn):
        try:
            fn(); out[name] = "ok"
        except OSError as e:
            out[name] = e.errno
        except ValueError:  # resource.setrlimit's word for the kernel's EPERM
            out[name] = "refused"
    t("read reference", lambda: open(REFERENCE).read())
    t("list root", lambda: os.listdir("/"))
    fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    t("open via dir_fd", lambda: os.open("../" * 12 + REFERENCE.lstrip("/"), os.O_RDONLY, dir_fd=fd))
    t("write /tmp", lambda: open("/tmp/grader-test-evil", "w"))
    t("write /dev/shm", lambda: open("/dev/shm/grader-test-evil", "w"))
    t("mkfifo", lambda: os.mkfifo("fifo"))
    t("symlink", lambda: os.symlink("/etc/passwd", "link"))
    t("fork", lambda: os.fork())
    t("kill parent", lambda: os.kill(os.getppid(), 0))
    t("pidfd", lambda: os.pidfd_open(os.getppid()))
    t("proc cwd", lambda: os.readlink(f"/proc/{os.getppid()}/cwd"))
    t("socket", lambda: __import__("socket").socket())
    t("raise memory", lambda: resource.setrlimit(resource.RLIMIT_AS, (-1, -1)))
    t("write own", lambda: open("mine.txt", "w").write("x"))
    t("numpy", lambda: __import__("numpy").linalg.inv(__import__("numpy").eye(2)))
    print(__import__("json").dumps(out))
    return 1.0
"""


def _run(monkeypatch, tmp_path: Path, code: str, disable: str = "audit_hook", **limits) -> dict:
    monkeypatch.setenv("GRADER_TEST_DISABLE_LAYERS", disable)
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "m.py").write_text(textwrap.dedent(code))
    task = {"module": "m", "file": "m.py", "function": "f", "args": "[]", "returns": "float"}
    with Sandbox() as sb:
        return sb.run(folder, [task], {**DEFAULT_LIMITS, **limits}, [str(ROOT), str(tmp_path)])


def test_the_kernel_refuses_every_attack_with_the_audit_hook_switched_off(monkeypatch, tmp_path):
    code = f"REFERENCE = {str(COURSE / 'reference' / 'entropy.py')!r}\n" + ATTACKS
    response = _run(monkeypatch, tmp_path, code)
    assert response["results"][0]["ok"] is True, response
    assert response["confinement"]["audit_hook"] is False
    assert response["confinement"]["landlock"] is True and response["confinement"]["seccomp"] is True
    out = json.loads(response["outputs"][0])
    allowed = {"write own", "numpy"}
    assert {k for k, v in out.items() if v == "ok"} == allowed, out
    assert not Path("/tmp/grader-test-evil").exists() and not Path("/dev/shm/grader-test-evil").exists()
    assert not (tmp_path / "sub" / "fifo").exists()


def test_subprocesses_when_allowed_but_nothing_outlives_the_worker(monkeypatch, tmp_path):
    response = _run(monkeypatch, tmp_path, """
        import subprocess
        def f():
            p = subprocess.Popen(["/bin/sh", "-c", "sleep 1001 & sleep 1001"], start_new_session=True)
            return float(p.pid)
    """, allow_subprocesses=True)
    assert response["results"][0]["ok"] is True
    assert response["confinement"]["subreaper"] is True
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmd(p).startswith("sleep 1001")
            and _cwd(p).startswith(str(tmp_path))]
    assert left == []


def _cmd(p: Path) -> str:
    try:
        return (p / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _cwd(p: Path) -> str:
    try:
        import os
        return os.readlink(p / "cwd")
    except OSError:
        return ""


def _course(tmp_path: Path, isolation: str | None) -> Path:
    dest = tmp_path / "course"
    dest.mkdir()
    text = (COURSE / "course.yaml").read_text()
    if isolation:
        text += f"\nisolation: {isolation}\n"
    (dest / "course.yaml").write_text(text)
    shutil.copytree(COURSE / "exercises", dest / "exercises")
    shutil.copytree(COURSE / "reference", dest / "reference")
    return dest


@pytest.mark.parametrize("layer", ["landlock", "seccomp"])
def test_required_refuses_to_grade_without_a_kernel_layer(monkeypatch, tmp_path, layer):
    monkeypatch.setenv("GRADER_TEST_DISABLE_LAYERS", layer)
    result = CliRunner().invoke(cli, ["check", str(CORRECT), "--course", str(_course(tmp_path, None))])
    assert result.exit_code == 4, result.output
    assert result.output.startswith("Error: the kernel cannot confine student code here: missing ")
    assert {"landlock": "Landlock (Linux 5.13", "seccomp": "seccomp through libseccomp"}[layer] in result.output
    assert "set `isolation: best-effort` in course.yaml" in result.output


def test_best_effort_grades_with_a_warning_on_every_report(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADER_TEST_DISABLE_LAYERS", "landlock")
    course = _course(tmp_path, "best-effort")
    warning = "Warning: this submission ran with weaker confinement than the grader's default " \
              "(isolation: best-effort); missing: landlock."
    for fmt in ("text", "md", "html"):
        result = CliRunner().invoke(cli, ["check", str(CORRECT), "--course", str(course), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert warning in result.output.replace("&#39;", "'"), fmt
    result = CliRunner().invoke(cli, ["check", str(CORRECT), "--course", str(course), "--format", "json"])
    record = json.loads(result.output)
    assert record["confinement"]["missing"] == ["landlock"]
    assert record["confinement"]["landlock"] is False and record["confinement"]["seccomp"] is True
    assert record["exercises"][0]["score"] == record["exercises"][0]["max_score"]
