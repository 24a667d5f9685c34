"""grader merge carries the review decisions made on shard folders: into the merged store, applied to the merged
records and gradebook (the same gradebook as reviewing one unsharded batch), a conflict between two shards named
on stderr, the shards untouched; and without the course it refuses before writing anything."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.judge.written import answer_hash
from grader.review import store
from grader.review.apply import apply
from grader.spec.course import load_course
from tests.review.helpers import COURSE, make_class

WHY_RARE = "words/why_rare"
WHY_BITS = "words/why_bits"
RARE = "A rare event is a surprise, so it carries more information."
BITS = "One yes/no question."
#: grader batch --shard 1/2 grades ann and ben, 2/2 cat, dan and eve (classroom.submissions.shard_of).
#: eve wrote ann's answer to why_rare and dan ann's to why_bits: the same hashes on both shards.
CLASS = {
    "ann": (RARE, BITS),
    "ben": (RARE.upper(), BITS),
    "cat": ("A rare event is a surprise, so it carries more informaton!", "A fair coin flip."),
    "dan": ("Its -log2(p) is larger when p is small, so the rare event tells you more.", BITS),
    "eve": (RARE, "A coin flip."),
}
T10, T11 = "2026-12-07T10:00:00+00:00", "2026-12-07T11:00:00+00:00"
SHARD1 = [store.Decision(WHY_RARE, answer_hash(RARE), ("surprise", "formula"), "", "ta1", decided_at=T10),
          store.Decision(WHY_BITS, answer_hash(BITS), ("question",), "clear", "ta1", decided_at=T10)]
SHARD2 = [store.Decision(WHY_RARE, answer_hash(CLASS["cat"][0]), ("surprise",), "", "ta2", decided_at=T10),
          store.Decision(WHY_BITS, answer_hash(BITS), (), "not what a bit measures", "ta2", decided_at=T11)]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def batch(source: Path, out: Path, *more: str) -> None:
    code, stdout, stderr = invoke("batch", str(source), "--course", str(COURSE), "--out", str(out), "--jobs", "1", *more)
    assert code == 0, stdout + stderr


def gradebook(out: Path) -> list[list[str]]:
    with (out / "gradebook.csv").open(newline="") as fh:
        return list(csv.reader(fh))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def reviewed_shard(out: Path, decisions: list[store.Decision]) -> None:
    conn = store.connect(out)
    store.save(conn, decisions)
    conn.close()
    apply(out, load_course(COURSE))


@pytest.fixture()
def shards(tmp_path: Path) -> tuple[Path, Path]:
    source = make_class(tmp_path / "class", CLASS)
    one, two = tmp_path / "out1", tmp_path / "out2"
    batch(source, one, "--shard", "1/2")
    batch(source, two, "--shard", "2/2")
    assert sorted(p.stem for p in (one / "results").glob("*.json")) == ["ann", "ben"]
    assert sorted(p.stem for p in (two / "results").glob("*.json")) == ["cat", "dan", "eve"]
    return one, two


def test_merge_carries_each_shards_decisions_applies_them_and_names_a_conflict(shards, tmp_path: Path):
    one, two = shards
    reviewed_shard(one, SHARD1)
    reviewed_shard(two, SHARD2)
    before = [snapshot(one), snapshot(two)]
    merged = tmp_path / "merged"

    code, stdout, stderr = invoke("merge", str(one), str(two), "--out", str(merged), "--course", str(COURSE))

    assert code == 0, stdout + stderr
    assert stdout.splitlines()[1:] == [
        f"Reviews: carried 3 decisions from 2 shards into {merged / 'reviews.sqlite'} and applied them: 7 written "
        "answers reviewed, 3 awaiting review."]
    assert stderr.splitlines() == [
        f"Warning: {WHY_BITS}: every answer with hash {answer_hash(BITS)} was decided differently on two shards. "
        f"Kept the later decision, [no item] by ta2 at {T11}, comment 'not what a bit measures' ({two}); superseded: "
        f"[question] by ta1 at {T10}, comment 'clear' ({one}). All stay in the history; decide it again on grader "
        "review's page if the kept one is wrong.",
        "Warning: 1 answer(s) were decided differently on two shards (listed above); the later decision of each is "
        "applied."]
    assert [snapshot(one), snapshot(two)] == before, "merge must not change its inputs"

    conn = store.connect(merged)
    kept = {(d.question, d.answer_hash, d.items, d.reviewer) for d in store.load(conn)}
    history = store.history(conn)
    conn.close()
    assert kept == {(WHY_RARE, answer_hash(RARE), ("surprise", "formula"), "ta1"),
                    (WHY_RARE, answer_hash(CLASS["cat"][0]), ("surprise",), "ta2"),
                    (WHY_BITS, answer_hash(BITS), (), "ta2")}
    assert sorted((q, r, at) for q, _, _, _, _, r, at in history) == [
        (WHY_BITS, "ta1", T10), (WHY_BITS, "ta2", T11), (WHY_RARE, "ta1", T10), (WHY_RARE, "ta2", T10)]

    # eve (shard 2) wrote ann's answer: shard 1's group decision covers her once merged, as in one batch; ann and
    # ben (shard 1) lose ta1's 2 points on why_bits to ta2's later decision; dan's why_rare was never decided
    assert gradebook(merged) == [
        ["student", "name", "email", "surprise", "words", "total", "pending"],
        ["ann", "", "", "4", "2", "6", "0"], ["ben", "", "", "4", "2", "6", "0"], ["cat", "", "", "4", "1", "5", "2"],
        ["dan", "", "", "4", "0", "4", "2"], ["eve", "", "", "4", "2", "6", "2"]]

    # the same decisions on one unsharded batch give the same gradebook, byte for byte
    single = tmp_path / "single"
    batch(make_class(tmp_path / "class", CLASS), single)
    reviewed_shard(single, [SHARD1[0], SHARD2[0], SHARD2[1]])
    assert (merged / "gradebook.csv").read_bytes() == (single / "gradebook.csv").read_bytes()


def test_merging_again_keeps_what_was_decided_on_the_merged_folder(shards, tmp_path: Path):
    one, two = shards
    reviewed_shard(one, SHARD1[:1])
    merged = tmp_path / "merged"
    assert invoke("merge", str(one), str(two), "--out", str(merged), "--course", str(COURSE))[0] == 0
    reviewed_shard(merged, [store.Decision(WHY_BITS, answer_hash("A coin flip."), ("question",), "", "lead",
                                           decided_at=T11)])
    code, stdout, stderr = invoke("merge", str(one), str(two), "--out", str(merged), "--course", str(COURSE))
    assert (code, stderr) == (0, "")
    assert stdout.splitlines()[1] == (f"Reviews: carried 2 decisions from 1 shard into {merged / 'reviews.sqlite'} "
                                      "and applied them: 4 written answers reviewed, 6 awaiting review.")
    assert [row[5:] for row in gradebook(merged)[1:]] == [["6", "2"], ["6", "2"], ["4", "4"], ["4", "4"], ["8", "0"]]


def test_merge_refuses_shards_holding_reviews_without_the_course_and_writes_nothing(shards, tmp_path: Path,
                                                                                    monkeypatch):
    one, two = shards
    reviewed_shard(two, SHARD2[:1])
    monkeypatch.chdir(tmp_path)  # no course.yaml here or above
    merged = tmp_path / "merged"
    code, stdout, stderr = invoke("merge", str(one), str(two), "--out", str(merged))
    assert (code, stdout) == (2, "")
    assert stderr.splitlines()[0] == (
        f"Error: {two / 'reviews.sqlite'} holds review decisions, and applying them to the merge needs the course's "
        "rubrics: no course.yaml here or above")
    assert "Run grader merge inside the course repository or pass --course DIR." in stderr
    assert not merged.exists()


def test_merge_without_reviews_says_nothing_of_them(shards, tmp_path: Path, monkeypatch):
    one, two = shards
    monkeypatch.chdir(tmp_path)  # no course needed when no shard holds a decision
    code, stdout, stderr = invoke("merge", str(one), str(two), "--out", str(tmp_path / "merged"))
    assert (code, stderr) == (0, "")
    assert len(stdout.splitlines()) == 1 and stdout.startswith("Merged 5 students from 2 folders.")
    assert not (tmp_path / "merged" / "reviews.sqlite").exists()


def test_merge_refuses_a_shard_whose_review_store_cannot_be_read(shards, tmp_path: Path):
    one, two = shards
    (one / "reviews.sqlite").write_bytes(b"not a database, 100 bytes of it".ljust(100, b"."))
    merged = tmp_path / "merged"
    code, stdout, stderr = invoke("merge", str(one), str(two), "--out", str(merged), "--course", str(COURSE))
    assert (code, stdout) == (4, "")
    assert stderr.splitlines()[0] == f"Error: {one / 'reviews.sqlite'} cannot be read: file is not a database"
    assert "move it aside to merge without its decisions" in stderr
    assert not merged.exists()
