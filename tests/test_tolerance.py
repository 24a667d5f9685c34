"""What tolerance.compare says about a wrong answer, whole: every report shows its message and details.

The figures are worked out by hand beside each case (the mutation run of docs/mutation.md found the message and
details of arrays, and of two-dimensional ones in particular, asserted nowhere).
"""

from __future__ import annotations

import json

from grader.spec.tolerance import Tolerance, compare, fmt, half_unit

TOL = Tolerance(rtol=1e-5, atol=1e-6)
ALLOWED = {"tolerance": "max(1e-06, 1e-05 × |expected|)", "rtol": 1e-05, "atol": 1e-06}


def test_a_wrong_float_says_how_far_and_what_was_allowed():
    # |1.5 - 2| = 0.5, relative 0.5 / 2 = 0.25, allowed max(1e-6, 1e-5 × 2) = 2e-5
    out = compare(2.0, 1.5, "float", TOL)
    assert (out.ok, out.message) == (False, "expected 2, got 1.5 (off by 0.5, relative 0.25; allowed 2e-05)")
    assert out.details == {**ALLOWED, "expected": 2.0, "got": 1.5, "abs_diff": 0.5, "rel_diff": 0.25}


def test_a_wrong_int_is_named_with_both_values():
    out = compare(3, 2, "int", TOL)
    assert (out.ok, out.message, out.details) == (False, "expected 3, got 2", {"expected": 3, "got": 2})


def test_a_two_dimensional_answer_names_its_worst_element_and_its_first_nan():
    # [[1, 2], [3, 4]] against [[1, nan], [3.5, 4]]: (0, 1) is nan, (1, 0) is off by 0.5 (relative 0.5 / 3)
    out = compare([[1.0, 2.0], [3.0, 4.0]], [[1.0, float("nan")], [3.5, 4.0]], "array", TOL)
    assert (out.ok, out.message) == (False, "2 of 4 elements differ; max absolute difference 0.5, max relative "
                                            "difference 0.166667; worst at index [1, 0]; first nan at index [0, 1]")
    assert json.dumps(out.details) == json.dumps({
        **ALLOWED, "mismatched": 2, "total": 4, "worst_index": [1, 0], "max_abs_diff": 0.5, "max_rel_diff": 0.5 / 3,
        "rows": [{"index": [0, 1], "got": float("nan"), "expected": 2.0},
                 {"index": [1, 0], "got": 3.5, "expected": 3.0}],
        "worst_rel_diff": 0.5 / 3, "first_nonfinite": {"index": [0, 1], "value": "nan"}})


def test_a_wrong_shape_gives_both_shapes():
    out = compare([1.0, 2.0, 3.0], [[1.0, 2.0, 3.0]], "array", TOL)
    assert (out.ok, out.message, out.details) == (
        False, "wrong shape: expected an array of shape (3,), got shape (1, 3)",
        {"expected_shape": [3], "got_shape": [1, 3]})


def test_a_negative_zero_prints_as_zero():
    assert [fmt(-0.0), fmt(0.0), fmt(-0.5)] == ["0", "0", "-0.5"]


def test_half_a_unit_of_the_last_written_decimal():
    # 3.596 is written to the thousandth: half of 0.001; whole numbers, booleans and infinities pin nothing
    assert [half_unit(3.596), half_unit([2.5, 3.596]), half_unit(3), half_unit(True), half_unit(float("inf"))] == [
        0.0005, 0.0005, 0.0, 0.0, 0.0]


def test_an_expected_one_still_gets_its_relative_difference():
    # |1.5 - 1| = 0.5, relative 0.5 / 1: a division by the expected value, which is not 0
    assert compare(1.0, 1.5, "float", TOL).message == "expected 1, got 1.5 (off by 0.5, relative 0.5; allowed 1e-05)"
