"""Review decisions in ``OUT/reviews.sqlite``: SQLite in WAL mode, one transaction per decision.

A decision names a question, the answer's hash, and optionally one student: without a student it holds for
every answer with that hash (a group decision is one such row per variant, written in one transaction);
with one, it holds for that student's answer only and wins over the hash's. Because the hash is of the
answer's text, a decision survives a regrade for as long as the answer is unchanged, and a changed answer
simply has no decision: it is awaiting review again.

WAL lets several reviewers' requests read while one writes; ``busy_timeout`` makes a writer wait for
another instead of failing; ``synchronous=FULL`` makes a committed decision survive a killed server or a
power cut. Nothing else is kept in memory between requests.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

DB_FILE = "reviews.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    question    TEXT NOT NULL,             -- quiz/question
    answer_hash TEXT NOT NULL,
    student     TEXT NOT NULL DEFAULT '',  -- '' for every answer with this hash
    items       TEXT NOT NULL,             -- JSON list of rubric item ids
    comment     TEXT NOT NULL DEFAULT '',
    reviewer    TEXT NOT NULL DEFAULT '',
    decided_at  TEXT NOT NULL,
    PRIMARY KEY (question, answer_hash, student)
);
CREATE TABLE IF NOT EXISTS applied (        -- the answer each student's decision was last applied to
    question    TEXT NOT NULL,
    student     TEXT NOT NULL,
    answer_hash TEXT NOT NULL,
    PRIMARY KEY (question, student)
);
CREATE TABLE IF NOT EXISTS history (        -- every decision ever saved, for a reviewer's "who changed this"
    id          INTEGER PRIMARY KEY,
    question    TEXT NOT NULL,
    answer_hash TEXT NOT NULL,
    student     TEXT NOT NULL,
    items       TEXT NOT NULL,
    comment     TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    decided_at  TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Decision:
    """Which rubric items a reviewer ticked for an answer (by hash; for one student when ``student``)."""

    question: str
    answer_hash: str
    items: tuple[str, ...]
    comment: str = ""
    reviewer: str = ""
    student: str = ""
    decided_at: str = ""


def connect(out: Path) -> sqlite3.Connection:
    """A connection to OUT's store, created on first use; WAL, and a wait instead of 'database is locked'."""
    conn = sqlite3.connect(out / DB_FILE, timeout=30.0, isolation_level=None, check_same_thread=True)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.executescript(_SCHEMA)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return conn


def open_to_read(out: Path) -> sqlite3.Connection:
    """Another folder's existing store, to read only (a shard that ``grader merge`` reads): no schema or pragma
    is written, and the connection is a plain one, so closing it removes its WAL files and leaves the folder as it
    was (a ``mode=ro`` connection cannot, and leaves ``-wal`` and ``-shm`` behind)."""
    path = out / DB_FILE
    if not path.is_file():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT: the write lock is taken up front, so two writers queue instead of deadlocking."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def save(conn: sqlite3.Connection, decisions: list[Decision]) -> None:
    """Save one reviewer action (a group's variants, or one student's answer) in a single transaction."""
    with transaction(conn):
        for d in decisions:
            when = d.decided_at or now()
            row = (d.question, d.answer_hash, d.student, json.dumps(list(d.items)), d.comment, d.reviewer, when)
            conn.execute("INSERT INTO decisions (question, answer_hash, student, items, comment, reviewer, decided_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (question, answer_hash, student) DO UPDATE SET "
                         "items=excluded.items, comment=excluded.comment, reviewer=excluded.reviewer, "
                         "decided_at=excluded.decided_at", row)
            conn.execute("INSERT INTO history (question, answer_hash, student, items, comment, reviewer, decided_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", row)


def forget(conn: sqlite3.Connection, question: str, targets: list[tuple[str, str]]) -> None:
    """Undo one reviewer action's decisions, (answer hash, student) each, in one transaction: awaiting review again."""
    with transaction(conn):
        conn.executemany("DELETE FROM decisions WHERE question=? AND answer_hash=? AND student=?",
                         [(question, h, s) for h, s in targets])


def load(conn: sqlite3.Connection) -> list[Decision]:
    rows = conn.execute("SELECT question, answer_hash, items, comment, reviewer, student, decided_at FROM decisions "
                        "ORDER BY question, student, answer_hash").fetchall()
    return [Decision(q, h, tuple(json.loads(items)), c, r, s, at) for q, h, items, c, r, s, at in rows]


#: A history row: question, answer hash, student, items (JSON), comment, reviewer, decided_at.
HistoryRow = tuple[str, str, str, str, str, str, str]


def history(conn: sqlite3.Connection) -> list[HistoryRow]:
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        "SELECT question, answer_hash, student, items, comment, reviewer, decided_at FROM history ORDER BY id")]


def carry_in(conn: sqlite3.Connection, decisions: list[Decision], rows: list[HistoryRow],
             applied_to: dict[tuple[str, str], str]) -> None:
    """Decisions, history and applied answers from other stores (a merge's shards), in one transaction: each
    decision replaces the one under its key, history rows this store does not hold yet are added in order."""
    with transaction(conn):
        held = set(history(conn))
        for d in decisions:
            conn.execute("INSERT INTO decisions (question, answer_hash, student, items, comment, reviewer, decided_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (question, answer_hash, student) DO UPDATE SET "
                         "items=excluded.items, comment=excluded.comment, reviewer=excluded.reviewer, "
                         "decided_at=excluded.decided_at",
                         (d.question, d.answer_hash, d.student, json.dumps(list(d.items)), d.comment, d.reviewer,
                          d.decided_at))
        conn.executemany("INSERT INTO history (question, answer_hash, student, items, comment, reviewer, decided_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", [r for r in rows if r not in held])
        conn.executemany("INSERT INTO applied (question, student, answer_hash) VALUES (?, ?, ?) ON CONFLICT "
                         "(question, student) DO UPDATE SET answer_hash=excluded.answer_hash",
                         [(q, s, h) for (q, s), h in applied_to.items()])


def remember(conn: sqlite3.Connection, rows: list[tuple[str, str, str]]) -> None:
    """(question, student, answer hash) of the answers a decision was just applied to, in one transaction."""
    if not rows:
        return
    with transaction(conn):
        conn.executemany("INSERT INTO applied (question, student, answer_hash) VALUES (?, ?, ?) ON CONFLICT "
                         "(question, student) DO UPDATE SET answer_hash=excluded.answer_hash", rows)


def applied(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    return {(q, s): h for q, s, h in conn.execute("SELECT question, student, answer_hash FROM applied")}


class Decisions:
    """All decisions, looked up as the page and ``apply`` need them: a student's own first, then the hash's.
    ``previous``: the answer each student's decision was last applied to, to tell a changed answer."""

    def __init__(self, decisions: list[Decision], previous: dict[tuple[str, str], str] | None = None) -> None:
        self.by_hash = {(d.question, d.answer_hash): d for d in decisions if not d.student}
        self.by_student = {(d.question, d.student): d for d in decisions if d.student}
        self.previous = previous or {}

    def find(self, question: str, student: str, answer_hash: str) -> Decision | None:
        own = self.by_student.get((question, student))
        if own is not None and own.answer_hash == answer_hash:
            return own
        return self.by_hash.get((question, answer_hash))

    def stale(self, question: str, student: str, answer_hash: str) -> bool:
        """A decision was about an earlier answer of this student's (the answer changed since), and none holds now."""
        if self.find(question, student, answer_hash) is not None:
            return False
        own = self.by_student.get((question, student))
        before = self.previous.get((question, student))
        return (own is not None and own.answer_hash != answer_hash) or (before is not None and before != answer_hash)


def read(out: Path) -> Decisions:
    """Every decision of OUT's store, with the answers they were last applied to."""
    conn = connect(out)
    try:
        return Decisions(load(conn), applied(conn))
    finally:
        conn.close()
