"""Grade a whole class: in parallel, resumable, shardable, with a gradebook and a class summary.

Layout of OUT:
- ``results/<student>.json``: the result record, the same contract as ``grader check --format json``
  (written on one line: indenting costs a third of the serialisation time);
- ``reports/<student>.html``: the student's report (``grader check --format html``);
- ``manifest.jsonl``: one compact row per graded submission (hashes, scores, check statuses), appended as
  each finishes; a rerun skips a submission whose files and course spec are unchanged;
- ``gradebook.csv``, ``canvas.csv`` (with ``--canvas``), ``summary.html`` and ``summary.json`` (the same
  figures, for scripts), ``run.json`` (course items,
  checks, and each run's source, layout, environment and timing), written when every selected submission has
  a row.

Processes: this one hands out submissions and writes the manifest; ``jobs`` worker processes each own a
fork server (``grader.sandbox``) that forks one sandboxed child per submission. Workers write the per-student
files themselves and send back only the compact row, as JSON, so memory stays flat whatever the class size.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from grader.classroom.gradebook import (
    CanvasMap,
    anonymous_refusal,
    is_anonymous,
    write_canvas,
    write_gradebook,
    write_moodle_worksheet,
)
from grader.classroom.rosters import Rosters
from grader.classroom.submissions import Submission, open_submissions, shard_of, submission_hash
from grader.classroom.summary import STATUS_LETTER, Summary, render_summary, summary_json
from grader.errors import InputError, UsageError
from grader.files import clean_up, open_atomic, write_atomic
from grader.judge.grade import Ends, Plan, grade_submission
from grader.record import GradeResult
from grader.reports.render import FORMATS, escape_controls, render
from grader.reports.views import quiz_blocked
from grader.sandbox import backends
from grader.sandbox.backends import Runner
from grader.sandbox.client import check_isolation, probe
from grader.spec.course import Course
from grader.spec.provenance import environment_of
from grader.spec.quiz.sheet import SHEET_FILE

try:
    import fcntl
except ImportError:  # Windows: batch and merge say so (require_posix) instead of failing to import
    fcntl = None  # type: ignore[assignment]

RESULTS, REPORTS = "results", "reports"
MANIFEST, RUN, GRADEBOOK, CANVAS, SUMMARY = "manifest.jsonl", "run.json", "gradebook.csv", "canvas.csv", "summary.html"
SUMMARY_JSON = "summary.json"
MOODLE = "moodle.csv"
IN_FLIGHT = 2  # submissions queued per worker, so a worker never waits for the next one
MAX_PROBLEMS = 3
MESSAGE_CHARS = 240
WORKER_RETRIES = 1


def reports_enabled() -> bool:
    """HTML reports are written when the HTML report format is available (it is a separate renderer)."""
    return "html" in FORMATS


# -- the compact row -------------------------------------------------------------------------------

def course_meta(plan: Plan) -> dict[str, Any]:
    """What every row is read against: the graded items and checks, in course order."""
    course = plan.course
    items = [{"id": ex.id, "title": ex.title, "kind": "exercise",
              "max_score": ex.points if plan.mode == "course" else sum(c.points for c in plan.cases[ex.id])}
             for ex in course.exercises]
    quizzes = {q.id: q for q in course.quizzes}
    items += [{"id": it.id, "title": getattr(quizzes.get(it.id), "title", it.id), "kind": "quiz",
               "max_score": it.points if plan.mode == "course" else 0.0} for it in course.quiz_items]
    checks = []
    for ex in course.exercises:
        checks += [[ex.id, name, points] for case in plan.cases[ex.id] for name, points in case.checks]
        checks += [[ex.id, inv.check_name, inv.points] for inv in ex.invariants]
    checks += [[quiz.id, q.id, q.points] for quiz in course.quizzes for q in quiz.questions]
    return {"course": course.title, "spec_hash": grading_key(course), "mode": plan.mode,
            "pass_threshold": course.pass_threshold, "max_score": sum(it["max_score"] for it in items),
            "items": items, "checks": checks}


def grading_key(course: Course) -> str:
    """What a result depends on besides the submission: the course spec, and whether quiz answers are
    shown yet (``reveal: after_due`` changes the feedback at the due date, so results are redone then)."""
    from grader.spec.quiz.model import reveal_answers

    if course.reveal == "after_due" and reveal_answers(course.reveal, course.due):
        return f"{course.spec_hash}+answers"
    return course.spec_hash


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


def _problems(result: GradeResult) -> list[dict[str, Any]]:
    """Why a submission did not run to the end: grader error, timeout, crash or error, worst first."""
    out: list[dict[str, Any]] = []
    out.extend({"kind": "not graded", "check": None, "message": _short(w.removeprefix(NOT_GRADED))}
               for w in result.warnings if w.startswith(NOT_GRADED))
    if result.grader_error:
        out.append({"kind": "grader error", "check": None, "message": _short(result.grader_error)})
    seen_messages = set()
    for _ex, check in result.checks():
        if check.status.value != "error":
            continue
        exc = (check.details or {}).get("exception")
        kind = {"Timeout": "timeout", "Crash": "crash"}.get(exc or "", "error")
        if exc == "Skipped":
            continue
        message = _short(check.message)
        if (kind, message) in seen_messages:  # an import failure repeats on every case of the file
            continue
        seen_messages.add((kind, message))
        out.append({"kind": kind, "check": check.name, "message": message})
    order = {"not graded": -1, "grader error": 0, "timeout": 1, "crash": 2, "error": 3}
    out.sort(key=lambda p: order[p["kind"]])
    return out[:MAX_PROBLEMS]


def make_row(result: GradeResult, meta: dict[str, Any]) -> dict[str, Any]:
    """The few numbers of a result that the gradebook and the summary need (the full record is on disk)."""
    status = {(ex.id, c.name): c.status.value for ex, c in result.checks()}
    # A property is filed under the exercise its failure is blamed on, which differs from student to student
    # (judge.grade._blame_invariants): found by its name, it counts once per student wherever it was filed.
    names = Counter(c.name for _, c in result.checks())
    by_name = {c.name: c.status.value for _, c in result.checks() if names[c.name] == 1}
    status.update({(quiz.id, q.id): q.status.value for quiz in result.quizzes for q in quiz.questions})
    # A quiz none of whose questions could be graded (no sheet, another student's sheet...) is one fact about
    # the student, not a failure of each question: its questions count as not graded ("-").
    no_sheet = {q.id: ("missing" if SHEET_FILE + " is missing" in q.questions[0].message else "unusable")
                for q in result.quizzes if quiz_blocked(q)}
    for quiz_id in no_sheet:
        status.update({(quiz_id, q.id): "" for quiz in result.quizzes if quiz.id == quiz_id for q in quiz.questions})
    letters = "".join(STATUS_LETTER.get(status.get((ex, name), by_name.get(name, "")), "-")
                      for ex, name, _ in meta["checks"])
    items = {ex.id: ex.score for ex in result.exercises}
    items.update({q.id: q.score for q in result.quizzes})
    # exercise/id: one id (natural-log) may name different mistakes in two exercises
    misconceptions = sorted({f"{ex.id}/{c.misconception}" for ex, c in result.checks()
                             if c.misconception and c.status.value != "passed"})
    row: dict[str, Any] = {"student": result.student, "score": result.score, "max_score": result.max_score,
           "passed": result.passed, "items": items, "checks": letters, "misconceptions": misconceptions,
           "problems": _problems(result), "duration": result.duration}
    if no_sheet:
        row["no_sheet"] = no_sheet
    if result.pending:  # written answers awaiting review: apart from the score, never counted as lost
        row["pending"] = result.pending
    blank, wrong = _quiz_answers(result, no_sheet)
    if blank:
        row["quiz_blank"] = blank
    if wrong:
        row["quiz_wrong"] = wrong
    return row


def _quiz_answers(result: GradeResult, no_sheet: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """For the summary's quiz statistics: the questions left blank ("quiz/question"), and what was written
    for each answered one that is not right (cut short, lists as one line)."""
    blank: list[str] = []
    wrong: dict[str, str] = {}
    for quiz in result.quizzes:
        if quiz.id in no_sheet:
            continue
        for q in quiz.questions:
            key = f"{quiz.id}/{q.id}"
            if q.answer is None:
                if q.status.value != "passed":
                    blank.append(key)
            elif q.status.value != "passed" and q.written is None:  # a written answer is reviewed, not tallied
                text = ", ".join(map(str, q.answer)) if isinstance(q.answer, list) else str(q.answer)
                wrong[key] = _short(text)
    return blank, wrong


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


# -- the manifest ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    offset: int
    submission_hash: str | None  # None: the folder could not be hashed (then it is graded again on every run)
    spec_hash: str
    result_sha: str
    report: bool


class Manifest:
    """``manifest.jsonl``: rows appended as submissions finish; the last row of a student wins.

    Only an index (student -> offset and hashes) is kept in memory. A line cut short by a hard stop is
    dropped when the file is next opened, which rewrites it compacted.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.index: dict[str, Entry] = {}
        self._fh: Any = None

    def _scan(self) -> tuple[bool, int]:
        """Rebuild the index; returns (needs compaction, number of lines)."""
        self.index.clear()
        dirty, lines = False, 0
        if not self.path.exists():
            return False, 0
        with self.path.open("rb") as fh:
            offset = 0
            for raw in fh:
                lines += 1
                entry = None
                if raw.endswith(b"\n"):
                    try:
                        row = json.loads(raw)
                        entry = Entry(offset, row["submission_hash"], row["spec_hash"], row["result_sha"],
                                      bool(row.get("report")))
                        student = row["student"]
                    except (ValueError, KeyError, TypeError):
                        entry = None
                if entry is None:
                    dirty = True
                else:
                    if student in self.index:
                        dirty = True
                    self.index[student] = entry
                offset += len(raw)
        return dirty, lines

    def open(self, *, readonly: bool = False) -> Manifest:
        """Index the file; unless ``readonly`` (merge never writes to its inputs), create or compact it."""
        if readonly:
            self._scan()
            return self
        self.path.touch()
        dirty, _ = self._scan()
        if dirty:
            self.rewrite(sorted(self.index))
        return self

    def row(self, student: str) -> dict[str, Any]:
        entry = self.index[student]
        with self.path.open("rb") as fh:
            fh.seek(entry.offset)
            return json.loads(fh.readline())

    def rows(self, students: list[str]) -> Iterator[dict[str, Any]]:
        """The rows of ``students``, in that order, read one at a time."""
        with self.path.open("rb") as fh:
            for student in students:
                fh.seek(self.index[student].offset)
                yield json.loads(fh.readline())

    def rewrite(self, students: list[str]) -> None:
        """Keep exactly one row for each of ``students`` (in that order); atomic."""
        self.close()
        with open_atomic(self.path) as out, self.path.open("rb") as fh:
            for student in students:
                fh.seek(self.index[student].offset)
                out.write(fh.readline().decode("utf-8"))
        self._scan()

    def append(self, row: dict[str, Any]) -> None:
        """Append one row; its offset is the file's size as the kernel reports it, under an exclusive lock,
        so a line written by anyone else (or cut short) can never shift the index onto the wrong row."""
        if self._fh is None:
            self._fh = self.path.open("ab")
        data = json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n"
        fd = self._fh.fileno()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            offset = os.fstat(fd).st_size
            if offset and _last_byte(self.path, offset) != b"\n":
                data = b"\n" + data  # a line cut short: ours starts on a fresh line (the short one is dropped)
                offset += 1
            self._fh.write(data)
            self._fh.flush()
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        self.index[row["student"]] = Entry(offset, row["submission_hash"], row["spec_hash"], row["result_sha"],
                                           bool(row.get("report")))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _last_byte(path: Path, size: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(size - 1)
        return fh.read(1)


# -- a worker process ------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkerSetup:
    plan: Plan
    meta: dict[str, Any]
    out: Path
    forbidden: tuple[Path, ...]
    reports: bool
    scratch: Path | None = None  # where sandbox copies are made; listed in ``forbidden`` too
    formats: tuple[str, ...] = ()  # extra per-student views (junit, gradescope): <format>/<student>.<ext>
    runner: str = "confined"  # grader.sandbox.backends: confined | portable
    ends: Ends | None = None  # the plan's pick-by-score ends, computed before the workers fork


def _error_result(setup: WorkerSetup, student: str, message: str) -> GradeResult:
    course = setup.plan.course
    return GradeResult(course=course.title, student=student, mode=setup.plan.mode, score=0.0,
                       max_score=setup.meta["max_score"], pass_threshold=course.pass_threshold, passed=False,
                       exercises=[], grader_error=message, environment=environment_of(course.spec_hash))


NOT_GRADED = "not graded: "


def _refused_result(setup: WorkerSetup, student: str, problem: str) -> GradeResult:
    """A submission the export itself makes ungradable (a whole export inside it, a .zip that would not
    extract): 0 for this student alone, the reason in every view of the record and in the class summary."""
    result = _error_result(setup, student, "")
    result.grader_error = None
    result.warnings = [NOT_GRADED + problem]
    return result


def write_outputs(setup: WorkerSetup, result: GradeResult, submission_hash_: str | None) -> dict[str, Any]:
    """Write the student's files (atomically) and return the manifest row."""
    student = result.student or ""
    # The same record as `grader check --format json`, without the indentation (a third of the time).
    text = (result.to_json(indent=None) + "\n").encode("utf-8")
    # No fsync per student: a file cut short by a crash fails its hash on the next run and is regraded.
    write_atomic(setup.out / RESULTS / f"{student}.json", text, durable=False)
    report = False
    if setup.reports:
        write_atomic(setup.out / REPORTS / f"{student}.html", render(result, "html"), durable=False)
        report = True
    for fmt in setup.formats:
        write_atomic(extra_path(setup, fmt, student), render(result, fmt), durable=False)
    row = make_row(result, setup.meta)
    row.update(submission_hash=submission_hash_, spec_hash=setup.meta["spec_hash"], result_sha=_sha(text),
               report=report)
    return row


def _unchanged(setup: WorkerSetup, student: str, digest: str | None, prior: dict[str, Any] | None) -> bool:
    if not prior or digest is None or prior["submission_hash"] != digest:
        return False
    try:
        if _sha((setup.out / RESULTS / f"{student}.json").read_bytes()) != prior["result_sha"]:
            return False
    except OSError:
        return False
    if any(not extra_path(setup, fmt, student).is_file() for fmt in setup.formats):
        return False  # asked for a view this student does not have yet
    return not setup.reports or (prior["report"] and (setup.out / REPORTS / f"{student}.html").is_file())


EXTRA_SUFFIX = {"junit": "xml", "gradescope": "json"}


def extra_path(setup: WorkerSetup, fmt: str, student: str) -> Path:
    return setup.out / fmt / f"{student}.{EXTRA_SUFFIX[fmt]}"


def _digest(path: Path) -> tuple[str | None, str]:
    """The submission's hash, or None and why not (changed while we read it, or hostile: graded, never skipped)."""
    try:
        return submission_hash(path), ""
    except (OSError, ValueError, RecursionError) as exc:
        return None, (f"The submission's files could not be hashed ({type(exc).__name__}: {str(exc)[:200]}), so "
                      "this submission is graded again on every run of the batch.")


def grade_one(setup: WorkerSetup, sandbox: Runner, job: dict[str, Any]) -> dict[str, Any]:
    """Grade one submission (or recognise it as unchanged); never raises for a submission's sake."""
    student, path = job["student"], Path(job["path"])
    digest, why = None, ""
    if job.get("problem"):
        return write_outputs(setup, _refused_result(setup, student, job["problem"]), None)
    try:
        digest, why = _digest(path)  # inside: a hostile folder that breaks hashing costs this submission only
        if _unchanged(setup, student, digest, job.get("prior")):
            return {"student": student, "skipped": True}
        result = grade_submission(setup.plan, path, sandbox, student=student, extra_forbidden=setup.forbidden,
                                  scratch=setup.scratch, accept=tuple(job.get("accept") or ()), ends=setup.ends)
    except Exception:
        result = _error_result(setup, student, "the grader failed on this submission:\n" + traceback.format_exc())
    if why:
        result.warnings.append(why)
    return write_outputs(setup, result, digest)


def _worker_main(conn: Connection, setup: WorkerSetup, inherited: list[Connection]) -> None:
    """Serve jobs (JSON) from the parent until it closes the pipe; Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for other in inherited:  # the parent's ends of the pipes, copied by fork: keep only ours, so EOF arrives
        other.close()
    sandbox = backends.make(setup.runner)

    def stop_now(_sig: int, _frame: Any) -> None:
        sandbox.signal_kill()
        os._exit(1)

    signal.signal(signal.SIGTERM, stop_now)
    try:
        while True:
            try:
                data = conn.recv_bytes()
            except (EOFError, OSError):
                break
            row = grade_one(setup, sandbox, json.loads(data))
            conn.send_bytes(json.dumps(row, ensure_ascii=False).encode("utf-8"))
    finally:
        sandbox.close()


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    jobs: deque[dict[str, Any]] = field(default_factory=deque)


class Pool:
    """Worker processes fed through pipes, at most IN_FLIGHT submissions each."""

    def __init__(self, setup: WorkerSetup, jobs: int) -> None:
        self.setup = setup
        self.ctx = multiprocessing.get_context("fork")  # workers inherit the plan instead of rebuilding it
        self.closed = False
        self.workers: list[_Worker] = []
        for _ in range(jobs):
            self.workers.append(self._spawn())

    def _spawn(self) -> _Worker:
        parent, child = self.ctx.Pipe()
        inherited = [parent, *(w.conn for w in self.workers)]
        proc = self.ctx.Process(target=_worker_main, args=(child, self.setup, inherited), daemon=True,
                                name="grader-batch")
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def send(self, worker: _Worker, job: dict[str, Any]) -> None:
        worker.jobs.append(job)
        worker.conn.send_bytes(json.dumps(job).encode("utf-8"))

    def idle(self) -> list[_Worker]:
        return [w for w in self.workers if len(w.jobs) < IN_FLIGHT]

    def busy(self) -> bool:
        return any(w.jobs for w in self.workers)

    def results(self, timeout: float) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(job, row) pairs as they come; a worker that died is replaced and its jobs tried again once."""
        conns = {w.conn: w for w in self.workers if w.jobs}
        for conn in wait(list(conns), timeout):
            worker = conns[conn]  # type: ignore[index]
            try:
                data = worker.conn.recv_bytes()
            except (EOFError, OSError):
                yield from self._replace(worker)
                continue
            yield worker.jobs.popleft(), json.loads(data)

    def _replace(self, worker: _Worker) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        worker.conn.close()
        worker.process.join(1)
        lost = list(worker.jobs)
        fresh = self._spawn()
        self.workers[self.workers.index(worker)] = fresh
        for position, job in enumerate(lost):
            # Only the submission under way when the worker died is charged; those queued behind it were not
            # running, and are sent again as they were, so one student's code cannot fail another's.
            job["attempt"] = job.get("attempt", 0) + (1 if position == 0 else 0)
            if job["attempt"] > WORKER_RETRIES:
                result = _error_result(self.setup, job["student"], "a batch worker died while grading this "
                                       f"submission (exit code {worker.process.exitcode})")
                digest, why = _digest(Path(job["path"]))
                if why:
                    result.warnings.append(why)
                yield job, write_outputs(self.setup, result, digest)
            else:
                self.send(fresh, job)

    def close(self) -> None:
        """Let every worker finish and exit (idempotent)."""
        if self.closed:
            return
        self.closed = True
        for w in self.workers:
            w.conn.close()
        deadline = time.monotonic() + 30
        for w in self.workers:
            w.process.join(max(0.1, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.terminate()
                w.process.join(5)

    def kill(self) -> None:
        """Stop every worker now (idempotent)."""
        if self.closed:
            return
        self.closed = True
        for w in self.workers:
            if w.process.is_alive():
                w.process.terminate()  # the worker kills its fork server, whose child dies with it
        for w in self.workers:
            w.process.join(5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(1)
            w.conn.close()


# -- the run ---------------------------------------------------------------------------------------

@dataclass
class Progress:
    """What the progress bar and the final line report."""

    total: int
    graded: int = 0
    skipped: int = 0
    below: int = 0
    errors: int = 0
    not_graded: int = 0  # submissions charged with a problem of their own (listed in the summary); exit code 4
    interrupted: bool = False
    unknown_canvas: list[str] = field(default_factory=list)
    unknown_moodle: list[str] = field(default_factory=list)  # graded students the Moodle worksheet lacks
    absent_canvas: list[str] = field(default_factory=list)  # Canvas map students with no submission in the export
    dropped: list[dict[str, Any]] = field(default_factory=list)  # entries of the export not graded, and why
    groups: list[str] = field(default_factory=list)  # rows that stand for a whole group
    summary: Summary | None = None  # the whole class (this run and earlier ones), once finished
    wall: float = 0.0


class _Stop:
    """First Ctrl-C: finish the submissions under way, then stop. Second: stop at once."""

    def __init__(self, note: Callable[[str], None]) -> None:
        self.requested = False
        self.note = note
        self._old: Any = None

    def __enter__(self) -> _Stop:
        self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, _sig: int, _frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        with contextlib.suppress(Exception):
            self.note("Stopping after the submissions under way (Ctrl-C again to stop now)...")

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._old)


def scratch_root() -> Path:
    """A private folder for the sandbox copies, in RAM when /dev/shm is usable: creating and removing a
    folder per submission costs milliseconds on a disk file system, microseconds on tmpfs.

    ``GRADER_SCRATCH`` names another parent folder (what a submission writes in its sandbox lands there,
    up to the course's file-size limit per file, until that submission is done).
    """
    for base in (os.environ.get("GRADER_SCRATCH") or "/dev/shm", None):
        if base is not None and not (os.path.isdir(base) and os.access(base, os.W_OK | os.X_OK)):
            continue
        try:
            return Path(tempfile.mkdtemp(prefix="grader-batch-", dir=base)).resolve()
        except OSError:
            continue
    raise InputError("cannot create a temporary folder for the sandbox copies")


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    out.mkdir(parents=True, exist_ok=True)
    with (out / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError(f"another grader batch or merge is writing to {out}",
                             "Wait for it to finish, or use another --out folder.") from None
        yield


def _check_out(source: Path, out: Path) -> None:
    src, dst = source.resolve(), out.resolve()
    if src.is_dir() and (dst == src or dst.is_relative_to(src)):
        raise UsageError(f"--out {out} is inside {source}", "Write the outputs outside the submissions folder, "
                         "or they would be read as a student's submission.")
    if dst.exists() and not dst.is_dir():
        raise UsageError(f"--out {out} is a file", "Pass a folder for the outputs.")


def _bar(total: int, show: bool | None) -> Any:
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: a dead worker is replaced by fork, best done single-threaded
    enabled = sys.stderr.isatty() if show is None else show
    try:
        sized = os.get_terminal_size(sys.stderr.fileno()).columns > 0
    except (OSError, ValueError):
        sized = False
    # A terminal that reports a 0x0 size (a bare pty) would hide the bar: assume 100x20 there.
    return tqdm(total=total, unit="sub", disable=not enabled, file=sys.stderr, dynamic_ncols=sized,
                ncols=None if sized else 100, nrows=None if sized else 20, smoothing=0.1, mininterval=0.2)


def require_posix(command: str) -> None:
    """``grader batch`` forks its workers and both commands lock their --out folder with ``flock``: Linux or
    macOS. Said before the course loads, instead of a crash."""
    if fcntl is None or not hasattr(os, "fork"):
        raise UsageError(f"grader {command} needs Linux or macOS (it locks its --out folder"
                         f"{' and forks its workers' if command == 'batch' else ''}); this is {sys.platform}",
                         "Run it in WSL or on a Linux machine (CI, the course server). "
                         "On this machine, grader check grades one submission folder at a time.")


def run_batch(plan: Plan, source: Path, out: Path, *, jobs: int | None = None, shard: tuple[int, int] | None = None,
              canvas: CanvasMap | None = None, progress: bool | None = None,
              formats: tuple[str, ...] = (), layout: str | None = None, prefix: str | None = None,
              note: Callable[[str], None] | None = None, runner: str = "confined",
              rosters: Rosters | None = None) -> Progress:
    """Grade every submission in ``source`` (or this shard of them) into ``out``; see the module docstring.

    ``layout`` forces the export's layout (else it is detected), ``prefix`` is the Classroom assignment prefix;
    ``note`` hears, before grading starts, how many students were found in which layout, and how.
    ``rosters`` say who is who (Moodle's grading worksheet, Canvas's group set, Classroom's roster); with a
    Moodle worksheet, ``moodle.csv`` is that worksheet with the grades filled in, for Moodle to take back.
    """
    require_posix("batch")
    jobs = jobs or os.cpu_count() or 1
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    _check_out(source, out)
    policy = plan.course.isolation if plan.mode == "course" else "best-effort"
    confinement: dict[str, Any] = {"runner": runner, "isolation": policy}
    if runner == "confined":  # refuse the whole class up front, not each submission in turn
        confinement["missing"] = check_isolation(policy)
        confinement["kernel"] = probe()
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta = course_meta(plan)
    state = Progress(total=0)
    with _lock(out):
        with contextlib.suppress(FileNotFoundError):
            (out / RUN).unlink()  # present only when a run finished; merge relies on it
        scratch = scratch_root()
        # The zip's copy and the grouped submissions: a sandboxed student may not read them either.
        work = Path(tempfile.mkdtemp(prefix="grader-class-")).resolve()
        ends = Ends(plan)
        for ex in plan.course.exercises:
            ends.of(ex)  # computed once here, for every worker, instead of once in each
        setup = WorkerSetup(plan=plan, meta=meta, out=out.resolve(),
                            forbidden=(out.resolve(), source.resolve(), scratch, work), reports=reports_enabled(),
                            scratch=scratch, formats=tuple(formats), runner=runner, ends=ends)
        # Workers fork now, before this process lists the class and reads the manifest, so that they do not
        # carry (and count in their memory) what only this process needs. A worker starts its sandbox lazily.
        pool = Pool(setup, jobs)
        bar = None
        try:
            with _Stop(lambda text: (bar.write if bar else print)(text, file=sys.stderr)) as stop:
                try:
                    with open_submissions(source, work, layout=layout, prefix=prefix, rosters=rosters) as found:
                        for line in (found.headline(), *found.notes):
                            # names from the export: control characters shown as text, never sent to a terminal
                            (note or (lambda text: print(text, file=sys.stderr)))(escape_controls(line))
                        layout_used = found.layout
                        _check_rosters(found.layout, found.where, rosters)
                        _refuse_anonymous(found.layout, found.students, canvas)
                        state.absent_canvas = _absent(found.layout, found.students, canvas)
                        state.dropped = [asdict(d) for d in found.dropped]
                        state.groups = list(found.groups)
                        selected = [s for s in found.students
                                    if shard is None or shard_of(s.student, shard[1]) == shard[0]]
                        state.total = len(selected)
                        manifest = Manifest(out / MANIFEST).open()
                        bar = _bar(len(selected), progress)
                        try:
                            _grade_all(pool, manifest, selected, state, bar, stop)
                        finally:
                            manifest.close()
                            bar.close()
                    pool.close()
                except KeyboardInterrupt:  # Ctrl-C twice: stop now
                    state.interrupted = True
                    pool.kill()
        finally:
            pool.close()
            clean_up(scratch)  # iterative and never following links: student code shaped what is in it
            clean_up(work)
        state.wall = time.perf_counter() - started
        if state.interrupted:
            return state
        missing = [s.student for s in selected if s.student not in manifest.index]
        if missing:  # cannot happen: every job yields a row; refuse to write a gradebook with holes
            raise RuntimeError(f"no result for {len(missing)} submission(s), e.g. {missing[0]}")
        students = [s.student for s in selected]
        manifest.rewrite(students)
        # What graded this run, once (each result repeats it): shards merged from other machines keep theirs.
        run = {"source": str(source), "layout": layout_used, "environment": asdict(environment_of(plan.course.spec_hash)),
               "confinement": confinement,
               "shard": f"{shard[0]}/{shard[1]}" if shard else None, "started": started_at, "jobs": jobs,
               "students": len(selected), "graded": state.graded, "skipped": state.skipped,
               "wall_seconds": round(time.perf_counter() - started, 3), "dropped": state.dropped,
               "groups": state.groups}
        moodle = rosters.moodle.source if rosters is not None and rosters.moodle is not None else None
        state.unknown_canvas, state.summary, state.unknown_moodle = write_class_outputs(
            out, meta, [run], manifest, students, canvas, moodle)
        state.wall = time.perf_counter() - started
        return state


def _check_rosters(layout: str, where: str, rosters: Rosters | None) -> None:
    """A roster for another LMS would match nobody: said before grading."""
    from grader.classroom.layouts import TITLE

    if rosters is None:
        return
    for option, roster, layouts in (("--moodle", rosters.moodle, ("moodle",)),
                                    ("--canvas-groups", rosters.canvas_groups, ("canvas",)),
                                    ("--roster", rosters.classroom, ("classroom", "folders"))):
        if roster is not None and layout not in layouts:
            raise UsageError(f"{option} {roster.source} is for {TITLE[layouts[0]]}, but {where} was read as "
                             f"{TITLE[layout]}", f"Drop {option}, or pass --layout {layouts[0]} if the export is one.")


def _absent(layout: str, students: list[Submission], canvas: CanvasMap | None) -> list[str]:
    """Students of the Canvas map (by Canvas ID) the export has no submission for: in a group assignment, the
    members Canvas did not file the group's work under (--canvas-groups gives them rows)."""
    if canvas is None or layout != "canvas":
        return []
    found = {s.student for s in students}
    return sorted(f"{p.name} ({p.id})" for key, p in canvas.students.items()
                  if p.id and p.id not in found and key not in found)


def _refuse_anonymous(layout: str, students: list[Submission], canvas: CanvasMap | None) -> None:
    """canvas.csv cannot hold a Canvas anonymous id: said before grading, not after."""
    if canvas is None or layout != "canvas":
        return
    anon = [s.student for s in students if is_anonymous(s.student) and s.student not in canvas.students]
    if anon:
        message, hint = anonymous_refusal(anon[0])
        if len(anon) > 1:
            message += f" (nor the {len(anon) - 1} other anonymous id(s) of this export)"
        raise InputError(message, hint)


def _jobs(manifest: Manifest, selected: list[Submission], spec: str) -> Iterator[dict[str, Any]]:
    for sub in selected:
        entry = manifest.index.get(sub.student)
        prior = None
        if entry is not None and entry.spec_hash == spec:
            prior = {"submission_hash": entry.submission_hash, "result_sha": entry.result_sha, "report": entry.report}
        yield {"student": sub.student, "path": str(sub.path), "prior": prior, "name": sub.name, "email": sub.email,
               "problem": sub.problem, "accept": list(sub.accept), "group": sub.group, "is_group": sub.is_group}


def _grade_all(pool: Pool, manifest: Manifest, selected: list[Submission], state: Progress, bar: Any,
               stop: _Stop) -> None:
    """Feed the workers and record their rows until every submission has one, or Ctrl-C asks to stop."""
    todo = _jobs(manifest, selected, pool.setup.meta["spec_hash"])
    pending: dict[str, Any] | None = next(todo, None)
    while pending is not None or pool.busy():
        if stop.requested and pending is not None:
            pending = None
            state.interrupted = True  # the rest waits for the next run
        for worker in pool.idle():
            while pending is not None and len(worker.jobs) < IN_FLIGHT:
                pool.send(worker, pending)
                pending = next(todo, None)
        for job, row in pool.results(timeout=0.25):
            if row.get("skipped"):
                state.skipped += 1
            else:
                row.update(name=job.get("name", ""), email=job.get("email", ""))
                if job.get("group"):
                    row["group"] = job["group"]
                if job.get("is_group"):
                    row["is_group"] = True
                manifest.append(row)
                state.graded += 1
                state.below += not row["passed"]
                state.errors += bool(row["problems"])
                state.not_graded += any(p["kind"] == "not graded" for p in row["problems"])
            bar.update(1)
            bar.set_postfix_str(f"below pass {state.below}, errors {state.errors}", refresh=False)


def write_class_outputs(out: Path, meta: dict[str, Any], runs: list[dict[str, Any]], manifest: Manifest,
                        students: list[str], canvas: CanvasMap | None,
                        moodle: Path | None = None) -> tuple[list[str], Summary, list[str]]:
    """gradebook.csv, canvas.csv, moodle.csv, summary.html and run.json from the manifest, one row at a time.
    Returns the students the Canvas map does not know, the class summary, and the students the Moodle
    worksheet does not hold."""
    pending = any(row.get("pending") for row in manifest.rows(students))
    with open_atomic(out / GRADEBOOK, newline="") as fh:
        write_gradebook(fh, meta["items"], manifest.rows(students), pending=pending)
    unknown: list[str] = []
    if canvas is not None:
        with open_atomic(out / CANVAS, newline="") as fh:
            _, unknown = write_canvas(fh, canvas, meta["items"], meta["max_score"], manifest.rows(students),
                                      canvas_ids=any(run.get("layout") == "canvas" for run in runs))
    unknown_moodle: list[str] = []
    if moodle is not None:
        with open_atomic(out / MOODLE, newline="") as fh:
            _, unknown_moodle = write_moodle_worksheet(fh, moodle, manifest.rows(students))
    summary = Summary(meta, reports=out / REPORTS)
    for row in manifest.rows(students):
        summary.add(row)
    write_atomic(out / SUMMARY, render_summary(summary, runs))
    write_atomic(out / SUMMARY_JSON, summary_json(summary, runs))
    write_atomic(out / RUN, json.dumps({**meta, "runs": runs}, indent=1, ensure_ascii=False) + "\n")
    return unknown, summary, unknown_moodle


# -- merging shards --------------------------------------------------------------------------------

def _read_shard(folder: Path) -> tuple[dict[str, Any], Manifest]:
    """A shard's run.json, checked against its schema, and its manifest, which must hold every student its
    runs graded: a damaged or foreign file is an input error, and a damaged row never makes a student vanish."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    from grader.spec.yamlspec import schema

    path = folder / RUN
    rerun = f"Rerun the same grader batch command for {folder}; it resumes where it stopped."
    try:
        meta = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{folder} has no {RUN}: its batch did not finish (or it is not a batch output)",
                         rerun) from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"{path} cannot be read ({exc})", rerun) from None
    error = best_match(Draft202012Validator(schema("run")).iter_errors(meta))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top"
        raise InputError(f"{path} is not a finished batch's {RUN} (at {where}: {str(error.message)[:200]})", rerun)
    manifest = Manifest(folder / MANIFEST).open(readonly=True)
    counts = [run.get("students") for run in meta["runs"]]  # a merged folder's run.json lists its shards' runs
    expected = sum(counts) if counts and None not in counts else None
    if expected is not None and expected != len(manifest.index):
        raise InputError(f"{folder / MANIFEST} holds {len(manifest.index)} student(s), but its {RUN} says "
                         f"its run graded {expected}: the file is damaged",
                         f"Rerun the same grader batch command for {folder}; it regrades what it cannot read.")
    return meta, manifest


def _once_per_export(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every shard reads the whole export, so each lists the same entries not graded and the same group rows:
    they are kept on the first run of that source only (the summary and grader merge list them once)."""
    seen = set()
    out = []
    for run in runs:
        key = json.dumps([run.get("source"), run.get("dropped"), run.get("groups")], sort_keys=True)
        if key in seen:
            run = {**run, "dropped": [], "groups": []}
        seen.add(key)
        out.append(run)
    return out


def export_problems(runs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The entries not graded and the group rows of these runs (as ``Progress.dropped`` and ``.groups``)."""
    return ([d for run in runs for d in run.get("dropped") or []],
            [g for run in runs for g in run.get("groups") or []])


def merge(outs: list[Path], dest: Path, canvas: CanvasMap | None = None,
          moodle: Path | None = None) -> tuple[int, list[str]]:
    """Combine the OUT folders of finished shards into ``dest``: one gradebook, one summary."""
    require_posix("merge")
    if not outs:
        raise UsageError("name at least one batch output folder to merge")
    dest_real = dest.resolve()
    metas, manifests = [], []
    for folder in outs:
        if folder.resolve() == dest_real:
            raise UsageError(f"--out {dest} is also an input", "Merge into a new folder.")
        meta, manifest = _read_shard(folder)
        metas.append(meta)
        manifests.append(manifest)
    spec = metas[0]["spec_hash"]
    for folder, meta in zip(outs, metas, strict=True):
        if meta["spec_hash"] != spec:
            raise InputError(f"{folder} was graded with course spec {meta['spec_hash']}, {outs[0]} with {spec}",
                             "Regrade the shards with the same course before merging.")
    owner: dict[str, int] = {}
    for i, manifest in enumerate(manifests):
        for student, entry in manifest.index.items():
            j = owner.get(student)
            if j is None:
                owner[student] = i
            elif entry.submission_hash is None or manifests[j].index[student].submission_hash != entry.submission_hash:
                raise InputError(f"student {student} is in both {outs[j]} and {outs[i]}, with different files",
                                 "Each student must be graded by one shard: use the same N in every --shard K/N.")
    students = sorted(owner)
    with _lock(dest):
        with contextlib.suppress(FileNotFoundError):
            (dest / RUN).unlink()
        for student in students:
            src = outs[owner[student]]
            # every per-student view a shard wrote: the record, the HTML report, and --format's junit/gradescope
            for sub, ext in ((RESULTS, "json"), (REPORTS, "html"), *EXTRA_SUFFIX.items()):
                path = src / sub / f"{student}.{ext}"
                if path.is_file():
                    write_atomic(dest / sub / f"{student}.{ext}", path.read_bytes(), durable=False)
        with open_atomic(dest / MANIFEST) as fh:
            for student in students:
                fh.write(json.dumps(manifests[owner[student]].row(student), ensure_ascii=False) + "\n")
        merged = Manifest(dest / MANIFEST).open()
        runs = _once_per_export([run for meta in metas for run in meta.get("runs", [])])
        base = {k: v for k, v in metas[0].items() if k != "runs"}
        unknown, _, _ = write_class_outputs(dest, base, runs, merged, students, canvas, moodle)
    return len(students), unknown
