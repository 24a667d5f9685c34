"""Which units a numeric quiz answer may be written in, and an answer that only writes back what the question
gives. "PyTorch reports a loss of 0.983 nats. How much is that in bits?" took ``0.983 nats`` as correct
("0.983 nats = 1.41817 bits"): the question's own words, converted by the grader."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quiz_helpers import answer_of, grade, question, quiz, write_sheet

from grader.errors import SpecError
from grader.judge.answers import Quantity
from grader.judge.quiz import grade_numeric
from grader.record import Status
from grader.spec.course import load_course
from grader.spec.quiz.variants import expected, variant


def _loss(student: str) -> float:
    return variant(quiz(), quiz().question("nats_to_bits"), student).params["loss"]


def _only(qid: str, **changes):
    q = dataclasses.replace(quiz().question(qid), **changes)
    return (dataclasses.replace(quiz(), questions=(q,), points=q.points),)


def test_restating_the_given_quantity_in_its_own_unit_scores_nothing_and_says_why(tmp_path):
    loss = _loss("ada")
    write_sheet(tmp_path, "ada", {"nats_to_bits": f"{loss} nats"})
    q = question(grade(tmp_path), "nats_to_bits")  # the fixture's question, which accepts any unit
    assert (q.status, q.score) == (Status.FAILED, 0.0)
    assert q.message == (f"{loss:g} is the loss the question gives you; writing it back in nats is not an answer, "
                         f"so it scores nothing. The question asks for a value in bits worked out from it. "
                         f"The answer is {answer_of('nats_to_bits', 'ada'):.4g} bits.")


def test_restating_it_as_a_plain_number_says_the_same_and_wrong_unit_credit_cannot_pay_for_it(tmp_path):
    loss = _loss("ada")
    write_sheet(tmp_path, "ada", {"nats_to_bits": f"{loss}"})
    q = question(grade(tmp_path, quizzes=_only("nats_to_bits", wrong_unit_credit=0.5)), "nats_to_bits")
    assert (q.status, q.score) == (Status.FAILED, 0.0)
    assert q.message.startswith(f"{loss:g} is the loss the question gives you; writing it back is not an answer")


def test_a_conversion_question_accepts_only_the_unit_it_asks_for(tmp_path):
    loss = _loss("ada")
    bits = answer_of("nats_to_bits", "ada")
    only_bits = _only("nats_to_bits", accepts=("bits",))
    write_sheet(tmp_path / "h", "ada", {"nats_to_bits": f"{bits * 0.30103:.4f} hartleys"})  # right, in hartleys
    q = question(grade(tmp_path / "h", quizzes=only_bits), "nats_to_bits")
    assert (q.status, q.score) == (Status.FAILED, 0.0)
    assert q.message == (f"{bits * 0.30103:.4f} hartleys is in hartleys, and this question accepts an answer in bits "
                         "only: turning the quantity into bits is what it asks, so the grader does not convert it for "
                         f"you. The answer is {bits:.4g} bits.")
    for raw in (f"{bits:.3f}", f"{bits:.3f} bits"):
        write_sheet(tmp_path / "b", "ada", {"nats_to_bits": raw})
        assert question(grade(tmp_path / "b", quizzes=only_bits), "nats_to_bits").status is Status.PASSED, raw
    assert loss  # a drawn loss, never 0


def test_a_question_that_accepts_any_unit_still_converts_a_right_answer(tmp_path):
    write_sheet(tmp_path, "ada", {"fair_die": "1.79 nats"})
    assert question(grade(tmp_path), "fair_die").message == "correct: 1.79 nats = 2.58242 bits"


def test_accepts_must_hold_the_questions_own_unit(course_copy):
    path = course_copy / "exercises" / "quiz_information_theory.yaml"
    text = path.read_text()
    old = "    unit: bits\n    answer: {function: nats_to_bits}\n"
    assert old in text
    path.write_text(text.replace(old, "    unit: bits\n    accepts: [nats]\n    answer: {function: nats_to_bits}\n"))
    with pytest.raises(SpecError) as info:
        load_course(course_copy)
    assert [p.message for p in info.value.problems] == [
        "questions[15] (nats_to_bits): accepts ['nats'] leaves out the question's own unit 'bits'; list it (an answer "
        "in the unit asked for is always accepted)"]


# ---------------------------------------------------------------- the rules, on drawn students and numbers

STUDENTS = st.text(st.characters(min_codepoint=33, max_codepoint=0x24F), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(student=STUDENTS, unit=st.sampled_from([None, "bits", "nats", "hartleys"]),
       accepts=st.sampled_from([(), ("bits",)]))
def test_writing_back_the_given_loss_never_scores_whatever_the_unit_or_student(student, unit, accepts):
    q = dataclasses.replace(quiz().question("nats_to_bits"), accepts=accepts, wrong_unit_credit=0.5)
    custom = dataclasses.replace(quiz(), questions=(q,), points=1.0)
    v = variant(custom, q, student)
    outcome = grade_numeric(custom, v, Quantity(v.params["loss"], unit), reveal=True)
    got = Quantity(v.params["loss"], unit)
    answer = f"The answer is {float(f'{expected(custom, v):.4g}'):g} bits."
    assert outcome.credit == 0.0
    if accepts and unit in ("nats", "hartleys"):
        assert outcome.message == (f"{got} is in {unit}, and this question accepts an answer in bits only: turning "
                                   f"the quantity into bits is what it asks, so the grader does not convert it for "
                                   f"you. {answer}")
    else:
        assert outcome.message == (f"{v.params['loss']:g} is the loss the question gives you; writing it back"
                                   f"{' in ' + unit if unit else ''} is not an answer, so it scores nothing. The "
                                   f"question asks for a value in bits worked out from it. {answer}")


@settings(max_examples=200, deadline=None)
@given(student=STUDENTS, accepts=st.sampled_from([(), ("bits",)]))
def test_the_right_value_in_bits_always_scores(student, accepts):
    q = dataclasses.replace(quiz().question("nats_to_bits"), accepts=accepts)
    custom = dataclasses.replace(quiz(), questions=(q,), points=1.0)
    v = variant(custom, q, student)
    bits = round(expected(custom, v), 4)
    for unit in (None, "bits"):
        outcome = grade_numeric(custom, v, Quantity(bits, unit), reveal=True)
        assert outcome.credit == 1.0 and outcome.message.startswith("correct: "), outcome.message


@given(mantissa=st.integers(0, 999), exponent=st.integers(-30, 30), sign=st.sampled_from(["", "+"]),
       e=st.sampled_from(["e", "E"]))
def test_the_hint_for_a_number_yaml_reads_as_text_parses_back_to_that_number(mantissa, exponent, sign, e):
    from grader.spec.yamlspec import _number_hint

    text = f"{mantissa}{e}{sign if exponent >= 0 else ''}{exponent}"
    read = yaml.safe_load(f"x: {text}")["x"]
    assert isinstance(read, str)  # PyYAML (YAML 1.1) reads it as text: the case the hint is for
    fixed = _number_hint(text, "number").rsplit("write ", 1)[1]
    assert yaml.safe_load(f"x: {fixed}")["x"] == float(text)
