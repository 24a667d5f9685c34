"""Review decisions made on the shards of a class, carried into their merge.

``grader batch --shard K/N`` writes one output folder per shard, and a teaching assistant may review a shard's
written answers there (``grader review OUT1``) before ``grader merge`` combines the folders. The decisions live in
each shard's ``reviews.sqlite``; the merge copies the shards' records (with the reviewed points in them), and
here the decisions themselves follow, so the merged folder can be reviewed on, re-merged and rerun without losing
one. They are read without changing a byte of the shards, written into the merged folder's store in one
transaction, and then applied there: a group decision holds for every answer with its hash, so after the merge it
also covers the same answer handed in on another shard, as it would have in one batch.

Two stores can hold different decisions for the same answer (two assistants decided the same group on two
shards). The later one is kept, as when two reviewers decide one group on one page, and every superseded one is
returned so the command line names it; it stays in the history table either way.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import InputError
from grader.review import store


@dataclass(frozen=True)
class Conflict:
    """Different decisions for one answer (or one student's answer) in two stores: which was kept, which were not."""

    kept: tuple[Path, store.Decision]
    superseded: list[tuple[Path, store.Decision]]


@dataclass
class Carried:
    """What the merge brought over: the folders whose store held decisions, how many, and the conflicts."""

    sources: list[Path] = field(default_factory=list)
    decisions: int = 0
    conflicts: list[Conflict] = field(default_factory=list)


def holding_reviews(folders: list[Path]) -> list[Path]:
    """The folders with a ``reviews.sqlite`` that holds at least one decision or history row. A store that
    cannot be read is refused, naming it: its decisions must not be merged away in silence."""
    found = []
    for folder in folders:
        if not (folder / store.DB_FILE).is_file():
            continue
        try:
            conn = store.open_to_read(folder)
            try:
                if store.load(conn) or store.history(conn):
                    found.append(folder)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{folder / store.DB_FILE} cannot be read: {exc}",
                             "Restore it from a copy (or its reviews.yaml export: grader review --import), or "
                             "move it aside to merge without its decisions.") from None
    return found


def carry(shards: list[Path], dest: Path) -> Carried:
    """The shards' decisions, history and applied answers into ``dest``'s store (its own decisions take part:
    a folder merged again keeps what was decided on it); conflicts resolved by the later decision."""
    sources = holding_reviews([dest, *shards])
    candidates: dict[tuple[str, str, str], list[tuple[Path, store.Decision]]] = {}
    rows: dict[store.HistoryRow, None] = {}  # ordered, without repeats
    applied_to: dict[tuple[str, str], str] = {}
    for folder in sources:
        conn = store.open_to_read(folder)
        try:
            for d in store.load(conn):
                candidates.setdefault((d.question, d.answer_hash, d.student), []).append((folder, d))
            rows.update(dict.fromkeys(store.history(conn)))
            if folder != dest:  # the shards' records were just copied: their applied answers describe them
                applied_to.update(store.applied(conn))
        finally:
            conn.close()
    done = Carried(sources=[f for f in sources if f != dest])
    chosen: list[store.Decision] = []
    for found in candidates.values():
        winner = max(enumerate(found), key=lambda pair: (pair[1][1].decided_at, pair[0]))[1]
        chosen.append(winner[1])
        others = [(f, d) for f, d in found if (d.items, d.comment) != (winner[1].items, winner[1].comment)]
        if others:
            done.conflicts.append(Conflict(winner, others))
    done.decisions = len(chosen)
    conn = store.connect(dest)
    try:
        store.carry_in(conn, chosen, list(rows), applied_to)
    finally:
        conn.close()
    return done


def describe(d: store.Decision) -> str:
    """One decision in a line, for a conflict's warning: its items, who and when, its comment."""
    items = ", ".join(d.items) or "no item"
    said = f", comment {d.comment!r}" if d.comment else ""
    return f"[{items}] by {d.reviewer or 'an unnamed reviewer'} at {d.decided_at}{said}"
