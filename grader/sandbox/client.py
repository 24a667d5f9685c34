"""The grader's side of the sandbox: copy a submission, hand it to the fork server, read plain results.

Only JSON crosses from the sandbox to this process; nothing is unpickled.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grader

MAX_FILES = 200
MAX_FILE_BYTES = 1024 * 1024
_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT")


def python_files(src: Path) -> Iterator[tuple[str, Path]]:
    """The submission's Python files that grading uses: no links, hidden folders or large files, at most 200."""
    if not src.is_dir():
        return
    count = 0
    for root, dirs, files in os.walk(src, followlinks=False):
        rel_root = Path(root).relative_to(src)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__"
                         and not (Path(root) / d).is_symlink())
        for name in sorted(files):
            path = Path(root) / name
            if not name.endswith(".py") or path.is_symlink() or not path.is_file():
                continue
            if path.stat().st_size > MAX_FILE_BYTES or count >= MAX_FILES:
                continue
            count += 1
            yield str(rel_root / name), path


def copy_submission(src: Path, dest: Path) -> list[str]:
    """Copy the submission's Python files into ``dest``; the original is never touched."""
    copied: list[str] = []
    for rel, path in python_files(src):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copied.append(rel)
    return copied


class SandboxCrashed(RuntimeError):
    """The fork server died; the submission under way gets an error, the next one a fresh server."""


class Sandbox:
    """A fork server for the lifetime of this object; use as a context manager."""

    runner = "confined"  # the result record's name for this backend (grader.sandbox.backends)

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False

    def spawn(self) -> None:
        """Start the fork server without waiting for it, so its NumPy import overlaps the caller's work."""
        if self._proc is not None and self._proc.poll() is None:
            return
        env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONHASHSEED"] = "0"
        pkg_parent = str(Path(grader.__file__).resolve().parent.parent)
        code = (f"import sys; sys.path.insert(0, {pkg_parent!r}); "
                "from grader.sandbox.zygote import serve; serve()")
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env, cwd=tempfile.gettempdir(), start_new_session=True,
        )
        self._ready = False

    def prestart(self) -> None:
        """Make sure a fork server is up and has said it is ready."""
        self.spawn()
        if self._ready:
            return
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        if not proc.stdout.readline().startswith(b'{"ready"'):
            self.close()
            raise SandboxCrashed("the sandbox's fork server did not start")
        self._ready = True

    def run(self, sandbox_dir: Path, tasks: list[dict[str, Any]], limits: dict[str, Any],
            forbidden: list[str]) -> dict[str, Any]:
        self.prestart()
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        request = {"dir": str(Path(sandbox_dir).resolve()), "tasks": tasks, "limits": limits, "forbidden": forbidden}
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = b""
        if not line:
            self.close()
            raise SandboxCrashed("the sandbox's fork server died while grading this submission")
        response = json.loads(line)
        if "fatal" in response:
            raise SandboxCrashed(response["fatal"])
        return response

    def signal_kill(self) -> None:
        """From a signal handler: SIGKILL the fork server (its worker dies with it) and nothing else, since
        waiting or closing its pipes could deadlock with the read the signal interrupted."""
        proc = self._proc
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=2)
        except (subprocess.TimeoutExpired, OSError):
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout:
                proc.stdout.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
