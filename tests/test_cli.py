"""The command line, asserting the exact words a user sees."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from grader.cli import cli
from grader.record import GradeResult
from grader.spec.yamlspec import schema

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one
SCENARIOS = ROOT / "tests" / "scenarios"


def score_line(lines: list[str]) -> str:
    """The text report's score line (the foot under it names the runner, its confinement and what graded it)."""
    return next(line for line in lines if line.startswith("Score: "))


def run(*args: str, cwd: Path | None = None):
    old = Path.cwd()
    try:
        if cwd:
            os.chdir(cwd)
        return CliRunner().invoke(cli, list(args))
    finally:
        os.chdir(old)


def test_check_a_correct_submission():
    result = run("check", str(SCENARIOS / "correct-numpy" / "submission"), "--course", str(COURSE))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Fundamentals of Information Theory · submission"
    assert "Exercise 1: entropy of three distributions (entropy.py)  10/10" in lines
    assert "  ✓ entropy()  7/7 checks passed" in lines
    assert "  ✓ best_q1()  2/2 checks passed" in lines
    assert score_line(lines) == "Score: 30/50 (60%) · 31 of 31 checks passed"  # the quiz sheet is missing
    assert lines[-1].startswith("Graded by infotheory-grader ")  # what graded it, at the foot
    assert lines[-2].startswith("Runner: confined · Confinement: ")  # the runner and the kernel layers


def test_check_explains_a_wrong_answer():
    result = run("check", str(SCENARIOS / "mistake-natural-log" / "submission"), "--course", str(COURSE))
    assert result.exit_code == 0
    assert ("    ✗ four-sided die [natural-log]\n"
            "        input     entropy([0.25, 0.25, 0.25, 0.25])\n"
            "        expected  2\n"
            "        got       1.38629\n"
            "        off by    0.613706 (relative 0.306853)\n"
            "        allowed   2e-05 = max(1e-06, 1e-05 × |expected|)\n") in result.output
    assert "    Likely mistake: natural-log\n" in result.output


def test_missing_folder():
    result = run("check", "no-such-folder", "--course", str(COURSE))
    assert result.exit_code == 4
    assert result.output == ("Error: no-such-folder is not a folder\n"
                             "Pass the folder that holds entropy.py and the other files.\n")


def test_no_course_found(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    result = run("check", "sub", cwd=tmp_path)
    assert result.exit_code == 4
    assert result.output == (
        "Error: no course found: there is no course.yaml here or above, and no student folder\n"
        "Run inside the course repository, pass --course DIR, or check a folder made by 'grader build'.\n")


def test_build_after_init_ci_tells_the_student_to_install_the_copy_there_and_that_command_works(tmp_path: Path):
    out = tmp_path / "student"
    assert run("build", "--course", str(COURSE), "--out", str(out)).exit_code == 0
    assert run("init-ci", str(out)).exit_code == 0
    result = run("build", "--course", str(COURSE), "--out", str(out), "--force")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [f"A student then runs, in {out}:",
                                              "  python3 -m pip install ./.grader/grader-src", "  grader check ."]
    # the line as printed (no dependencies fetched, into a folder of its own), then the check with that copy
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "./.grader/grader-src", "--no-deps",
                           "--quiet", "--target", str(site)],
                          cwd=out, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    checked = subprocess.run([sys.executable, "-m", "grader", "check", "."], cwd=out, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(site)}, timeout=300)
    assert checked.returncode == 0, checked.stderr
    assert str(site) in subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"],
                                       env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True,
                                       text=True, cwd=out).stdout
    assert "\nScore: 0/12.5 (0%) · 0 of 13 checks passed" in checked.stdout  # the public checks, from the copy


def test_unknown_format_is_a_usage_error():
    result = run("check", ".", "--format", "pdf")
    assert result.exit_code == 2
    assert "Invalid value for '--format': 'pdf' is not one of" in result.output


def test_build_then_check_the_untouched_stubs(tmp_path: Path):
    out = tmp_path / "student"
    result = run("build", "--course", str(COURSE), "--out", str(out))
    assert result.exit_code == 0, result.output
    # no install line for the student: the folder holds no copy of the grader yet (grader init-ci vendors it)
    assert result.output == (f"Wrote 5 files to {out}.\nA student with the grader installed then runs, in {out}:\n"
                             "  grader check .\n"
                             f"The folder holds no copy of the grader to install: grader init-ci {out} adds one "
                             "(./.grader/grader-src, the grader without the course),\n"
                             "which a student installs with: python3 -m pip install ./.grader/grader-src\n")
    assert sorted(p.name for p in out.iterdir()) == [
        ".grader", "cross_entropy.py", "entropy.py", "kl_sweep.py", "quiz.yaml"]
    stub = (out / "entropy.py").read_text()
    assert "def entropy(probs):" in stub and 'raise NotImplementedError("Write entropy()")' in stub
    # A student folder has no course.yaml above it: grade from the public bundle.
    checked = run("check", ".", cwd=out)
    assert checked.exit_code == 0, checked.output
    assert "  ! entropy()  not implemented yet: 3 checks" in checked.output  # one line, not a block per case
    assert "raises NotImplementedError" not in checked.output
    assert score_line(checked.output.splitlines()) == "Score: 0/12.5 (0%) · 0 of 13 checks passed · public checks only"


def ex_cases(exercise: str):
    from grader.spec.course import load_course

    return next(ex for ex in load_course(COURSE).exercises if ex.id == exercise).cases


def test_student_folder_holds_nothing_hidden(tmp_path: Path):
    out = tmp_path / "student"
    assert run("build", "--course", str(COURSE), "--out", str(out)).exit_code == 0
    everything = "\n".join(p.read_text() for p in out.rglob("*") if p.is_file())
    for hidden in ("an impossible outcome", "most uncertain comes last", "zeros in P and in Q", "91 values"):
        assert hidden not in everything
    assert "0.5, 0.0, 0.25, 0.25, 0.0" not in everything  # a hidden input
    bundle = json.loads((out / ".grader" / "public.json").read_text())
    assert "reference" not in bundle
    # Each known mistake's answers are on exactly the public cases: on a hidden case they would give its answer away.
    for ex in bundle["exercises"]:
        public = [c["index"] for c in ex["cases"]]
        assert [c.index for c in ex_cases(ex["id"]) if c.visibility == "public"] == public
        for mistake in ex["misconceptions"]:
            assert [i for i, _, _ in mistake["outputs"]] == public, (ex["id"], mistake["id"])


def test_the_student_bundle_holds_the_public_cases_and_nothing_else(tmp_path: Path):
    """The whole of what a student folder says about the mini course's cases and known mistakes, written by hand:
    the known mistakes' answers on the hidden cases (from which the hidden expected values follow) stay out."""
    import math

    out = tmp_path / "student"
    assert run("build", "--course", str(ROOT / "tests" / "fixtures" / "mini"), "--out", str(out)).exit_code == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        ".grader", ".grader/public.json", "quiz.yaml", "surprise.py"]
    [exercise] = json.loads((out / ".grader" / "public.json").read_text())["exercises"]
    assert exercise["cases"] == [
        {"index": 0, "name": "a fair coin", "function": "surprise", "args": [0.5], "points": 1.0, "expected": 1.0,
         "as_array": False},
        {"index": 2, "name": "two coins", "function": "total_surprise", "args": [[0.5, 0.5]], "points": 1.0,
         "expected": 2.0, "as_array": False},
    ]
    assert [(m["id"], m["roots"], m["outputs"], m["crash"]) for m in exercise["misconceptions"]] == [
        ("natural-log", ["surprise"], [[0, True, math.log(2)], [2, True, 2 * math.log(2)]], []),
        ("missing-minus-sign", ["total_surprise"], [[0, True, 1.0], [2, True, -2.0]], []),
    ]


def test_a_student_checks_a_correct_solution_locally(tmp_path: Path):
    out = tmp_path / "student"
    assert run("build", "--course", str(COURSE), "--out", str(out)).exit_code == 0
    for f in ("entropy.py", "cross_entropy.py", "kl_sweep.py"):
        (out / f).write_text((SCENARIOS / "correct-math" / "submission" / f).read_text())
    checked = run("check", str(out), cwd=tmp_path)
    assert score_line(checked.output.splitlines()) == \
        "Score: 12.5/12.5 (100%) · 13 of 13 checks passed · public checks only"


def test_build_refuses_to_overwrite_work(tmp_path: Path):
    out = tmp_path / "student"
    out.mkdir()
    (out / "entropy.py").write_text("# my work\n")
    result = run("build", "--course", str(COURSE), "--out", str(out))
    assert result.exit_code == 4
    assert result.output == (f"Error: {out} already has entropy.py; building would overwrite the student's work\n"
                             "Choose an empty folder, or pass --force to replace the stubs.\n")
    assert (out / "entropy.py").read_text() == "# my work\n"


@pytest.mark.parametrize(("scenario", "named"), [
    ("correct-numpy", set()), ("broken-nan", set()), ("hostile-lying-objects", set()), ("untouched-stubs", set()),
    ("mistake-natural-log", {("entropy", "natural-log")}),
])
def test_json_follows_the_published_schema(scenario: str, named: set[tuple[str, str]], tmp_path: Path):
    out = tmp_path / "result.json"
    result = run("check", str(SCENARIOS / scenario / "submission"), "--course", str(COURSE),
                 "--format", "json", "--output", str(out))
    assert result.exit_code == 0
    assert result.output == ""
    data = json.loads(out.read_text())
    errors = list(Draft202012Validator(schema("result")).iter_errors(data))
    assert errors == []
    assert data["version"] == 1
    # the record reads back into itself, and names exactly the known mistakes the submission makes
    assert json.loads(GradeResult.from_dict(data).to_json()) == data
    assert {(ex["id"], c["misconception"]) for ex in data["exercises"] for c in ex["checks"]
            if c["misconception"] is not None} == named
    # and the schema is no formality: a status it does not know, or a record without its score, is refused
    check = data["exercises"][0]["checks"][0]
    broken = [{**data, "exercises": [{**data["exercises"][0], "checks": [{**check, "status": "ok"}]}]},
              {k: v for k, v in data.items() if k != "score"}]
    assert [[e.message for e in Draft202012Validator(schema("result")).iter_errors(b)] for b in broken] == [
        ["'ok' is not one of ['passed', 'failed', 'error', 'pending']"], ["'score' is a required property"]]


def test_python_dash_m_grader_works():
    proc = subprocess.run([sys.executable, "-m", "grader", "validate"], cwd=COURSE, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].endswith("All valid.")


def test_python_dash_m_grader_check_ends_with_its_report(tmp_path):
    # The console entry point ends the process at once after `check` (no interpreter teardown): the report
    # must still be complete on stdout, in a --output file, and the exit code must be the command's.
    submission = ROOT / "tests" / "scenarios" / "correct-numpy" / "submission"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(submission), "--course", str(COURSE)],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Fundamentals of Information Theory") and "Graded by infotheory-grader" in proc.stdout
    out = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(submission), "--course", str(COURSE),
                           "--format", "json", "--output", str(out)], cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads(out.read_text())["max_score"] > 0
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(tmp_path / "missing"), "--course", str(COURSE)],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    # the whole of stderr: the fork server started early must not add its BrokenPipeError traceback
    assert proc.returncode == 4 and proc.stderr == (f"Error: {tmp_path / 'missing'} is not a folder\n"
                                                    "Pass the folder that holds entropy.py and the other files.\n")


@pytest.mark.parametrize(("command", "output", "what"), [
    ("check", "entropy.py", "code"),
    ("ci", "../entropy.ipynb", "code"),
    ("check", "SUBMISSION/quiz.yaml", "a file the grader reads"),
], ids=["py", "ipynb", "quiz-sheet"])
def test_a_report_never_replaces_code_or_the_quiz_sheet(tmp_path, command, output, what):
    """`--output entropy.py` destroyed the student's work, and the next check imported the report."""
    submission = tmp_path / "submission"
    shutil.copytree(SCENARIOS / "correct-math" / "submission", submission)
    before = {p.name: p.read_bytes() for p in submission.iterdir()}
    target = Path(output.replace("SUBMISSION", str(submission)))
    result = CliRunner().invoke(cli, [command, str(submission), "--course", str(COURSE), "--output", str(target)])
    assert result.exit_code == 2 and result.output == (
        f"Error: --output {target} would replace {what}\n"
        "Write the report to a file of its own, e.g. --output report.html.\n")
    assert {p.name: p.read_bytes() for p in submission.iterdir()} == before


def test_the_gradescope_export_is_written_only_to_a_zip(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("the course's own notes\n")
    result = CliRunner().invoke(cli, ["export", "gradescope", "--course", str(COURSE), "--out", str(readme)])
    assert result.exit_code == 2 and result.output == (
        f"Error: --out {readme}: the autograder is a zip file, so its name ends in .zip\n"
        "Pass e.g. --out autograder.zip.\n")
    assert readme.read_text() == "the course's own notes\n"


@pytest.mark.parametrize(("text", "line", "error"), [
    ("{% for x in %}\n", 1, "TemplateSyntaxError: Expected an expression, got 'end of statement block'"),
    ("line one\n{{ no_such_var.x }}\n", 2, "UndefinedError: 'no_such_var' is undefined"),
], ids=["syntax", "undefined"])
def test_a_broken_override_template_is_the_users_error_at_its_line(tmp_path, text, line, error):
    """It said the grader itself had crashed (a bug to report); it is the --templates folder's file and line."""
    (tmp_path / "report.md.j2").write_text(text)
    submission = SCENARIOS / "correct-math" / "submission"
    for command in ("check", "ci"):
        result = CliRunner().invoke(cli, [command, str(submission), "--course", str(COURSE), "--format", "md",
                                          "--templates", str(tmp_path)], env={"GITHUB_ACTIONS": ""})
        assert result.exit_code == 4, result.output
        assert result.output.endswith(f"Error: {tmp_path / 'report.md.j2'}:{line}: {error}\n"
                                      f"Fix the template in {tmp_path}, or remove it there to use the built-in "
                                      "one.\n"), result.output


def test_a_symbolic_link_is_not_followed_and_the_report_says_so(tmp_path):
    """A link could point at the reference; it is skipped, and the student reads why the file counts as missing."""
    submission = tmp_path / "submission"
    shutil.copytree(SCENARIOS / "correct-math" / "submission", submission)
    (submission / "entropy.py").unlink()
    (submission / "entropy.py").symlink_to(COURSE / "reference" / "entropy.py")
    result = CliRunner().invoke(cli, ["check", str(submission), "--course", str(COURSE)])
    assert result.exit_code == 0, result.output
    assert ("Exercise 1: entropy of three distributions (entropy.py)  0/10\n"
            "  note: entropy.py is a symbolic link, which the grader does not follow: submit the file itself\n"
            "  ! entropy.py is missing from the submission\n") in result.output
