"""grader review without a browser: grouping, the store, applying to a real batch's outputs, reviews.yaml, the
server's refusals, and a server killed with SIGKILL. The browser tests are in test_review_browser.py."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.record import GradeResult, Status
from grader.review import store
from grader.review.answers import Answer
from grader.review.app import CSP, Review, create_app
from grader.review.apply import apply, rubric_score
from grader.review.groups import group_answers, suggest
from grader.spec.course import load_course
from tests.review.helpers import ANSWERS, COURSE, ROOT, make_class

WHY_RARE = "words/why_rare"
WHY_BITS = "words/why_bits"


def batch(source: Path, out: Path) -> str:
    result = CliRunner().invoke(cli, ["batch", str(source), "--course", str(COURSE), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return result.output


def gradebook(out: Path) -> list[list[str]]:
    with (out / "gradebook.csv").open(newline="") as fh:
        return list(csv.reader(fh))


def record(out: Path, student: str) -> GradeResult:
    return GradeResult.from_dict(json.loads((out / "results" / f"{student}.json").read_text()))


@pytest.fixture()
def graded(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    batch(make_class(tmp_path / "class"), out)
    return out


def question(key: str):
    quiz_id, qid = key.split("/")
    course = load_course(COURSE)
    return next(q for quiz in course.quizzes if quiz.id == quiz_id for q in quiz.questions if q.id == qid)


# -- grouping ----------------------------------------------------------------------------------------

def test_identical_answers_then_near_identical_ones_are_grouped():
    from grader.judge.written import answer_hash

    answers = [Answer(s, text, answer_hash(text), len(text.split()), "quiz.yaml:1")
               for s, (text, _) in ANSWERS.items() if text]
    groups = group_answers(question(WHY_RARE), answers)
    # ann and ben differ only in case and spacing (one hash); cat has a typo and a '!' (near-identical)
    assert [(g.students, len(g.variants)) for g in groups] == [
        (["ann", "ben", "cat"], 2), (["dan"], 1), (["eve"], 1)]
    assert groups[0].variants[0].students == ["ann", "ben"]
    assert groups[0].suggestions == {"surprise": ["surprise"]}
    assert groups[1].suggestions == {"formula": ["-log2", "log"]}
    assert groups[2].suggestions == {"backwards": ["less information"]}
    assert not any(g.integrity for g in groups)
    # without the near-identical step cat is alone
    assert [g.size for g in group_answers(question(WHY_RARE), answers, near=101)] == [2, 1, 1, 1]


def test_the_integrity_badge_marks_only_long_identical_answers_shared_by_several():
    from grader.judge.written import answer_hash

    long = " ".join(["surprise"] * 30)
    other = " ".join(["rare"] * 30)
    answers = [Answer(s, t, answer_hash(t), len(t.split()), "") for s, t in
               [("a", long), ("b", long.upper()), ("c", other), ("d", "short same"), ("e", "short same")]]
    flags = {tuple(g.students): g.integrity for g in group_answers(question(WHY_RARE), answers)}
    assert flags == {("a", "b"): True, ("c",): False, ("d", "e"): False}


def test_suggest_words_match_at_the_start_of_a_word():
    q = question(WHY_RARE)
    assert suggest(q, "It is UNEXPECTED, hence -log2(p).") == {"surprise": ["unexpected"], "formula": ["-log2", "log"]}
    assert suggest(q, "a catalogue of surprises") == {"surprise": ["surprise"]}  # 'log' inside 'catalogue' is not a word start


def test_the_rubric_score_counts_deductions_and_stays_within_the_points():
    q = question(WHY_RARE)
    assert rubric_score(q, ("surprise", "formula")) == 2
    assert rubric_score(q, ("surprise", "backwards")) == 0
    assert rubric_score(q, ("backwards",)) == 0  # never below 0
    assert rubric_score(q, ("surprise", "surprise")) == 1  # an item counts once


# -- the store ---------------------------------------------------------------------------------------

def test_the_store_is_wal_and_concurrent_writers_lose_nothing(tmp_path: Path):
    conn = store.connect(tmp_path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()

    def reviewer(name: str) -> None:
        c = store.connect(tmp_path)
        for i in range(40):
            store.save(c, [store.Decision(WHY_RARE, f"{name}{i:015x}"[-16:], ("surprise",), reviewer=name)])
        c.close()

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conn = store.connect(tmp_path)
    saved = store.load(conn)
    assert len(saved) == 120 and {d.reviewer for d in saved} == {"a", "b", "c"}
    assert conn.execute("SELECT count(*) FROM history").fetchone() == (120,)


def test_a_students_own_decision_wins_while_the_answer_is_unchanged():
    group = store.Decision(WHY_RARE, "1" * 16, ("surprise",))
    own = store.Decision(WHY_RARE, "1" * 16, ("surprise", "formula"), student="ann")
    found = store.Decisions([group, own])
    assert found.find(WHY_RARE, "ann", "1" * 16) == own
    assert found.find(WHY_RARE, "ben", "1" * 16) == group
    assert found.find(WHY_RARE, "ann", "2" * 16) is None and found.stale(WHY_RARE, "ann", "2" * 16)


# -- a batch, reviewed and applied ---------------------------------------------------------------------

def test_written_answers_are_pending_until_reviewed_then_applied_everywhere(graded: Path):
    course = load_course(COURSE)
    # before any review: graded points in the items and total, pending apart, nobody failed for it
    assert gradebook(graded) == [
        ["student", "name", "email", "surprise", "words", "total", "pending"],
        ["ann", "", "", "4", "0", "4", "4"], ["ben", "", "", "4", "0", "4", "4"], ["cat", "", "", "4", "0", "4", "4"],
        ["dan", "", "", "4", "0", "4", "2"], ["eve", "", "", "4", "0", "4", "4"]]
    dan = record(graded, "dan")
    assert (dan.score, dan.pending, dan.max_score, dan.passed) == (4, 2, 8, True)
    why_rare, why_bits = dan.quizzes[0].questions
    assert why_rare.status is Status.PENDING and why_rare.message.startswith("awaiting review: 15 words read from quiz.yaml:")
    assert why_bits.status is Status.FAILED and why_bits.message.endswith(": no answer yet")
    summary = (graded / "summary.html").read_text()
    assert "18 points of written answers from 5 students are awaiting review" in summary

    groups = group_answers(question(WHY_RARE), [
        Answer(s, t, h, 0, "") for s, t, h in
        [(s, q.answer, q.written["hash"]) for s in ANSWERS
         for q in record(graded, s).quizzes[0].questions if q.id == "why_rare"]])
    conn = store.connect(graded)
    store.save(conn, [store.Decision(WHY_RARE, h, ("surprise", "formula"), "clear", "ta") for h in groups[0].hashes])
    store.save(conn, [store.Decision(WHY_RARE, groups[2].hashes[0], ("backwards",), reviewer="ta")])
    conn.close()
    applied = apply(graded, course)
    assert (applied.reviewed, applied.pending, sorted(applied.changed)) == (4, 5, ["ann", "ben", "cat", "eve"])
    assert gradebook(graded)[1:] == [
        ["ann", "", "", "4", "2", "6", "2"], ["ben", "", "", "4", "2", "6", "2"], ["cat", "", "", "4", "2", "6", "2"],
        ["dan", "", "", "4", "0", "4", "2"], ["eve", "", "", "4", "0", "4", "2"]]
    ann = record(graded, "ann")
    q = ann.quizzes[0].questions[0]
    assert (q.status, q.score, q.pending, ann.score, ann.pending) == (Status.PASSED, 2, 0, 6, 2)
    assert q.message == ("reviewed by ta: 2 of 2 points; +1 Links information to surprise.; "
                         "+1 Gives -log2(p), or says it grows as p shrinks.; comment: clear")
    assert q.written["review"] == {"items": ["surprise", "formula"], "score": 2, "comment": "clear", "reviewer": "ta"}
    assert "2 points awaiting review" in (graded / "reports" / "ann.html").read_text()
    report = (graded / "reports" / "eve.html").read_text()
    assert "<dd>reviewed by ta: 0 of 2 points; -1 Deduction: says a rare event carries less.</dd>" in report
    eve = record(graded, "eve").quizzes[0].questions[0]
    assert (eve.status, eve.score) == (Status.FAILED, 0)
    # applying again changes nothing
    assert apply(graded, course).changed == []


def test_a_rerun_keeps_decisions_of_unchanged_answers_and_reopens_changed_ones(graded: Path, tmp_path: Path):
    texts = {s: q for s in ANSWERS for q in record(graded, s).quizzes[0].questions if q.id == "why_rare"}
    conn = store.connect(graded)
    store.save(conn, [store.Decision(WHY_RARE, texts[s].written["hash"], ("surprise",), reviewer="ta")
                      for s in ("ann", "dan")])
    conn.close()
    apply(graded, load_course(COURSE))
    answers = dict(ANSWERS)
    answers["dan"] = ("Rare events are rarer, so they surprise more.", None)  # dan rewrote his answer
    answers["ann"] = (ANSWERS["ann"][0], "A fair coin flip.")  # ann changed only her other answer
    output = batch(make_class(tmp_path / "class", answers), graded)
    assert output.splitlines()[1] == "Graded 2 of 5 submissions in " + output.splitlines()[1].split(" in ", 1)[1]
    assert output.splitlines()[-2] == (f"Reviews: 2 written answers keep their decisions; 7 are awaiting review; "
                                       f"1 changed since their review (grader review {graded}).")
    ann, dan = record(graded, "ann").quizzes[0].questions[0], record(graded, "dan").quizzes[0].questions[0]
    assert (ann.status, ann.score) == (Status.FAILED, 1)
    assert dan.status is Status.PENDING and dan.written["review"] is None
    assert dan.message.endswith("; graded by the instructor; the answer changed since its review")
    review = Review.open(graded, load_course(COURSE), token="t", apply_decisions=False)
    c = create_app(review).test_client()
    c.get("/?token=t")
    assert '<p class="stale">Changed since their review, so awaiting review again: dan</p>' in \
        c.get("/q/words/why_rare").data.decode()
    assert [r[:6] for r in gradebook(graded)[1:]] == [
        ["ann", "", "", "4", "1", "5"], ["ben", "", "", "4", "1", "5"], ["cat", "", "", "4", "0", "4"],
        ["dan", "", "", "4", "0", "4"], ["eve", "", "", "4", "0", "4"]]


# -- reviews.yaml --------------------------------------------------------------------------------------

def test_export_then_import_round_trips(graded: Path, tmp_path: Path):
    h = record(graded, "dan").quizzes[0].questions[0].written["hash"]
    conn = store.connect(graded)
    store.save(conn, [store.Decision(WHY_RARE, h, ("formula",), 'says "log"', "ta", "dan")])
    conn.close()
    dest = tmp_path / "reviews.yaml"
    result = CliRunner().invoke(cli, ["review", str(graded), "--course", str(COURSE), "--export", str(dest)])
    assert result.output == f"Wrote 1 decisions to {dest}.\n"
    text = dest.read_text()
    assert f'  - question: words/why_rare\n    answer: "{h}"\n    student: "dan"\n    items: [formula]\n' in text
    assert 'excerpt: "Its -log2(p) is larger when p is small, so the rare event tells you more."' in text
    (graded / "reviews.sqlite").unlink()
    result = CliRunner().invoke(cli, ["review", str(graded), "--course", str(COURSE), "--import", str(dest)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"Loaded 1 decisions from {dest}.",
                                          "Applied: 1 written answers reviewed, 8 awaiting review; 1 records updated, "
                                          "with gradebook.csv and summary.html."]
    assert record(graded, "dan").quizzes[0].questions[0].score == 1


def test_a_bad_reviews_file_names_each_problem_at_its_line_and_changes_nothing(graded: Path, tmp_path: Path):
    bad = tmp_path / "reviews.yaml"
    bad.write_text("decisions:\n"
                   "  - question: words/why_rare\n"
                   "    answer: nothex\n"
                   "    items: [surprise, typo]\n"
                   "  - question: words/nope\n"
                   "    answer: \"0123456789abcdef\"\n"
                   "    items: []\n")
    result = CliRunner().invoke(cli, ["review", str(graded), "--course", str(COURSE), "--import", str(bad)])
    assert result.exit_code == 3
    assert result.output.splitlines()[:3] == [
        "reviews.yaml:3:5: decisions[0]: answer must be the answer's hash: 16 hexadecimal digits, as --export "
        "writes it",
        "reviews.yaml:4:5: decisions[0]: typo is not in the rubric of words/why_rare (backwards, formula, surprise)",
        "reviews.yaml:5:5: decisions[1]: question 'words/nope' is not a text question of the course; the text "
        "questions are words/why_bits, words/why_rare"]
    assert store.load(store.connect(graded)) == []


# -- the application's refusals (the browser tests drive the same server) ---------------------------

@pytest.fixture()
def client(graded: Path):
    review = Review.open(graded, load_course(COURSE), token="secret-token", apply_decisions=False)
    return review, create_app(review).test_client()


def test_every_request_needs_the_token_and_a_state_change_needs_it_in_the_request(client):
    review, c = client
    assert c.get("/").status_code == 403
    assert c.get("/q/words/why_rare").data == (b"403: open the address grader review printed: it carries the token "
                                              b"this page needs\n")
    opened = c.get("/?token=secret-token")
    assert opened.status_code == 303 and opened.headers["Location"] == "/"
    assert "HttpOnly" in opened.headers["Set-Cookie"] and "SameSite=Strict" in opened.headers["Set-Cookie"]
    page = c.get("/q/words/why_rare")
    assert page.status_code == 200 and page.headers["Content-Security-Policy"] == CSP
    group = review.groups[WHY_RARE][0].id
    refused = c.post("/q/words/why_rare/decide", data={"group": group, "items": "surprise"})  # the cookie alone
    assert refused.status_code == 403
    assert c.post("/q/words/why_rare/decide", data={"group": group, "items": "surprise", "token": "wrong"}).status_code == 403
    assert store.load(store.connect(review.out)) == []
    ok = c.post("/q/words/why_rare/decide", data={"group": group, "items": "surprise"},
                headers={"X-Review-Token": "secret-token", "Accept": "application/json"})
    assert ok.json["progress"] == {"reviewed": 3, "total": 5, "groups": 3, "groups_done": 1}


def test_hostile_requests_are_refused(client):
    review, c = client
    c.get("/?token=secret-token")
    group = review.groups[WHY_RARE][0].id
    form = {"group": group, "token": "secret-token"}
    assert c.post("/q/words/why_rare/decide", data={**form, "items": "not_an_item"}).status_code == 400
    assert c.post("/q/words/why_rare/decide", data={**form, "scope": "student:mallory"}).status_code == 400
    assert c.post("/q/words/why_rare/decide", data={**form, "comment": "x" * 70_000}).status_code == 413
    assert c.post("/q/words/why_rare/decide", data={**form, "comment": "x" * 2001}).status_code == 413
    assert c.get("/q/words/why_rare", headers={"Host": "evil.example:80"}).status_code == 403  # DNS rebinding
    assert c.get("/static/../../course.yaml").status_code == 404
    assert store.load(store.connect(review.out)) == []


def test_answers_are_escaped_in_the_page(client):
    _, c = client
    c.get("/?token=secret-token")
    html = c.get("/q/words/why_rare").data.decode()
    assert ("<pre class=\"answer\">&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt; "
            "rare events are less information</pre>") in html
    assert "<script>document" not in html and "<script" not in html.replace('<script src="/static/review.js" defer></script>', "")


# -- a server killed in the middle of a review -------------------------------------------------------------

def test_a_killed_server_loses_no_decision(graded: Path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "grader", "review", str(graded), "--course", str(COURSE)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[0] == "Reviewing 9 written answers in 6 groups (2 questions) from " + str(graded) + ".\n"
        url = lines[2].strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url
        base, token = url.split("/?token=")
        review = Review.open(graded, load_course(COURSE), apply_decisions=False)
        body = urllib.parse.urlencode({"group": review.groups[WHY_BITS][0].id, "items": "question",
                                       "token": token}).encode()
        req = urllib.request.Request(base + "/q/words/why_bits/decide", data=body, headers={"Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert json.loads(resp.read())["done"] is True
        proc.send_signal(signal.SIGKILL)  # no shutdown, no flush: only what was committed survives
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    saved = sqlite3.connect(graded / "reviews.sqlite").execute("SELECT question, items FROM decisions").fetchall()
    assert saved == [(WHY_BITS, '["question"]')]
    result = CliRunner().invoke(cli, ["review", str(graded), "--course", str(COURSE), "--apply"])
    # the server may have applied some of it before it died: --apply finishes whatever it had not
    assert re.fullmatch(r"Applied: 2 written answers reviewed, 7 awaiting review; [012] records updated, with "
                        r"gradebook.csv and summary.html.\n", result.output)
    assert [r[4] for r in gradebook(graded)[1:]] == ["2", "2", "0", "0", "0"]


def test_without_the_token_the_real_server_refuses(graded: Path):
    proc = subprocess.Popen([sys.executable, "-m", "grader", "review", str(graded), "--course", str(COURSE)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        url = [proc.stdout.readline() for _ in range(3)][2].strip()
        base = url.split("/?token=")[0]
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + "/", timeout=30)
        assert err.value.code == 403
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(base + "/q/words/why_bits/decide", data=b"items=question"),
                                   timeout=30)
        assert err.value.code == 403
    finally:
        proc.terminate()
        proc.wait(10)
    assert store.load(store.connect(graded)) == []


def test_near_identical_is_not_the_same_meaning_so_only_typos_share_a_group_and_their_words_are_marked():
    from grader.judge.written import answer_hash
    from grader.review.groups import word_diff

    down = "The loss decreases from 0.3567 to 0.1054 nats because the true class gets more probability."
    up = down.replace("decreases", "increases")  # 98 % alike, the opposite claim
    typo = down.replace("probability", "probabilty").replace("because", "becuase")
    answers = [Answer(s, t, answer_hash(t), 15, "") for s, t in (("a", down), ("b", down), ("c", up), ("d", typo))]
    # before the fix, c joined a and b: one group decision gave "increases" the points of "decreases"
    groups = group_answers(question(WHY_RARE), answers)
    assert [[v.students for v in g.variants] for g in groups] == [[["a", "b"], ["d"]], [["c"]]]
    assert [(t, m) for t, m in groups[0].variants[1].diff if m != "same"] == [
        ("because", "removed"), ("becuase", "changed"), ("probability.", "removed"), ("probabilty.", "changed")]
    assert word_diff("a b c", "a  B c") == [("a", "same"), ("  ", "same"), ("B", "same"), (" ", "same"), ("c", "same")]


def test_the_page_marks_a_variants_differing_words(client):
    _, c = client
    c.get("/?token=secret-token")
    html = c.get("/q/words/why_rare").data.decode()
    assert ('<pre class="answer variant">A rare event is a surprise, so it carries more <del>information.</del> '
            '<mark>informaton!</mark></pre><p class="who">cat</p>') in html


def test_canvas_csv_gets_the_reviewed_points_when_given_the_batchs_map(tmp_path: Path):
    (tmp_path / "canvas.yaml").write_text(
        "assignments:\n  words: {title: Explanations, id: 11}\n  total: {title: Lab, id: 12}\n"
        "students:\n  ann: {name: Ann, id: 1}\n  ben: {name: Ben, id: 2}\n  cat: {name: Cat, id: 3}\n"
        "  dan: {name: Dan, id: 4}\n  eve: {name: Eve, id: 5}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(make_class(tmp_path / "class")), "--course", str(COURSE), "--out",
                                      str(out), "--jobs", "1", "--canvas", str(tmp_path / "canvas.yaml")])
    assert result.exit_code == 0, result.output
    h = record(out, "ann").quizzes[0].questions[1].written["hash"]  # ann and ben: "One yes/no question."
    conn = store.connect(out)
    store.save(conn, [store.Decision(WHY_BITS, h, ("question",), reviewer="ta")])
    conn.close()
    result = CliRunner().invoke(cli, ["review", str(out), "--course", str(COURSE), "--apply", "--canvas",
                                      str(tmp_path / "canvas.yaml")])
    assert result.exit_code == 0, result.output
    with (out / "canvas.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[0:2] + r[5:] for r in rows] == [
        ["Student", "ID", "Explanations (11)", "Lab (12)"], ["    Points Possible", "", "4", "8"],
        ["Ann", "1", "2", "6"], ["Ben", "2", "2", "6"], ["Cat", "3", "0", "4"], ["Dan", "4", "0", "4"],
        ["Eve", "5", "0", "4"]]


def test_a_decision_for_one_student_of_a_group_leaves_the_others_awaiting_review(client):
    review, c = client
    c.get("/?token=secret-token")
    group = review.groups[WHY_RARE][0]  # ann, ben, cat
    reply = c.post("/q/words/why_rare/decide", data={"group": group.id, "items": ["surprise", "formula"],
                                                     "scope": "student:cat", "comment": "good", "token": "secret-token"},
                   headers={"Accept": "application/json"})
    assert (reply.json["status"], reply.json["reviewed"]) == ("1 of 3 reviewed", 1)
    [saved] = store.load(store.connect(review.out))
    assert (saved.student, saved.items, saved.answer_hash) == ("cat", ("surprise", "formula"), group.variants[1].hash)
    applied = apply(review.out, load_course(COURSE))
    assert (applied.reviewed, applied.changed) == (1, ["cat"])
    assert record(review.out, "cat").quizzes[0].questions[0].score == 2
    assert record(review.out, "ann").quizzes[0].questions[0].status is Status.PENDING


def test_clearing_a_decision_puts_the_answers_back_to_awaiting_review(client):
    review, c = client
    c.get("/?token=secret-token")
    group = review.groups[WHY_RARE][0]
    form = {"group": group.id, "items": "surprise", "token": "secret-token"}
    assert c.post("/q/words/why_rare/decide", data=form).status_code == 303  # without script: back to the page
    assert len(store.load(store.connect(review.out))) == 2  # one row per variant of the group
    reply = c.post("/q/words/why_rare/decide", data={**form, "action": "clear"}, headers={"Accept": "application/json"})
    assert (reply.json["status"], reply.json["progress"]["reviewed"]) == ("not reviewed yet", 0)
    assert store.load(store.connect(review.out)) == []
    history = store.connect(review.out).execute("SELECT count(*) FROM history").fetchone()
    assert history == (2,)  # what was decided is still on record


def test_the_class_summary_counts_pending_points_apart_and_never_as_wrong_answers(graded: Path):
    data = json.loads((graded / "summary.json").read_text())
    assert data["pending"] == {"students": 5, "points": 18.0}
    ann = next(s for s in data["student_rows"] if s["student"] == "ann")
    assert (ann["status"], ann["pending"], ann["score"]) == ("passed · 4 points awaiting review", 4.0, 4.0)
    assert all(q["common_wrong"] is None for q in data["quiz"])  # awaiting review is not a wrong answer
    assert "passed · 4 points awaiting review" in (graded / "summary.html").read_text()


def test_a_record_that_cannot_be_read_is_named_not_skipped_in_silence(graded: Path):
    (graded / "results" / "eve.json").write_text("{not json")
    result = CliRunner().invoke(cli, ["review", str(graded), "--course", str(COURSE), "--apply"])
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == ("Warning: 1 result record(s) could not be read, e.g. eve.json; run the "
                                              "same grader batch command again to regrade them.")
    review = Review.open(graded, load_course(COURSE), token="t", apply_decisions=False)
    c = create_app(review).test_client()
    c.get("/?token=t")
    assert ("1 result record could not be read, so their answers are not here: eve.json. Run the same grader batch "
            "command again: it regrades them.") in c.get("/").data.decode()


def test_another_address_than_loopback_is_served_only_when_asked_and_with_the_warning(graded: Path):
    proc = subprocess.Popen([sys.executable, "-m", "grader", "review", str(graded), "--course", str(COURSE),
                             "--host", "127.0.0.2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = [proc.stdout.readline() for _ in range(4)]
        assert lines[0] == ("Warning: serving on 127.0.0.2, not only this machine: anyone who can reach it and has "
                            "the address (its token) can read every answer and change every decision. Use it on a "
                            "network you trust, or keep the default 127.0.0.1 and reach it through an SSH tunnel.\n")
        url = lines[3].strip()
        assert url.startswith("http://127.0.0.2:")
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())  # keeps the token's cookie
        with browser.open(url, timeout=30) as resp:
            assert resp.status == 200 and resp.url == url.split("?")[0]
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_pages_say_what_near_identical_means(client):
    _, c = client
    c.get("/?token=secret-token")
    index = c.get("/").data.decode()
    assert ("Identical answers are grouped, and near-identical ones that differ only by typos, case, spacing or "
            "punctuation (every number, unit and negation or quantity word the same): one decision covers the whole "
            "group.") in index
    page = c.get("/q/words/why_rare").data.decode()
    assert ("<summary>1 near-identical variant: typos and spacing only; the words that differ from the answer above "
            "are marked, and a group decision covers them too</summary>") in page
