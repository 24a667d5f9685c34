"""Quiz grading: every question type, units, partial credit, variants, the reveal policy, bad sheets."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from datetime import datetime, timezone

import pytest
from quiz_helpers import answer_of, course, grade, line_of, question, quiz, right_answers, write_sheet

from grader.judge.answers import Quantity, Unreadable, match_choice, parse_bool, parse_choices, parse_number
from grader.record import Status
from grader.spec.quiz.model import reveal_answers
from grader.spec.quiz.public import public_quiz, quiz_from_public
from grader.spec.quiz.sheet import build_sheet
from grader.spec.quiz.variants import draw_below, seed_key, variant

# ---------------------------------------------------------------- reading one answer


@pytest.mark.parametrize(("raw", "unit", "value", "got_unit"), [
    ("2.585", "bits", 2.585, None),
    ("2.585 bits", "bits", 2.585, "bits"),
    ("1.79 nats", "bits", 1.79, "nats"),
    ("1.79nats", "bits", 1.79, "nats"),
    ("3 bit", "bits", 3.0, "bits"),
    ("0.7782 hartleys", "bits", 0.7782, "hartleys"),
    ("1e-3", "nats", 0.001, None),
    ("-0.5", "none", -0.5, None),
    (" .5 ", "none", 0.5, None),
    ("2.585 Bits.", "bits", 2.585, "bits"),
], ids=lambda x: str(x))
def test_numbers_and_units_are_parsed(raw, unit, value, got_unit):
    assert parse_number(raw, unit) == Quantity(value, got_unit)


@pytest.mark.parametrize(("raw", "unit", "words"), [
    ("2,585", "bits", "write decimals with a dot, e.g. 2.585"),
    ("log2(6)", "bits", "is a formula: work it out"),
    ("about two and a half", "bits", "is not a number; write a number such as 1.234 or '1.234 bits'"),
    ("2.5 bts", "bits", "'bts' is not a unit I know; write bits or nats"),
    ("19 bits", "none", "a plain number without a unit; write 19"),
    ("nan", "bits", "is not a number"),
    ("inf", "none", "is not a number"),
], ids=lambda x: str(x))
def test_unreadable_numbers_say_what_to_write(raw, unit, words):
    with pytest.raises(Unreadable, match=None) as info:
        parse_number(raw, unit)
    assert words in str(info.value)


def test_choices_are_matched_by_id_or_text_never_by_position():
    q = quiz().question("log_units")
    assert match_choice("ln", q.choices).id == "ln"
    assert match_choice("LN", q.choices).id == "ln"
    assert match_choice("The natural logarithm  ln (base e).", q.choices).id == "ln"
    assert match_choice("[ln] the natural logarithm ln (base e)", q.choices).id == "ln"
    with pytest.raises(Unreadable, match=r"'b' is not one of the choices; write a choice id \(log2, ln, log10, none\)"):
        match_choice("b", q.choices)
    with pytest.raises(Unreadable):
        match_choice("2", q.choices)  # a position is never an answer


def test_multiple_answers_as_a_list_or_one_line():
    q = quiz().question("kl_in_training")
    assert [c.id for c in parse_choices(("vae", "RLHF", "vae"), q.choices)] == ["vae", "rlhf"]
    assert [c.id for c in parse_choices("vae, distill", q.choices)] == ["vae", "distill"]
    assert parse_choices((), q.choices) == ()
    with pytest.raises(Unreadable, match="'dropouts' is not among the choices"):
        parse_choices("vae, dropouts", q.choices)


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("False", False), ("yes", True), ("no", False),
                                            ("T", True), ("f.", False)])
def test_true_false_words(raw, value):
    assert parse_bool(raw) is value


def test_true_false_rejects_other_words():
    with pytest.raises(Unreadable, match="'maybe' is not true or false"):
        parse_bool("maybe")


# ---------------------------------------------------------------- every question type


def test_a_perfect_sheet_scores_full_marks(tmp_path):
    student = "ada"
    write_sheet(tmp_path, student, right_answers(student))
    result = grade(tmp_path)
    assert [(q.id, q.status) for q in result.questions if q.status is not Status.PASSED] == []
    assert (result.score, result.max_score) == (20.0, 20.0)
    assert all(q.intuition is None for q in result.questions)


def test_single_choice(tmp_path):
    path = write_sheet(tmp_path, "ada", {"log_units": "log2", "most_uncertain": "'[0.25, 0.25, 0.25, 0.25]'"})
    result = grade(tmp_path)
    wrong = question(result, "log_units")
    assert (wrong.status, wrong.score, wrong.max_score, wrong.line) == (Status.FAILED, 0.0, 1.0,
                                                                       line_of(path, "log_units"))
    assert wrong.message == ("You chose [log2] log base 2: not right. log2 gives bits: one bit is the answer to one "
                             "fair yes/no question. The answer is [ln] the natural logarithm ln (base e).")
    assert wrong.intuition.startswith("The unit only names the base of the logarithm")
    assert (wrong.answer, wrong.correct_answer) == ("log2", "ln")
    assert question(result, "most_uncertain").status is Status.PASSED  # matched by the choice's text


def test_true_false(tmp_path):
    write_sheet(tmp_path, "ada", {"surprise_certain": "true", "kl_symmetric": "false"})
    result = grade(tmp_path)
    assert question(result, "surprise_certain").message == "You answered true: not right. The statement is false."
    assert question(result, "surprise_certain").correct_answer is False
    assert question(result, "kl_symmetric").score == 1.0


@pytest.mark.parametrize(("picks", "score"), [
    ("[bit, logits, softmax, entropy, cross]", 2.0),          # all right
    ("[bit, logits, softmax]", 1.2),                          # 3 of 5
    ("[bit, logits, softmax, entropy, cross, kl]", 2 * (1 - 1 / 3)),  # one wrong pick costs a third
    ("[bit, logits, softmax, entropy, cross, kl, nat, perplexity]", 0.0),  # picking everything scores 0
    ("[bit, kl, nat]", 0.0),                                  # 0.2 - 2/3 is floored at 0, never negative
    ("[]", 0.0),
], ids=["all", "three-of-five", "one-wrong", "everything", "floored", "none"])
def test_multiple_select_partial_credit_and_penalty(tmp_path, picks, score):
    write_sheet(tmp_path, "ada", {"terms": picks})
    q = question(grade(tmp_path), "terms")
    assert q.score == pytest.approx(score)
    assert q.status is (Status.PASSED if score == 2.0 else Status.FAILED)


def test_multiple_select_message_explains_wrong_picks_and_misses(tmp_path):
    write_sheet(tmp_path, "ada", {"kl_in_training": "[vae, softmax]"})
    q = question(grade(tmp_path), "kl_in_training")
    assert q.message == (
        "1 of 3 right choices picked; 1 wrong pick cost 1 point (score 0 of 2, never below 0). "
        "[softmax] is wrong: Softmax divides each exponential by their sum; no second distribution is involved. "
        "You missed [distill] In knowledge distillation, a small student model learns to bring its output "
        "distribution close to a large teacher's; [rlhf] In RLHF with PPO, a KL penalty keeps the fine-tuned "
        "model from drifting far from the model it started from.")
    assert q.score == 0.0  # 1/3 right, minus 1/2 for the wrong pick, floored at 0


def test_explicit_penalty_applies_per_wrong_pick(tmp_path):
    q = dataclasses.replace(quiz().question("terms"), penalty=0.1)
    custom = dataclasses.replace(quiz(), questions=(q,), points=2.0)
    write_sheet(tmp_path, "ada", {"terms": "[bit, logits, softmax, entropy, cross, kl, nat]"})
    result = grade(tmp_path, quizzes=(custom,))
    assert question(result, "terms").score == pytest.approx(2 * 0.8)


# ---------------------------------------------------------------- numbers and units


@pytest.mark.parametrize("raw", ["2.585", "2.58", "2.59", "2.585 bits", "2.58496 bit", "1.7918 nats", "1.79 nats"])
def test_numeric_answers_within_tolerance_in_either_unit(tmp_path, raw):
    write_sheet(tmp_path, "ada", {"fair_die": raw})
    q = question(grade(tmp_path), "fair_die")
    assert q.status is Status.PASSED, q.message
    assert q.score == 1.0


def test_an_answer_in_nats_says_what_it_is_in_bits(tmp_path):
    write_sheet(tmp_path, "ada", {"fair_die": "1.79 nats"})
    assert question(grade(tmp_path), "fair_die").message == "correct: 1.79 nats = 2.58242 bits"


def test_a_plain_number_in_the_wrong_unit_is_recognised_and_explained(tmp_path):
    write_sheet(tmp_path, "ada", {"fair_die": "1.792", "surprise_rare": "4.605"})
    result = grade(tmp_path)
    die = question(result, "fair_die")
    assert (die.status, die.score) == (Status.FAILED, 0.0)
    assert die.message == ("1.792 is the answer in nats, not bits: you used ln where log2 is needed. To convert, "
                           "1 nat = 1.4427 bits. The answer is 2.585 bits.")
    assert question(result, "surprise_rare").message.startswith("4.605 is the answer in nats, not bits")


def test_the_reverse_slip_bits_for_nats_and_log10(tmp_path):
    student = "ada"
    loss = variant(quiz(), quiz().question("nats_to_bits"), student).params["loss"]
    write_sheet(tmp_path, student, {"nats_to_bits": f"{loss}", "fair_die": "0.778"})
    result = grade(tmp_path)
    # the loss written back as it was given: tests/test_quiz_units.py (a restatement never scores)
    assert question(result, "nats_to_bits").message.startswith(f"{loss:g} is the loss the question gives you")
    assert question(result, "fair_die").message.startswith(
        "0.778 is the answer in hartleys, not bits: you used log10 where log2 is needed")


def test_right_number_with_the_wrong_unit_label(tmp_path):
    write_sheet(tmp_path, "ada", {"fair_die": "2.585 nats"})
    q = question(grade(tmp_path), "fair_die")
    assert q.status is Status.FAILED
    assert q.message.startswith("2.585 is right in bits, but you labelled it nats: 2.585 nats = 3.72937 bits.")


def test_wrong_unit_credit_gives_partial_points(tmp_path):
    q = dataclasses.replace(quiz().question("fair_die"), wrong_unit_credit=0.5)
    custom = dataclasses.replace(quiz(), questions=(q,), points=1.0)
    write_sheet(tmp_path, "ada", {"fair_die": "1.792"})
    result = question(grade(tmp_path, quizzes=(custom,)), "fair_die")
    assert (result.status, result.score) == (Status.FAILED, 0.5)
    assert result.message.endswith("Partial credit for the right value in the wrong unit: 50%.")


def test_a_recognised_misconception_explains_itself(tmp_path):
    write_sheet(tmp_path, "ada", {"fair_die": "6"})
    q = question(grade(tmp_path), "fair_die")
    assert q.message == ("6 is the number of faces. With n equally likely outcomes the entropy is log2(n), not n. "
                         "You wrote 6 bits: 3.415 too high (132%); allowed ±0.01292. The answer is 2.585 bits.")


def test_perplexity_with_e_instead_of_2(tmp_path):
    h = variant(quiz(), quiz().question("perplexity"), "ada").params["h"]
    write_sheet(tmp_path, "ada", {"perplexity": f"{math.exp(h):.3f}"})
    q = question(grade(tmp_path), "perplexity")
    assert q.message.startswith("That is e^H, which is right for a cross-entropy in nats.")


def test_how_far_off_a_number_is(tmp_path):
    write_sheet(tmp_path, "ada", {"fair_die": "2.4"})
    q = question(grade(tmp_path), "fair_die")
    assert q.message == "You wrote 2.4 bits: 0.185 too low (7%); allowed ±0.01292. The answer is 2.585 bits."
    assert q.correct_answer == pytest.approx(2.584963)


def test_a_unit_on_a_unitless_answer_is_unreadable(tmp_path):
    path = write_sheet(tmp_path, "ada", {"perplexity": "4 bits"})
    q = question(grade(tmp_path), "perplexity")
    assert q.status is Status.ERROR
    assert q.message == (f"quiz.yaml:{line_of(path, 'perplexity')}: '4 bits': the answer to this question is a "
                         "plain number without a unit; write 4")


# ---------------------------------------------------------------- per-student variants


def test_seeds_are_sha256_of_course_quiz_question_student():
    key = seed_key("Fundamentals of Information Theory", "information_theory", "coin_entropy", " alice ")
    assert key == "Fundamentals of Information Theory|information_theory|coin_entropy|alice"
    digest = hashlib.sha256(f"{key}|param:p".encode()).digest()
    assert draw_below(key, "param:p", 36) == int.from_bytes(digest, "big") % 36
    # pinned: the same on every machine, in every process, whatever PYTHONHASHSEED is
    assert variant(quiz(), quiz().question("coin_entropy"), "alice").params == {"p": 0.21}
    assert variant(quiz(), quiz().question("ce_decomposition"), "alice").params == {"h": 1.564, "kl": 0.43}


def test_same_student_same_sheet_and_answers_two_students_differ():
    c = course()
    alice1 = build_sheet(c.quizzes, c.title, "alice")
    alice2 = build_sheet(c.quizzes, c.title, "alice")
    bob = build_sheet(c.quizzes, c.title, "bob")
    assert alice1 == alice2
    assert alice1 != bob
    numeric = [q.id for q in quiz().questions if q.params]
    assert [answer_of(q, "alice") for q in numeric] == [answer_of(q, "alice") for q in numeric]
    assert [answer_of(q, "alice") for q in numeric] != [answer_of(q, "bob") for q in numeric]


def test_the_same_sheet_in_a_fresh_process(tmp_path):
    """No hidden process state (hash seeds, import order): another interpreter writes the same sheet."""
    import subprocess
    import sys

    code = ("from pathlib import Path; from grader.spec.course import load_course; from grader.spec.quiz.sheet import "
            "build_sheet; c = load_course(Path('.')); print(build_sheet(c.quizzes, c.title, 'alice'), end='')")
    env = {**os.environ, "PYTHONPATH": str(course().root), "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=course().root, env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out == build_sheet(course().quizzes, course().title, "alice")


def test_parameters_stay_on_their_grid_and_in_range():
    q = quiz().question("coin_entropy")
    values = {variant(quiz(), q, f"s{i}").params["p"] for i in range(300)}
    assert min(values) >= 0.05 and max(values) <= 0.40
    assert all(round(v, 2) == v for v in values)
    assert len(values) > 20


def test_choices_are_shuffled_per_student_but_stable():
    q = quiz().question("terms")
    orders = {tuple(c.id for c in variant(quiz(), q, f"s{i}").choices) for i in range(20)}
    assert len(orders) > 10
    assert variant(quiz(), q, "alice").choices == variant(quiz(), q, "alice").choices


def test_the_sheet_shows_the_students_numbers_and_records_the_id():
    sheet = build_sheet(course().quizzes, course().title, "alice")
    assert 'student: "alice"' in sheet
    assert "A bent coin lands heads with probability 0.21 and tails otherwise." in sheet
    assert "H(P) = 1.564 bits" in " ".join(line.strip("# ") for line in sheet.splitlines())
    assert "  coin_entropy:\n" in sheet
    assert sheet.count("\n  # ") >= 17


def test_an_answer_means_the_same_whatever_the_order_shown(tmp_path):
    for student in ("s1", "s2", "s3"):
        write_sheet(tmp_path / student, student, {"log_units": "ln"})
        assert question(grade(tmp_path / student), "log_units").status is Status.PASSED


# ---------------------------------------------------------------- the reveal policy


def test_reveal_never_hides_answers_but_not_the_why(tmp_path):
    write_sheet(tmp_path, "ada", {"fair_die": "2.4", "log_units": "log2", "terms": "[bit]"})
    result = grade(tmp_path, reveal="never")
    die = question(result, "fair_die")
    assert die.message == "2.4 bits is too low by 5 to 25%."
    assert die.correct_answer is None and die.intuition
    log = question(result, "log_units")
    assert "The answer is" not in log.message and log.correct_answer is None
    assert "log2 gives bits" in log.message
    assert question(result, "terms").message.endswith("You missed 4 right choices.")
    assert "correct answers are not shown" in result.message


@pytest.mark.parametrize(("now", "shown"), [
    (datetime(2026, 12, 15, 23, 58, tzinfo=timezone.utc), False),
    (datetime(2026, 12, 15, 23, 59, tzinfo=timezone.utc), True),
    (datetime(2027, 1, 1), True),  # a naive time is read as UTC
])
def test_reveal_after_due_follows_the_injected_clock(tmp_path, now, shown):
    write_sheet(tmp_path, "ada", {"fair_die": "2.4"})
    q = question(grade(tmp_path, reveal="after_due", due="2026-12-15T23:59:00Z", now=now), "fair_die")
    assert ("The answer is 2.585 bits." in q.message) is shown
    assert (q.correct_answer is not None) is shown


@pytest.mark.parametrize(("due", "now", "shown"), [
    ("2026-12-15", datetime(2026, 12, 15, 0, 0, 1, tzinfo=timezone.utc), True),
    ("2026-12-15T12:00:00+02:00", datetime(2026, 12, 15, 10, 30, tzinfo=timezone.utc), True),
    ("2026-12-15T12:00:00+02:00", datetime(2026, 12, 15, 9, 30, tzinfo=timezone.utc), False),
])
def test_due_dates_with_and_without_zones(due, now, shown):
    assert reveal_answers("after_due", due, now) is shown
    assert reveal_answers("always", due, now) is True
    assert reveal_answers("never", due, now) is False


def test_the_clock_defaults_to_now():
    assert reveal_answers("after_due", "2000-01-01T00:00:00Z") is True
    assert reveal_answers("after_due", "2999-01-01T00:00:00Z") is False


# ---------------------------------------------------------------- bad sheets: clear messages, never a crash


def _messages(result) -> list[str]:
    return [q.message for q in result.questions]


def test_broken_yaml(tmp_path):
    path = write_sheet(tmp_path, "ada", {"fair_die": "entropy: 2.585"})
    result = grade(tmp_path)
    assert all(q.status is Status.ERROR and q.score == 0 for q in result.questions)
    assert result.questions[0].message == (f"not graded: quiz.yaml:{line_of(path, 'fair_die')}:20: invalid YAML: "
                                           "mapping values are not allowed in this context; a colon and a space "
                                           "inside an answer start a new key: put the answer in quotes or, for an "
                                           "answer in words, write it as a block (the question id, ': |', then the "
                                           "lines indented below it); fix the file and check again")
    assert result.message.endswith("The exercises were graded as usual.")


def test_missing_sheet(tmp_path):
    result = grade(tmp_path, "ada")
    assert result.questions[0].message == ("not graded: quiz.yaml is missing from the submission; ask for your "
                                           "sheet (grader build --student ID) and answer in it")
    assert result.max_score == 20 and result.score == 0


def test_unknown_and_missing_question_ids(tmp_path):
    path = write_sheet(tmp_path, "ada", {"fair_die": "2.585"})
    path.write_text(path.read_text().replace("  fair_die: 2.585", "  fair_dice: 2.585"))
    result = grade(tmp_path)
    block = next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line == "information_theory:")
    assert (f"quiz.yaml:{line_of(path, 'fair_dice')}: unknown question id 'fair_dice'; did you mean fair_die?; "
            "it was not graded") in result.message.splitlines()
    die = question(result, "fair_die")
    assert die.status is Status.ERROR
    assert die.message == (f"quiz.yaml:{block}: question fair_die is missing from the sheet; add the line "
                           "'  fair_die: <your answer>' under information_theory:")


def test_text_where_a_number_is_expected(tmp_path):
    path = write_sheet(tmp_path, "ada", {"fair_die": "about two and a half"})
    q = question(grade(tmp_path), "fair_die")
    assert (q.status, q.score, q.answer) == (Status.ERROR, 0.0, "about two and a half")
    assert q.message == (f"quiz.yaml:{line_of(path, 'fair_die')}: 'about two and a half' is not a number; write a "
                         "number such as 1.234 or '1.234 bits'")


def test_a_choice_that_does_not_exist(tmp_path):
    path = write_sheet(tmp_path, "ada", {"log_units": "log3", "kl_in_training": "[vae, lora]"})
    result = grade(tmp_path)
    assert question(result, "log_units").message == (
        f"quiz.yaml:{line_of(path, 'log_units')}: 'log3' is not one of the choices; write a choice id "
        "(log2, ln, log10, none) or a choice's full text")
    assert question(result, "kl_in_training").message.startswith(
        f"quiz.yaml:{line_of(path, 'kl_in_training')}: 'lora' is not among the choices")


def test_a_sheet_built_for_another_student(tmp_path):
    write_sheet(tmp_path, "alice", {"fair_die": "2.585"}, built_for="bob")
    result = grade(tmp_path, "alice")
    assert all(q.status is Status.ERROR for q in result.questions)
    assert result.score == 0
    assert result.questions[0].message.startswith(
        "not graded: quiz.yaml:12: this sheet was built for student bob, but it is graded as alice")
    # with no --student, the sheet's own id is used, and it grades
    assert question(grade(tmp_path), "fair_die").status is Status.PASSED


@pytest.mark.parametrize(("content", "words"), [
    (b"\xff\xfe not utf-8", "quiz.yaml:1: is not valid UTF-8 text"),
    (b"", "quiz.yaml:1: is empty"),
    (b"- a\n- b\n", "quiz.yaml:1: should hold 'student:' and one block of answers per quiz"),
    (b"a: [" + b"[" * 5000, "quiz.yaml:"),
    (b"x" * 300_000, "quiz.yaml:1: is larger than 256 KB"),
    (b"student: ada\n---\nstudent: bob\n", "invalid YAML"),
], ids=["not-utf8", "empty", "a-list", "deep", "huge", "two-documents"])
def test_unusable_sheets(tmp_path, content, words):
    (tmp_path / "quiz.yaml").write_bytes(content)
    result = grade(tmp_path, "ada")
    assert all(q.status is Status.ERROR for q in result.questions)
    assert words in result.questions[0].message


def test_a_symlinked_sheet_is_not_followed(tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("student: ada\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "quiz.yaml").symlink_to(secret)
    result = grade(tmp_path / "sub", "ada")
    assert result.questions[0].message == ("not graded: quiz.yaml:1: is a symbolic link; the answer sheet must be a "
                                           "plain file")


def test_answer_shapes_and_repeats(tmp_path):
    path = write_sheet(tmp_path, "ada", {"fair_die": "{value: 2.585}", "log_units": "[ln, log2]",
                                         "surprise_certain": "[false]"})
    text = path.read_text() + "  log_units: ln\n"
    path.write_text(text.replace("  kl_in_training:\n", "  kl_in_training: [[vae]]\n"))
    result = grade(tmp_path)
    assert "this answer is a mapping" in question(result, "fair_die").message
    assert "is answered more than once (lines" in question(result, "log_units").message
    assert "this question takes one answer, not a list" in question(result, "surprise_certain").message
    assert "may only hold choice ids or texts" in question(result, "kl_in_training").message


def test_a_misspelt_quiz_block(tmp_path):
    path = write_sheet(tmp_path, "ada", {"fair_die": "2.585"})
    path.write_text(path.read_text().replace("information_theory:", "information_theroy:"))
    result = grade(tmp_path)
    assert any("unknown key 'information_theroy'; did you mean information_theory?" in m
               for m in result.message.splitlines())
    assert all(q.status is Status.ERROR for q in result.questions)


def test_blank_answers_fail_without_blame(tmp_path):
    path = write_sheet(tmp_path, "ada", {"fair_die": '""'})
    result = grade(tmp_path)
    q = question(result, "fair_die")
    assert (q.status, q.message) == (Status.FAILED, f"quiz.yaml:{line_of(path, 'fair_die')}: no answer yet")
    assert question(result, "log_units").message.endswith("no answer yet")


# ---------------------------------------------------------------- student mode: readability only


def test_student_mode_checks_readability_and_grades_nothing(tmp_path):
    public = tuple(quiz_from_public(public_quiz(q), course().title) for q in course().quizzes)
    write_sheet(tmp_path, "ada", {"fair_die": "1.79 nats", "log_units": "log2", "kl_in_training": "vae, lora",
                                  "surprise_certain": "true"})
    result = grade(tmp_path, quizzes=public)
    assert (result.score, result.max_score) == (0.0, 0.0)
    assert result.message.splitlines()[:2] == [
        "checked for readability only: the quiz is graded by your instructor", "3 of 17 answers can be read"]
    assert question(result, "fair_die").message == "readable: 1.79 nats"
    assert question(result, "log_units").message == "readable: [log2]"  # wrong, but not judged here
    assert question(result, "kl_in_training").status is Status.ERROR
    assert all(q.correct_answer is None and q.intuition is None for q in result.questions)


def test_the_public_quiz_carries_no_answers():
    data = public_quiz(quiz())

    def keys(value):
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    assert keys(data) == {"id", "title", "points", "questions", "type", "unit", "choices", "text"}
    for q in data["questions"]:
        assert [c["id"] for c in q["choices"]] == sorted(c["id"] for c in q["choices"])


def test_results_round_trip_through_json(tmp_path):
    from grader.record import GradeResult

    write_sheet(tmp_path, "ada", {"fair_die": "2.4", "terms": "[bit]"})
    q = grade(tmp_path)
    record = GradeResult(course="c", student="ada", mode="course", score=q.score, max_score=q.max_score,
                         pass_threshold=0.6, passed=False, exercises=[], quizzes=[q])
    again = GradeResult.from_dict(__import__("json").loads(record.to_json()))
    assert again.quizzes[0] == q


def test_folder_name_is_the_last_resort_for_the_id(tmp_path):
    folder = tmp_path / "alice"
    write_sheet(folder, "alice", {"coin_entropy": f"{answer_of('coin_entropy', 'alice'):.3f}"})
    sheet = folder / "quiz.yaml"
    sheet.write_text(sheet.read_text().replace('student: "alice"\n', ""))
    result = grade(folder)
    assert result.message.splitlines()[0] == "graded as student 'alice'"
    assert question(result, "coin_entropy").status is Status.PASSED


def test_after_due_says_when_answers_appear(tmp_path):
    write_sheet(tmp_path, "ada", {"fair_die": "2.4"})
    result = grade(tmp_path, reveal="after_due", due="2026-12-15T23:59:00Z",
                   now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert "correct answers are shown after the due date, 2026-12-15T23:59:00Z" in result.message.splitlines()


def test_a_flood_of_unknown_keys_and_a_huge_answer_stay_small(tmp_path):
    path = write_sheet(tmp_path, "ada", {"fair_die": "9" * 5000})
    path.write_text(path.read_text() + "".join(f"  extra_{i}: 1\n" for i in range(500)))
    result = grade(tmp_path)
    assert len(result.message.splitlines()) <= 21
    assert result.message.splitlines()[-1] == "... and 481 more notes"
    assert len(question(result, "fair_die").answer) == 200


def test_grade_submission_adds_the_quiz_to_the_total_and_passes_now_through(tmp_path):
    from grader.judge.grade import Plan, grade_submission

    quiz_only = dataclasses.replace(course(), exercises=(), reveal="after_due", due="2026-06-01")
    plan = Plan.build(quiz_only, "course", {})
    write_sheet(tmp_path, "ada", {"fair_die": "2.4", "log_units": "ln", "terms": "[bit, logits, softmax]"})
    before = grade_submission(plan, tmp_path, sandbox=None, student="ada",  # type: ignore[arg-type]
                              now=datetime(2026, 5, 1, tzinfo=timezone.utc))
    after = grade_submission(plan, tmp_path, sandbox=None, student="ada",  # type: ignore[arg-type]
                             now=datetime(2026, 7, 1, tzinfo=timezone.utc))
    assert (before.score, before.max_score) == (pytest.approx(2.2), 20.0)
    assert before.passed is False and before.quizzes[0].id == "information_theory"
    assert question(before.quizzes[0], "fair_die").correct_answer is None
    assert question(after.quizzes[0], "fair_die").correct_answer == pytest.approx(2.584963)


def test_the_sheet_header_gives_no_answer_away(tmp_path):
    """Every example answer in the sheet's header, put under every question, is never right.

    The header also says that a true/false question takes ``true`` or ``false``: that is the
    vocabulary of the answer, not an example value, so it is not tried here.
    """
    from grader.spec.quiz.sheet import EXAMPLE_KEY, EXAMPLES, build_sheet

    header = build_sheet(course().quizzes, course().title, "ada").split("\nstudent:")[0]
    shown = [ex for ex in EXAMPLES.values() if ex in header]
    assert len(shown) == len(EXAMPLES) and f"{EXAMPLE_KEY}:" in header
    assert all(q.id != EXAMPLE_KEY for q in quiz().questions)
    tried = 0
    for example in shown:
        folder = tmp_path / example.replace(" ", "_").strip("[]").replace(", ", "-")
        write_sheet(folder, "ada", {q.id: example for q in quiz().questions})
        result = grade(folder, "ada")
        for qq in result.questions:
            tried += 1
            assert qq.score == 0, f"the header's example {example!r} scores on {qq.id}: {qq.message}"
    assert tried == len(EXAMPLES) * len(quiz().questions)
