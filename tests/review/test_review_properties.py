"""The rules under review decisions, proved on generated inputs with Hypothesis (seeded by the derandomize profile,
so a run is repeatable): what counts as the same answer, the score a rubric gives, the groups, the marked diff."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from grader.judge.written import answer_hash, normalise_text
from grader.review.alike import alike
from grader.review.answers import Answer
from grader.review.apply import rubric_score
from grader.review.groups import group_answers, word_diff
from grader.spec.quiz.model import Question, RubricItem

WORDS = st.lists(st.text(alphabet=st.characters(codec="ascii", categories=("L", "N", "P")), min_size=1, max_size=8),
                 min_size=1, max_size=12)
SPACE = st.sampled_from([" ", "  ", "\t", "\n", " \n  "])


@settings(derandomize=True, max_examples=200)
@given(WORDS, st.data())
def test_case_and_spacing_never_change_an_answers_hash(words, data):
    text = " ".join(words)
    spaced = data.draw(SPACE) + "".join(w + data.draw(SPACE) for w in words)
    assert answer_hash(spaced) == answer_hash(text) == answer_hash(text.swapcase())


@settings(derandomize=True, max_examples=200)
@given(st.lists(st.tuples(st.sampled_from([-2, -1, -0.5, 0.5, 1, 2]), st.booleans()), min_size=1, max_size=8), st.data())
def test_a_rubric_score_stays_between_zero_and_the_points(items, data):
    rubric = tuple(RubricItem(f"i{k}", float(p), "d") for k, (p, _) in enumerate(items))
    points = sum(it.points for it in rubric if it.points > 0) or 1.0
    q = Question(id="q", type="text", points=points, text="t", rubric=rubric)
    ticked = data.draw(st.lists(st.sampled_from([it.id for it in rubric]), max_size=12))
    score = rubric_score(q, tuple(ticked))
    assert 0 <= score <= points
    raw = sum(it.points for it in rubric if it.id in set(ticked))
    assert score == round(min(points, max(0.0, raw)), 6)


@settings(derandomize=True, max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["the loss goes down", "The loss goes  down", "the loss goes dowm", "it rises",
                                 "entropy is the average surprise", "no idea", "The loss decreases to 0.1054 nats.",
                                 "the loss decreases to 0.1054 nats", "The loss increases to 0.1054 nats.",
                                 "The loss decreses to 0.1054 nats.", "The loss decreases to 0.154 nats.",
                                 "Entropy is the averge surprise!"]), min_size=1, max_size=30))
def test_groups_hold_every_student_once_and_identical_answers_together(texts):
    q = Question(id="q", type="text", points=1, text="t", rubric=(RubricItem("a", 1, "d"),))
    answers = [Answer(f"s{i}", t, answer_hash(t), len(t.split()), "") for i, t in enumerate(texts)]
    groups = group_answers(q, answers)
    students = [s for g in groups for s in g.students]
    assert sorted(students) == sorted(a.student for a in answers)
    where = {s: i for i, g in enumerate(groups) for s in g.students}
    for a in answers:
        for b in answers:
            if a.hash == b.hash:
                assert where[a.student] == where[b.student]
    assert [g.size for g in groups] == sorted((g.size for g in groups), reverse=True)
    for g in groups:  # every variant says what the group's first answer says: one decision is right for all
        assert all(alike(normalise_text(g.text), normalise_text(v.text)) for v in g.variants)


@settings(derandomize=True, max_examples=200)
@given(st.text(max_size=60), st.text(max_size=60))
def test_the_marked_diff_shows_the_variant_exactly_as_written(base, text):
    shown = "".join(t for t, mark in word_diff(base, text) if mark != "removed")
    assert shown == text.lstrip()  # every word and space as the student wrote them (leading spaces aside)
    removed = [t for t, mark in word_diff(base, text) if mark == "removed"]
    assert all(w in base.split() for w in removed)
