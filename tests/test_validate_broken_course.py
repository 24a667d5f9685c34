"""``grader validate`` run on a broken copy of the course, as its author runs it: what it refuses, what it warns
about, and the exact words. Each of these passed validate before and caused wrong grades or bad feedback later."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml
from click.testing import CliRunner

import grader.spec
from grader.cli import cli

SCHEMAS = Path(grader.spec.__file__).resolve().parent / "schemas"


def _validate(course: Path, *args: str):
    return CliRunner().invoke(cli, ["validate", "--course", str(course), *args])


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _true_modelines(course: Path) -> None:
    """The copy's modelines pointed where the bundled course's do (tests/fixtures/README.md); here, the
    paths that work from the copy, so that only what a test breaks is warned about."""
    for path in [course / "course.yaml", *sorted((course / "exercises").glob("*.yaml"))]:
        lines = path.read_text().splitlines(keepends=True)
        kind = "course" if path.name == "course.yaml" else "quiz" if "kind: quiz" in path.read_text() else "exercise"
        right = Path(os.path.relpath(SCHEMAS / f"{kind}.schema.json", path.parent)).as_posix()
        lines[0] = re.sub(r"\$schema=\S+", f"$schema={right}", lines[0])
        path.write_text("".join(lines))


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_reference_returning_nan_or_inf_on_an_unpinned_case_is_refused_at_its_line(course_copy):
    ref = course_copy / "reference" / "entropy.py"
    _edit(ref, "    p = p[p > 0]", "    if len(p) == 12:\n        return float('nan')\n    p = p[p > 0]")
    kl = course_copy / "reference" / "kl_sweep.py"
    _edit(kl, "    return np.array([kl_divergence(p, sweep_distribution(q1)) for q1 in q1_values])",
          "    out = np.array([kl_divergence(p, sweep_distribution(q1)) for q1 in q1_values])\n"
          "    out[1:] = np.inf if len(out) == 19 else out[1:]\n    return out")
    result = _validate(course_copy)
    assert result.exit_code == 3, result.output
    spec = course_copy / "exercises" / "entropy.yaml"
    kl_spec = course_copy / "exercises" / "kl_sweep.yaml"
    assert result.output.splitlines() == [
        "reference/entropy.py:6:1: the reference's entropy() returns nan on case 'random, 12 outcomes with zeros' "
        f"(exercises/entropy.yaml:{_line(spec, 'random, 12 outcomes with zeros')}): no student answer can match it; "
        "fix the reference or the case, or, if that is the intended answer, write nan: expected on the case",
        "reference/kl_sweep.py:16:1: the reference's kl_sweep() returns inf at index 1 on case "
        "'P = [0.2, 0.6, 0.2], 19 values of q1' "
        f"(exercises/kl_sweep.yaml:{_line(kl_spec, '19 values of q1')}): no student answer can match it; "
        "fix the reference or the case, or, if that is the intended answer, write nan: expected on the case",
        "Error: the course does not validate (2 problems)",
    ]


def test_nan_expected_on_the_case_accepts_it_and_a_nan_answer_then_scores(course_copy, tmp_path):
    ref = course_copy / "reference" / "entropy.py"
    _edit(ref, "    p = p[p > 0]", "    if len(p) == 12:\n        return float('nan')\n    p = p[p > 0]")
    _edit(course_copy / "exercises" / "entropy.yaml", "input: array, visibility: hidden, points: 1}",
          "input: array, visibility: hidden, nan: expected, points: 1}")
    assert _validate(course_copy).exit_code == 0
    submission = tmp_path / "sub"
    submission.mkdir()
    (submission / "entropy.py").write_text(ref.read_text())
    checked = CliRunner().invoke(cli, ["check", str(submission), "--course", str(course_copy), "--format", "json"])
    import json

    checks = {c["name"]: c for c in json.loads(checked.output)["exercises"][0]["checks"]}
    assert checks["entropy: random, 12 outcomes with zeros"]["status"] == "passed"


def test_a_reference_returning_none_is_named_by_function_and_case_at_its_def(course_copy):
    _edit(course_copy / "reference" / "entropy.py", "    p = p[p > 0]",
          "    if len(p) == 9:\n        return None\n    p = p[p > 0]")
    result = _validate(course_copy)
    assert result.exit_code == 3
    line = _line(course_copy / "exercises" / "entropy.yaml", "random, 9 outcomes")
    assert result.output.splitlines()[0] == (
        "reference/entropy.py:6:1: the reference's entropy() returned None on case "
        f"'random, 9 outcomes with near-zero entries' (exercises/entropy.yaml:{line}): expected a number, got None "
        "(did the function forget to return?); fix the reference, or the function's returns: (float) in "
        "exercises/entropy.yaml")


def test_todos_left_by_grader_new_are_named_and_strict_refuses_them(course_copy):
    _true_modelines(course_copy)
    assert CliRunner().invoke(cli, ["new", "exercise", "perplexity", "--course", str(course_copy)]).exit_code == 0
    (course_copy / "reference" / "perplexity.py").write_text(
        "import numpy as np\n\n\ndef perplexity(probs):\n    p = np.asarray(probs, dtype=float)\n"
        "    p = p[p > 0]\n    return float(2 ** -np.sum(p * np.log2(p)))\n")
    result = _validate(course_copy)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "Warning: exercises/perplexity.yaml:6:12: intuition still says TODO ('TODO: say in two sentences what a "
        "student should understand after t...'): students would read it; write the real text",
        "Warning: exercises/perplexity.yaml:14:10: functions.perplexity.doc still says TODO ('TODO: what "
        "perplexity() returns, in which unit, and what its argume...'): students would read it; write the real text",
        "Warning: exercises/perplexity.yaml:16:16: functions.perplexity.intuition still says TODO ('TODO: the idea a "
        "student who gets perplexity() wrong has missed.'): students would read it; write the real text",
    ]
    strict = _validate(course_copy, "--strict")
    assert strict.exit_code == 3
    assert strict.output.splitlines()[-2:] == [
        "Error: the course does not validate (3 problems)",
        "--strict refuses warnings; without it they are printed and the course is used."]


def test_a_wrong_schema_modeline_is_named_with_the_path_that_works(course_copy):
    _true_modelines(course_copy)
    spec = course_copy / "exercises" / "entropy.yaml"
    right = Path(os.path.relpath(SCHEMAS / "exercise.schema.json", spec.parent)).as_posix()
    _edit(spec, f"$schema={right}", "$schema=../grader/schemas/exercise.schema.json")
    result = _validate(course_copy)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "Warning: exercises/entropy.yaml:1:33: the schema modeline points at "
        "../grader/schemas/exercise.schema.json, which does not exist: "
        f"write $schema={right} so that an editor checks it as you type"]
    _edit(spec, "$schema=../grader/schemas/exercise.schema.json",
          f"$schema={right.replace('exercise.schema', 'quiz.schema')}")
    assert _validate(course_copy).stderr.splitlines() == [
        "Warning: exercises/entropy.yaml:1:33: the schema modeline points at quiz.schema.json, but this is an "
        f"exercise file: write $schema={right} so that an editor checks it as you type"]


def test_an_exponent_without_a_dot_reads_as_text_and_the_message_says_how_to_write_it(course_copy):
    _edit(course_copy / "course.yaml", "rtol: 1.0e-5", "rtol: 1e-5")
    result = _validate(course_copy)
    assert result.exit_code == 3
    line = _line(course_copy / "course.yaml", "rtol: 1e-5")
    assert result.output.splitlines()[0] == (
        f"course.yaml:{line}:11: defaults.tolerance.rtol: expected number, got string '1e-5'; YAML reads 1e-5 as "
        "text, not a number (a YAML float needs a dot, and a sign after e): write 1.0e-5")
    assert yaml.safe_load("x: 1.0e-5")["x"] == 1e-5  # the advice is right


def test_one_misconception_and_one_invariant_read_in_the_singular(course_copy):
    spec = course_copy / "exercises" / "entropy.yaml"
    data = yaml.safe_load(spec.read_text())
    data["misconceptions"] = data["misconceptions"][:1]
    data["invariants"] = data["invariants"][:1]
    spec.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    result = _validate(course_copy)
    assert result.exit_code == 0, result.output
    note = result.stdout.splitlines()[1]
    assert note == ("  entropy: 1 misconception, told apart by its 10 cases; 1 invariant holds for the reference "
                    "and also catches natural-log; no generic relation fires on it or on the reference"), note


def test_a_reference_that_raises_on_every_case_is_said_once_with_the_count(course_copy):
    """sweep_distribution() raises: so do kl_sweep() and best_q1(), which call it, on each of their cases."""
    spec = course_copy / "exercises" / "kl_sweep.yaml"
    _edit(course_copy / "reference" / "kl_sweep.py", "def sweep_distribution(q1):\n",
          "def sweep_distribution(q1):\n    raise ValueError('not yet')\n")
    result = _validate(course_copy)
    assert result.exit_code == 3
    cases = [c for c in yaml.safe_load(spec.read_text())["cases"] if c["call"] != "kl_divergence"]
    first = _line(spec, f"name: {cases[0]['name']}, call: {cases[0]['call']}")
    assert result.output.splitlines() == [
        f"reference/kl_sweep.py:13:5: the reference's {cases[0]['call']}() raised on case {cases[0]['name']!r} "
        f"(exercises/kl_sweep.yaml:{first}): ValueError: not yet (in sweep_distribution: raise ValueError('not yet'));"
        f" fix the reference so that it returns a value for this input, or correct the case (and on {len(cases) - 1} "
        "other cases)",
        "Error: the course does not validate (1 problem)"]
