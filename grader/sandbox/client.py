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
from grader.errors import InputError
from grader.files import walk_bounded
from grader.sandbox.reply import wrong_value

MAX_FILES = 200
MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 16  # folders below the submission's root that are searched for Python files
MAX_ENTRIES = 20_000  # directory entries looked at, in all
MAX_RESPONSE = 96 * 1024 * 1024  # the fork server caps a request's results at 64 MiB; outputs are capped too
_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT",
             "GRADER_TEST_DISABLE_LAYERS")


def python_files(src: Path) -> Iterator[tuple[str, Path]]:
    """The submission's Python files that grading uses: no links, hidden folders or large files, at most 200.

    The walk is bounded (grader.files.walk_bounded): a submission nested 1,100 folders deep or holding a
    million files costs the grader bounded time and no recursion.
    """
    if not src.is_dir() or src.is_symlink():
        return
    count = 0
    for rel, path in walk_bounded(src, max_depth=MAX_DEPTH, max_entries=MAX_ENTRIES,
                                  skip_dir=lambda d: d.startswith(".") or d == "__pycache__"):
        if not rel.endswith(".py"):
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
        except OSError:
            continue
        if count >= MAX_FILES:
            return
        count += 1
        yield rel, path


def copy_submission(src: Path, dest: Path) -> list[str]:
    """Copy the submission's Python files into ``dest``; the original is never touched."""
    copied: list[str] = []
    for rel, path in python_files(src):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copied.append(rel)
    return copied


#: Kernel layers without which ``isolation: required`` refuses to grade.
REQUIRED_LAYERS = ("landlock", "seccomp")
_HOW = {
    "landlock": "Landlock (Linux 5.13 or later built with CONFIG_SECURITY_LANDLOCK=y and 'landlock' in the lsm= "
                "boot parameter; in a container, a seccomp profile that allows the landlock_* system calls)",
    "seccomp": "seccomp through libseccomp (a kernel with CONFIG_SECCOMP_FILTER, Debian's libseccomp2 and the "
               "pyseccomp package, both installed by `pip install` and .ci/run)",
}


class IsolationError(InputError):
    """The course requires kernel confinement that this machine cannot give: nothing is graded."""


def probe() -> dict[str, Any]:
    """What the kernel can confine with, seen from the grader's process (the fork server sees the same)."""
    from grader.sandbox import kernel  # here: `grader check` starts the fork server before this loads

    abi = kernel.landlock_abi()
    return {"landlock_abi": abi, "landlock": abi >= 1, "landlock_network": abi >= 4, "landlock_scopes": abi >= 6,
            "seccomp": kernel.seccomp_available()}


def check_isolation(policy: str) -> list[str]:
    """The kernel layers missing on this machine; raises under ``required`` when any is."""
    found = probe()
    missing = [layer for layer in REQUIRED_LAYERS if not found[layer]]
    if missing and policy == "required":
        from grader.sandbox import kernel

        why = {"seccomp": kernel.seccomp_error()}
        raise IsolationError(
            "the kernel cannot confine student code here: missing "
            + "; ".join(_HOW[m] + (f": {why[m]}" if why.get(m) else "") for m in missing),
            "Run the grader on a kernel that has them, or set `isolation: best-effort` in course.yaml to grade "
            "anyway with a warning on every report.")
    return missing


def summarise_confinement(policy: str, reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One record entry from every worker round's report: a layer counts only if it took effect in all."""
    layers = ("landlock", "landlock_network", "landlock_scopes", "seccomp", "capabilities_dropped",
              "no_new_privs", "network_namespace", "subreaper", "audit_hook")
    found = probe()
    out: dict[str, Any] = {"isolation": policy, "landlock_abi": found["landlock_abi"]}
    for layer in layers:
        values = [bool(r.get(layer)) for r in reports]
        out[layer] = bool(values) and all(values)
    out["landlock_network"] = out["landlock_network"] and out["landlock"]
    out["landlock_scopes"] = out["landlock_scopes"] and out["landlock"]
    out["missing"] = [layer for layer in REQUIRED_LAYERS if not out[layer]] if reports else []
    return out


def _well_formed(response: dict[str, Any], n: int) -> bool:
    results, outputs = response.get("results"), response.get("outputs")
    return (isinstance(results, list) and len(results) == n and all(isinstance(r, dict) for r in results)
            and isinstance(outputs, list) and len(outputs) == n and all(isinstance(o, str) for o in outputs)
            and isinstance(response.get("imports"), dict) and isinstance(response.get("confinement", {}), dict))


def recheck_values(response: dict[str, Any]) -> dict[str, Any]:
    """Every value checked again in the grader's process: the reply is data, not trust."""
    for i, result in enumerate(response["results"]):
        wrong = wrong_value(result.get("value", 0.0)) if result.get("ok") else None
        if wrong:
            response["results"][i] = wrong
    return response


class SandboxCrashed(RuntimeError):
    """The fork server died; the submission under way gets an error, the next one a fresh server.

    ``detail``: the fork server's own traceback when it failed on a bug of ours (the record's grader_error keeps
    it; each check shows only the one-line message)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class Sandbox:
    """A fork server for the lifetime of this object; use as a context manager."""

    runner = "confined"  # the result record's name for this backend (grader.sandbox.backends)

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._next_id = 0
        self._stopped = False

    def spawn(self) -> None:
        """Start the fork server without waiting for it, so its NumPy import overlaps the caller's work."""
        if self._stopped:
            raise SandboxCrashed("the sandbox was stopped")
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
        if self._stopped:  # signal_kill ran on another thread meanwhile and may have seen the old server
            self.signal_kill()

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
            forbidden: list[str], isolation: str = "required") -> dict[str, Any]:
        self.prestart()
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        self._next_id += 1
        request = {"id": self._next_id, "dir": str(Path(sandbox_dir).resolve()), "tasks": tasks, "limits": limits,
                   "forbidden": forbidden, "isolation": isolation}
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            proc.stdin.flush()
            line = proc.stdout.readline(MAX_RESPONSE + 1)
        except (BrokenPipeError, OSError):
            line = b""
        if not line:
            self.close()
            raise SandboxCrashed("the sandbox's fork server died while grading this submission")
        problem = None
        response: Any = None
        if len(line) > MAX_RESPONSE or not line.endswith(b"\n"):
            problem = "a reply longer than the cap"
        else:
            try:
                response = json.loads(line)
            except (ValueError, RecursionError):
                problem = "a reply that is not JSON"
        if problem is None and (not isinstance(response, dict) or response.get("id") != self._next_id):
            problem = "a reply to another request"
        if problem is None and "fatal" not in response and not _well_formed(response, len(tasks)):
            problem = "a malformed reply"
        if problem is not None:
            self.close()  # anything out of place: a fresh server for the next submission
            raise SandboxCrashed(f"the sandbox's fork server sent {problem}; it was restarted")
        if "fatal" in response:
            self.close()  # a fresh server for the next submission (the server may have ended itself)
            fatal = str(response["fatal"])[-4000:]
            if not fatal.startswith("Traceback"):  # a known end (its template is gone): the message says it
                raise SandboxCrashed(fatal[:2000])
            last = fatal.strip().splitlines()[-1]
            raise SandboxCrashed(f"the sandbox's fork server failed: {last[:300]}", fatal)
        return recheck_values(response)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def signal_kill(self) -> None:
        """From a signal handler or another thread, when the caller is leaving: SIGKILL the fork server (its
        worker dies with it) and nothing else, since waiting or closing its pipes could deadlock with the read
        the signal interrupted. No server starts again after this: a round that another thread was about to
        send (``grader check``'s early round) fails at once instead of running in full."""
        self._stopped = True  # before reading _proc: spawn assigns _proc, then reads _stopped
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
