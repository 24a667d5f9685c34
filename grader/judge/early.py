"""`grader check`'s early round: the sandbox round a previous check of the same folder ran, started before the
course has loaded, so the student's code runs while this process still imports the grader and loads the course.

It is a guess, used only if it is exactly right: once the plan is built, ``grade_submission`` takes the early
response only if the plan's first round has the same tasks, limits, isolation policy and forbidden folders as
the guess; otherwise it waits for the early round to end, throws it away and runs the round as usual. So a
changed course costs one wasted round, never a wrong grade. The guess is kept in the grader's cache
(``grader.spec.cache``: JSON, never pickle), keyed by the submission folder, the course folder and the working
folder. An early round runs only where the kernel has every layer ``isolation: required`` asks for (the
course's own policy is not known yet); a submission with notebooks gets none (its modules are made from the
course).

Imports nothing heavy: it runs before NumPy, the course loader and the judge are imported.
"""

from __future__ import annotations

import hashlib
import itertools
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from grader import __version__
from grader.files import clean_up
from grader.sandbox.backends import Runner
from grader.sandbox.client import copy_submission
from grader.spec import cache

MAX_GUESS = 8 * 1024 * 1024  # bytes of tasks worth remembering; a bigger first round gets no early start
MAX_ENTRIES = 1000  # a submission folder with more entries than this at its top gets no early round
MAX_GUESSES = 64  # folders whose first round is remembered
SANE_LIMITS = {"time_per_call": 60, "cpu_per_call": 60, "import_time": 60, "memory_mb": 8192}


def _key(submission: Path, course_dir: Path | None) -> str:
    where = f"{__version__}\0{submission.resolve()}\0{course_dir.resolve() if course_dir else ''}\0{Path.cwd()}"
    return "check/early-" + hashlib.sha256(where.encode()).hexdigest()[:32]


class Early:
    """The early round of one check, if one was started, and the first round as it really was, to remember.

    ``grade_submission`` calls ``first_round`` before it uses the sandbox for anything; nothing else may use
    the sandbox while the early round runs (it is the same fork server)."""

    def __init__(self, sandbox: Runner, submission: Path, course_dir: Path | None) -> None:
        self.sandbox = sandbox
        self.submission = submission
        self.key = _key(submission, course_dir)
        self.guess = _guess(submission, self.key)
        self.actual: dict[str, Any] | None = None
        self.work: Path | None = None
        self.response: dict[str, Any] | None = None
        self._thread: threading.Thread | None = None
        self.started = time.perf_counter()  # a record's duration counts the early round when it is used
        if self.guess is not None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        assert self.guess is not None
        try:
            from grader.sandbox.client import check_isolation

            # Only on a kernel with every required layer: the course's policy is not known yet, and a course now
            # `required` must not run student code on a machine without them, not even a round thrown away.
            check_isolation("required")
            self.work = Path(tempfile.mkdtemp(prefix="grader-")) / "submission"
            self.work.mkdir()
            copy_submission(self.submission, self.work)
            self.response = self.sandbox.run(self.work, self.guess["tasks"], self.guess["limits"],
                                             self.guess["forbidden"], self.guess["policy"])
        except BaseException:  # any failure: the round runs again as usual, which reports it
            self.response = None

    def first_round(self, tasks: list[dict[str, Any]], limits: dict[str, Any], forbidden: list[str],
                    policy: str) -> tuple[Path, dict[str, Any]] | None:
        """The sandbox copy and the response of the early round if it was this round; None otherwise, and
        then nothing is left running on the sandbox."""
        self.actual = {"tasks": tasks, "limits": limits, "forbidden": forbidden, "policy": policy}
        self.wait()
        if self.response is None or self.work is None or self.actual != self.guess:
            self.close()
            return None
        return self.work, self.response

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def close(self) -> None:
        """Wait for the early round and remove its sandbox copy."""
        self.wait()
        if self.work is not None:
            clean_up(self.work.parent)
            self.work = None

    def remember(self) -> None:
        """Keep this check's first round as the guess for the next check of the same folder."""
        if self.actual is not None and self.actual != self.guess and len(str(self.actual["tasks"])) < MAX_GUESS:
            cache.store(self.key, self.actual)
            _prune()


def _prune() -> None:
    """One guess per folder checked: only the most recently written ``MAX_GUESSES`` are kept."""
    try:
        guesses = sorted((cache.cache_dir() / "check").glob("early-*.json"), key=lambda p: p.stat().st_mtime)
        for old in guesses[:-MAX_GUESSES]:
            old.unlink()
    except OSError:
        pass


def _guess(submission: Path, key: str) -> dict[str, Any] | None:
    try:
        entries = list(itertools.islice(submission.iterdir(), MAX_ENTRIES + 1))
    except OSError:
        return None
    if len(entries) > MAX_ENTRIES or any(p.suffix == ".ipynb" for p in entries):
        return None
    guess = cache.load(key)
    if not (isinstance(guess, dict) and isinstance(guess.get("tasks"), list) and isinstance(guess.get("limits"), dict)
            and isinstance(guess.get("forbidden"), list) and isinstance(guess.get("policy"), str)):
        return None
    # The cache is data: a guess that would let the round see the submission's own folder or run for long is
    # not started (a round that is used must equal the plan's anyway).
    limits = guess["limits"]
    must_hide = {str(submission.resolve()), str(submission.resolve().parent)}
    if not must_hide <= set(guess["forbidden"]) or not all(
            type(limits.get(k)) in (int, float) and 0 < limits[k] <= cap for k, cap in SANE_LIMITS.items()):
        return None
    return guess
