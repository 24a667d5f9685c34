"""Jupyter notebooks: submissions graded like files, messages pointing at cells, and the notebooks ``grader build`` writes.

The notebook scenarios themselves (tests/scenarios/notebook-*, written by tests/notebook_scenarios.py) are
graded by tests/course/test_scenarios.py; this file checks what the goldens do not pin: where messages point,
the notes, the errors for bad notebooks, the both-present rule, a 50 MB notebook, the round trip through
``grader build --notebook``, and that the built notebook runs in Jupyter (``jupyter nbconvert --execute``).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader.authoring.bundle import build, bundle_variants, course_from_bundle
from grader.cli import cli
from grader.judge.grade import Plan, grade_submission
from grader.record import GradeResult, Status
from grader.reports.formats.github import workflow_commands
from grader.reports.formats.junit import render_junit
from grader.sandbox import notebook as nbmod
from grader.sandbox.client import Sandbox
from grader.spec.course import load_course
from grader.spec.expected import reference_outputs

HERE = Path(__file__).parent
SCENARIOS = HERE / "scenarios"
CORRECT = SCENARIOS / "correct-numpy" / "submission"


@pytest.fixture(scope="module")
def course(course_root: Path):
    return load_course(course_root)


@pytest.fixture(scope="module")
def plan(course) -> Plan:
    return Plan.build(course, "course", reference_outputs(course))


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as sb:
        yield sb


def exercise(result: GradeResult, ex_id: str):
    return next(e for e in result.exercises if e.id == ex_id)


def tagged_cell(path: Path, tag: str) -> int:
    nb = nbformat.read(path, as_version=4)
    return next(i for i, c in enumerate(nb.cells, start=1) if tag in c.metadata.get("tags", []))


def write_notebook(path: Path, cells: list) -> Path:
    nbformat.write(new_notebook(cells=cells), path)
    return path


def correct_py(folder: Path, *modules: str) -> None:
    for module in modules:
        shutil.copy(CORRECT / f"{module}.py", folder / f"{module}.py")


# -- where messages point ------------------------------------------------------------------------------


def test_a_mistake_in_a_notebook_names_the_misconception_and_points_at_cell_and_line(plan, sandbox):
    sub = SCENARIOS / "notebook-mistake-natural-log" / "submission"
    result = grade_submission(plan, sub, sandbox)
    ex = exercise(result, "entropy")
    assert ex.file == "course.ipynb"
    cell = tagged_cell(sub / "course.ipynb", "entropy")
    wrong = [c for c in ex.checks if c.function == "entropy" and c.kind == "case"]
    assert {c.misconception for c in wrong} == {"natural-log"}
    assert {(c.file, c.cell, c.line) for c in wrong} == {("course.ipynb", cell, 1)}
    assert exercise(result, "kl_sweep").score == 10
    # JUnit and GitHub's annotations say the same; GitHub gets the notebook as file and no JSON line number
    assert f"at course.ipynb, cell {cell}, line 1" in render_junit(result)
    commands = "\n".join(workflow_commands(result, sub, sub))
    entropy_error = next(line for line in commands.splitlines() if line.startswith("::error") and "entropy()" in line)
    assert "file=course.ipynb" in entropy_error and ",line=" not in entropy_error
    assert f"at course.ipynb, cell {cell}, line 1" in entropy_error


def test_a_crash_points_at_its_cell_and_line_and_a_cell_needing_a_later_one_is_explained(plan, sandbox):
    result = grade_submission(plan, SCENARIOS / "notebook-out-of-order" / "submission", sandbox)
    check = exercise(result, "entropy").checks[0]
    assert (check.status, check.file, check.cell, check.line) == (Status.ERROR, "entropy.ipynb", 3, 1)
    assert check.message == (
        "the code cells of entropy.ipynb could not run: NameError: name 'uniform' is not defined "
        "(entropy.ipynb, cell 3, line 1). uniform is defined only in cell 4, further down: the notebook worked "
        "when that cell had run first, but the grader runs the cells from top to bottom. Move cell 4 above "
        "cell 3 and check with Kernel > Restart & Run All")


def test_a_syntax_error_points_at_its_cell_and_line(plan, sandbox, tmp_path):
    write_notebook(tmp_path / "entropy.ipynb", [
        new_markdown_cell("# mine"), new_code_cell("import numpy as np"),
        new_code_cell("def entropy(p):\n    return sum(p\n\ndef most_uncertain(d):\n    return 0")])
    correct_py(tmp_path, "cross_entropy", "kl_sweep")
    result = grade_submission(plan, tmp_path, sandbox)
    check = exercise(result, "entropy").checks[0]
    assert (check.file, check.cell) == ("entropy.ipynb", 3)
    assert check.line in (2, 4)  # where CPython reports the unclosed parenthesis depends on its version
    assert check.message.startswith("the code cells of entropy.ipynb could not run: SyntaxError")
    assert f"(entropy.ipynb, cell 3, line {check.line})" in check.message
    assert exercise(result, "cross_entropy").score == 10


# -- notes ---------------------------------------------------------------------------------------------


def test_magics_and_shell_lines_are_removed_with_notes(plan, sandbox):
    result = grade_submission(plan, SCENARIOS / "notebook-magics" / "submission", sandbox)
    ex = exercise(result, "entropy")
    assert ex.score == ex.max_score
    assert ex.notes == [
        "cell 2, line 1: removed `%matplotlib inline` (IPython magics and shell commands do not run in the grader)",
        "cell 2, line 2: removed `%load_ext autoreload` (IPython magics and shell commands do not run in the grader)",
        "cell 2, line 3: removed `!pip install numpy` (IPython magics and shell commands do not run in the grader)",
        "cell 2, line 5: removed `files = !ls` (IPython magics and shell commands do not run in the grader)",
        "cell 3, line 8: removed `%time entropy([0.5, 0.5])` (IPython magics and shell commands do not run in the grader)",
        "cell 4, line 1: removed `%%time`; the cell's code is graded",
        "cell 5: not graded, it is a `%%bash` cell (cell magics do not run in the grader)",
        "cell 6, line 5: removed `entropy?` (IPython magics and shell commands do not run in the grader)",
    ]


def test_a_duplicate_definition_grades_the_last_and_says_so(plan, sandbox):
    result = grade_submission(plan, SCENARIOS / "notebook-duplicate" / "submission", sandbox)
    ex = exercise(result, "entropy")
    assert ex.score == ex.max_score
    assert ex.notes == ["entropy() is defined 2 times (cell 2, line 1; cell 5, line 1); the last one (cell 5) is "
                        "graded, as when the notebook runs from top to bottom"]
    assert {c.cell for c in ex.checks if c.function == "entropy"} == {5}


def test_the_reports_show_the_notes(plan, sandbox):
    from grader.reports.render import render

    result = grade_submission(plan, SCENARIOS / "notebook-duplicate" / "submission", sandbox)
    note = "entropy() is defined 2 times (cell 2, line 1; cell 5, line 1)"
    assert f"  note: {note}" in render(result, "text")
    assert f"- `entropy.ipynb`: `{note}; the last one (cell 5) is graded" in render(result, "md")  # a code span
    assert note in render(result, "html")
    GradeResult.from_dict(json.loads(render(result, "json")))  # the record round-trips with its new fields


# -- bad notebooks: a clear error, and the other exercises still graded --------------------------------


def test_broken_json_is_reported_and_the_other_files_are_graded(plan, sandbox):
    result = grade_submission(plan, SCENARIOS / "notebook-broken-json" / "submission", sandbox)
    ex = exercise(result, "entropy")
    assert ex.score == 0 and {c.status for c in ex.checks if c.kind == "case"} == {Status.ERROR}
    assert ex.checks[0].message.startswith("entropy.ipynb is not valid JSON (line ")
    assert "Revert Notebook to Checkpoint" in ex.checks[0].message
    assert exercise(result, "cross_entropy").score == 10 and exercise(result, "kl_sweep").score == 10


def test_not_a_notebook_an_old_format_and_no_code_each_get_their_own_error(plan, sandbox, tmp_path):
    (tmp_path / "entropy.ipynb").write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                                                        "worksheets": [{"cells": []}]}))
    (tmp_path / "cross_entropy.ipynb").write_text(json.dumps({"name": "not a notebook", "values": [1, 2]}))
    write_notebook(tmp_path / "kl_sweep.ipynb", [new_markdown_cell("# all prose"), new_code_cell("   ")])
    result = grade_submission(plan, tmp_path, sandbox)
    messages = {e.id: e.checks[0].message for e in result.exercises}
    assert messages == {
        "entropy": "entropy.ipynb is a notebook of format version 3; the grader reads version 4: upgrade it with: "
                   "jupyter nbconvert --to notebook --nbformat 4 entropy.ipynb (or open it in a current Jupyter "
                   "and save it)",
        "cross_entropy": "cross_entropy.ipynb is JSON but not a Jupyter notebook (it has no cells); submit the "
                         ".ipynb file that Jupyter saves",
        "kl_sweep": "kl_sweep.ipynb has no code cells with code in them; write your functions in code cells",
    }
    assert all(e.file.endswith(".ipynb") for e in result.exercises)
    assert result.grader_error is None


def test_an_invalid_notebook_names_where_it_is_invalid(plan, sandbox, tmp_path):
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    data = json.loads(nbformat.writes(nb))
    data["cells"][0]["cell_type"] = "spreadsheet"
    (tmp_path / "entropy.ipynb").write_text(json.dumps(data))
    correct_py(tmp_path, "cross_entropy", "kl_sweep")
    result = grade_submission(plan, tmp_path, sandbox)
    message = exercise(result, "entropy").checks[0].message
    assert message.startswith("entropy.ipynb is not a valid notebook (at cells/0: ")
    assert exercise(result, "cross_entropy").score == 10


@pytest.mark.parametrize("break_it, why", [
    (lambda d: d["cells"].__setitem__(0, None), "at cells/0: None is not of type 'object'"),
    (lambda d: d["cells"][0].__setitem__("cell_type", 0), "at cells/0: the cell_type is '0', not 'code', 'markdown' or "
                                                          "'raw'"),
    (lambda d: d["cells"][0].__setitem__("id", [1]), "at cells/0/id: [1] is not of type 'string'"),
    (lambda d: d["cells"][0].__setitem__("metadata", None), "at cells/0/metadata: None is not of type 'object'"),
    (lambda d: d.__setitem__("cells", 1.5), "at cells: 1.5 is not of type 'array'"),
], ids=["cell-none", "cell-type-number", "id-list", "metadata-none", "cells-number"])
def test_a_notebook_nbformat_cannot_check_is_invalid_not_a_grader_crash(plan, sandbox, tmp_path, break_it, why):
    """Found by fuzzing students' notebooks: nbformat's validator tidies the cells before it checks them, and
    crashed (TypeError, AssertionError) on these, which made the whole check a grader crash."""
    data = json.loads(nbformat.writes(new_notebook(cells=[new_code_cell("x = 1")])))
    break_it(data)
    (tmp_path / "entropy.ipynb").write_text(json.dumps(data))
    correct_py(tmp_path, "cross_entropy", "kl_sweep")
    result = grade_submission(plan, tmp_path, sandbox)
    assert exercise(result, "entropy").checks[0].message == (
        f"entropy.ipynb is not a valid notebook ({why}); open it in Jupyter and save it again")
    assert exercise(result, "cross_entropy").score == 10 and result.grader_error is None


def big_notebook(path: Path, mebibytes: int) -> Path:
    """The correct entropy code with ``mebibytes`` of embedded PNG output (what a plot-heavy notebook looks like)."""
    image = "A" * (1024 * 1024)
    plots = [new_output("display_data", data={"image/png": image, "text/plain": "<Figure>"})
             for _ in range(mebibytes)]
    cells = [new_code_cell((CORRECT / "entropy.py").read_text(), outputs=plots)]
    return write_notebook(path, cells)


def test_a_50_megabyte_notebook_is_read_without_its_outputs(plan, sandbox, tmp_path, monkeypatch):
    big_notebook(tmp_path / "entropy.ipynb", 50)
    assert (tmp_path / "entropy.ipynb").stat().st_size > 50 * 1024 * 1024
    correct_py(tmp_path, "cross_entropy", "kl_sweep")
    # What the validator is handed: the cells without their 50 outputs (validating those is most of the cost; how
    # long it takes is measured in benchmarks/, not asserted here).
    seen: list[list[tuple[list[object], object]]] = []
    validate = nbformat.validate

    def spy(node, *args, **kwargs):
        seen.append([(c["outputs"], c["execution_count"]) for c in node["cells"] if c["cell_type"] == "code"])
        return validate(node, *args, **kwargs)

    monkeypatch.setattr(nbformat, "validate", spy)
    result = grade_submission(plan, tmp_path, sandbox)
    assert seen == [[([], None)]]
    assert [e.score for e in result.exercises] == [10, 10, 10]


def test_a_notebook_above_the_size_limit_is_refused_and_says_what_to_do(plan, sandbox, tmp_path, monkeypatch):
    monkeypatch.setattr(nbmod, "MAX_NOTEBOOK_BYTES", 2 * 1024 * 1024)
    big_notebook(tmp_path / "entropy.ipynb", 3)
    correct_py(tmp_path, "cross_entropy", "kl_sweep")
    result = grade_submission(plan, tmp_path, sandbox)
    message = exercise(result, "entropy").checks[0].message
    assert message.startswith("entropy.ipynb is 3.0 MiB, more than the 2 MiB the grader reads; clear its outputs")
    assert "jupyter nbconvert --clear-output --inplace entropy.ipynb" in message
    assert exercise(result, "cross_entropy").score == 10


# -- a .py and a notebook together ---------------------------------------------------------------------


def test_with_both_the_py_is_graded_by_default_and_the_notebook_when_the_course_says_so(course, sandbox, tmp_path):
    correct_py(tmp_path, "entropy", "cross_entropy", "kl_sweep")
    wrong = (SCENARIOS / "mistake-natural-log" / "submission" / "entropy.py").read_text()
    write_notebook(tmp_path / "entropy.ipynb", [new_code_cell(wrong)])
    expected = reference_outputs(course)

    by_default = exercise(grade_submission(Plan.build(course, "course", expected), tmp_path, sandbox), "entropy")
    assert (by_default.file, by_default.score) == ("entropy.py", 10)
    assert by_default.notes == ["both entropy.py and entropy.ipynb are here: entropy.py was graded (the course "
                                "grades the .py file; course.yaml: submission: file)"]

    notebook_course = dataclasses.replace(course, submission="notebook")
    graded = exercise(grade_submission(Plan.build(notebook_course, "course", expected), tmp_path, sandbox), "entropy")
    assert (graded.file, graded.score) == ("entropy.ipynb", 3)
    assert graded.notes == ["both entropy.py and entropy.ipynb are here: entropy.ipynb was graded "
                            "(course.yaml: submission: notebook)"]


def test_course_yaml_accepts_the_submission_setting_and_refuses_other_values(course_copy):
    from grader.errors import SpecError

    text = (course_copy / "course.yaml").read_text()
    (course_copy / "course.yaml").write_text(text + "submission: notebook\n")
    assert load_course(course_copy).submission == "notebook"
    (course_copy / "course.yaml").write_text(text + "submission: jupyter\n")
    with pytest.raises(SpecError) as err:
        load_course(course_copy)
    problem = err.value.format().splitlines()[0]
    assert problem.startswith("course.yaml:") and "submission" in problem and "'file', 'notebook'" in problem, problem


# -- grader build --notebook ---------------------------------------------------------------------------


def reference_bodies(course_root: Path) -> dict[str, str]:
    bodies = {}
    for path in sorted((course_root / "reference").glob("*.py")):
        text = path.read_text()
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef):
                bodies[node.name] = ast.get_source_segment(text, node)
    return bodies


def fill(notebook: Path, bodies: dict[str, str]) -> None:
    """Put ``bodies`` in the cells tagged with their function's name, as a student would."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        for tag in cell.metadata.get("tags", []):
            if tag in bodies:
                cell.source = bodies[tag]
    nbformat.write(nb, notebook)


@pytest.mark.parametrize("mode", ["each", "single"])
def test_build_notebook_writes_valid_tagged_notebooks(course, tmp_path, mode):
    result = CliRunner().invoke(cli, ["build", "--course", str(course.root), "--out", str(tmp_path / "s"),
                                      *(["--notebook"] if mode == "each" else ["--notebook", "single"])])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "s").glob("*.ipynb"))
    assert names == (["course.ipynb"] if mode == "single" else ["cross_entropy.ipynb", "entropy.ipynb", "kl_sweep.ipynb"])
    assert not list((tmp_path / "s").glob("*.py")) and (tmp_path / "s" / "quiz.yaml").is_file()
    for name in names:
        nb = nbformat.read(tmp_path / "s" / name, as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
        assert nb.nbformat == 4
        code = [c for c in nb.cells if c.cell_type == "code"]
        exercises = course.exercises if mode == "single" else [e for e in course.exercises if f"{e.module}.ipynb" == name]
        functions = [f for ex in exercises for f in ex.functions.values()]
        assert [c.metadata["tags"] for c in code] == [["setup"], *[[f.name] for f in functions], ["check"]]
        for cell, fn in zip(code[1:-1], functions, strict=True):
            assert cell.source.startswith(f"def {fn.name}({', '.join(fn.params)}):\n    \"\"\"")
            assert cell.source.endswith(f'raise NotImplementedError("Write {fn.name}()")')
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        for ex in exercises:
            assert ex.title in markdown and ex.intuition in markdown
            for fn in ex.functions.values():
                assert fn.doc.strip() in markdown
        assert code[-1].source.endswith('!"{sys.executable}" -m grader check .')
    bundle = json.loads((tmp_path / "s" / ".grader" / "public.json").read_text())
    assert bundle["submission"] == "notebook"


def test_build_notebook_refuses_to_overwrite_a_notebook(course, tmp_path):
    out = tmp_path / "s"
    build(course, out, notebook="single")
    result = CliRunner().invoke(cli, ["build", "--course", str(course.root), "--out", str(out), "--notebook", "single"])
    assert result.exit_code == 4
    assert "already has course.ipynb" in result.output


@pytest.mark.parametrize("mode", ["each", "single"])
def test_round_trip_build_fill_in_the_reference_grade_full_marks(course, course_root, sandbox, tmp_path, mode):
    out = tmp_path / "student"
    build(course, out, notebook=mode)
    bodies = reference_bodies(course_root)
    for nb in out.glob("*.ipynb"):
        fill(nb, bodies)
    # the instructor's grading, hidden cases included
    result = grade_submission(Plan.build(course, "course", reference_outputs(course)), out, sandbox)
    assert [(e.score, e.max_score) for e in result.exercises] == [(10, 10)] * 3
    assert all(e.file.endswith(".ipynb") for e in result.exercises)
    # and the student's own check, from the folder's bundle alone
    local, expected = course_from_bundle(out)
    result = grade_submission(Plan.build(local, "student", expected, bundle_variants(out)), out, sandbox)
    assert all(e.score == e.max_score for e in result.exercises)


def test_the_built_notebook_runs_in_jupyter_and_its_last_cell_reports_the_public_check(course, course_root, tmp_path):
    out = tmp_path / "student"
    build(course, out, notebook="single")
    fill(out / "course.ipynb", reference_bodies(course_root))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--output", "ran.ipynb",
         "--ExecutePreprocessor.timeout=120", "course.ipynb"],
        cwd=out, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ran = nbformat.read(out / "ran.ipynb", as_version=4)
    last = ran.cells[-1]
    assert last.metadata["tags"] == ["check"]
    printed = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream")
    printed = re.sub(r"\x1b\[[0-9;]*m", "", printed).replace("\r\n", "\n")  # `!` runs in a terminal: colours
    assert re.search(r"^Exercise 1: entropy of three distributions \(course.ipynb\)  (\d+)/\1$", printed, re.M), printed
    assert re.search(r"^Score: (\S+)/\1 \(100%\) · (\d+) of \2 checks passed · public checks only$", printed, re.M), printed
    assert not [o for o in last.outputs if o.output_type == "error"]


def test_gradescope_finds_notebooks_in_an_uploaded_folder(course, tmp_path):
    from grader.handoff.autograder import submission_folder

    (tmp_path / "upload" / "hw1").mkdir(parents=True)
    write_notebook(tmp_path / "upload" / "hw1" / "course.ipynb", [new_code_cell("x = 1")])
    assert submission_folder(tmp_path / "upload", course) == tmp_path / "upload" / "hw1"
    write_notebook(tmp_path / "upload" / "entropy.ipynb", [new_code_cell("x = 1")])
    assert submission_folder(tmp_path / "upload", course) == tmp_path / "upload"


def test_batch_accepts_a_class_of_notebooks_and_rehashes_a_changed_notebook(tmp_path):
    from grader.classroom.submissions import open_submissions, submission_hash
    from grader.errors import InputError

    klass = tmp_path / "class"
    (klass / "alice").mkdir(parents=True)
    shutil.copy(SCENARIOS / "notebook-duplicate" / "submission" / "entropy.ipynb", klass / "alice")
    with open_submissions(klass) as found:
        assert [s.student for s in found.students] == ["alice"]
    before = submission_hash(klass / "alice")
    write_notebook(klass / "alice" / "entropy.ipynb", [new_code_cell("x = 2")])
    assert submission_hash(klass / "alice") != before
    loose = tmp_path / "loose"
    loose.mkdir()
    write_notebook(loose / "entropy.ipynb", [new_code_cell("x = 1")])
    with pytest.raises(InputError, match="holds Python files or notebooks but no student folders"), \
            open_submissions(loose):
        pass


def test_the_grader_bounds_its_own_work_on_a_notebook_made_to_be_slow(tmp_path):
    """Many cells, many magic lines: refused or handled in bounded time, in the grader's process."""
    many = write_notebook(tmp_path / "many.ipynb", [new_code_cell("x = 1") for _ in range(nbmod.MAX_CELLS + 1)])
    with pytest.raises(nbmod.NotebookError, match=f"more than the {nbmod.MAX_CELLS} the grader reads"):
        nbmod.read_notebook(many)
    magics = write_notebook(tmp_path / "magics.ipynb", [new_code_cell("!echo hi\n" * 20000 + "def entropy(p):\n    return 0")])
    started = time.monotonic()
    module = nbmod.build_module(nbmod.read_notebook(magics), ["entropy"], ["entropy"])
    assert time.monotonic() - started < 5
    assert module.notes[-1] == f"cell 1: removed {20000 - nbmod.MAX_MAGIC_LINES} more magic or shell lines"
    compile(module.source, "entropy.py", "exec")


def test_which_notebook_is_the_course_notebook(course):
    from grader.judge.sources import course_notebook

    assert course_notebook(["course.ipynb", "entropy.ipynb"], course) == "course.ipynb"
    assert course_notebook(["homework 1.ipynb"], course) == "homework 1.ipynb"
    assert course_notebook(["entropy.ipynb", "scratch.ipynb"], course) is None
    assert course_notebook(["a.ipynb", "b.ipynb"], course) is None


def test_a_missing_function_names_the_notebook_not_the_generated_module(plan, sandbox, tmp_path):
    write_notebook(tmp_path / "entropy.ipynb", [new_code_cell((CORRECT / "entropy.py").read_text().split("\n\ndef most")[0])])
    correct_py(tmp_path, "cross_entropy", "kl_sweep")
    ex = exercise(grade_submission(plan, tmp_path, sandbox), "entropy")
    missing = next(c for c in ex.checks if c.function == "most_uncertain")
    assert missing.message == ("entropy.ipynb has no function most_uncertain(); define it with the signature "
                               "most_uncertain(distributions)")
    assert not any(re.search(r"(?<!cross_)entropy\.py", c.message) for c in ex.checks)


def test_the_command_line_words_for_notebooks(course, tmp_path):
    out = tmp_path / "hw"
    built = CliRunner().invoke(cli, ["build", "--course", str(course.root), "--out", str(out), "--notebook", "single"])
    assert built.output.startswith(f"Wrote 3 files to {out}.\nStudents work in course.ipynb, save, and run the "
                                   "last cell (it runs grader check).\n")
    shown = CliRunner().invoke(cli, ["check", str(SCENARIOS / "notebook-out-of-order" / "submission"),
                                     "--course", str(course.root)])
    assert "Exercise 1: entropy of three distributions (entropy.ipynb)  0/10\n" in shown.output
    assert ("  ! the code cells of entropy.ipynb could not run: NameError: name 'uniform' is not defined "
            "(entropy.ipynb, cell 3, line 1). uniform is defined only in cell 4, further down") in shown.output
    assert "      None of its 10 checks could run.\n" in shown.output


@pytest.mark.parametrize("scenario, gate", [
    ("notebook-broken-json", "entropy.ipynb is not valid JSON (line "),
    ("notebook-out-of-order", "the code cells of entropy.ipynb could not run: NameError"),
])
def test_a_notebook_that_cannot_run_is_said_once_not_per_check(plan, sandbox, scenario, gate):
    from grader.reports.render import render

    text = render(grade_submission(plan, SCENARIOS / scenario / "submission", sandbox), "text")
    entropy = text.split("Exercise 2:")[0]
    assert f"  ! {gate}" in entropy
    assert entropy.count(gate) == 1
    assert "None of its 10 checks could run." in entropy
    assert not re.search(r"(?<!cross_)entropy\.py", text)  # nor in the properties' messages


def test_renaming_a_file_in_messages_leaves_longer_names_alone(course):
    from grader.judge.sources import Source, rename_files

    sources = {"entropy": Source("entropy.ipynb")}
    text = "entropy.py could not be imported; cross_entropy.py and my_entropy.py are fine (entropy.py:3)"
    assert rename_files(course, sources, text) == ("entropy.ipynb could not be imported; cross_entropy.py and "
                                                   "my_entropy.py are fine (entropy.ipynb:3)")


def test_a_notebook_without_cell_ids_reads_without_nbformats_warning(tmp_path):
    """nbformat warns its callers (a FutureWarning with a library path) when a 4.5 notebook's cells have no
    ids; a student saw it on their terminal. The notebook is read as it is."""
    import warnings

    from grader.sandbox.notebook import read_notebook

    data = json.loads(nbformat.writes(new_notebook(cells=[new_code_cell("x = 1")])))
    assert data["nbformat_minor"] >= 5
    for cell in data["cells"]:
        del cell["id"]
    (tmp_path / "entropy.ipynb").write_text(json.dumps(data))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        notebook = read_notebook(tmp_path / "entropy.ipynb")
    assert [str(w.message) for w in seen] == []
    assert [c[2] for c in notebook.cells] == ["x = 1"]
