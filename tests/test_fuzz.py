"""Fuzzing of what users hand the grader: a clear error (GraderError, a notebook or quiz error in the record)
or a result, never an exception of the grader's own.

Each test mutates a valid input with Hypothesis strategies (a path into the document and a replacement, a
deletion or an addition; lines of a sheet replaced by hostile snippets). ``derandomize=True`` keeps a run
repeatable, and a failure is shrunk to the fewest, simplest mutations that still break the grader and printed as
such, which the hand-rolled random loops this replaced could not do. The counts are small here (a regression
net for the bugs these found: an invariant input that cannot be computed, a linspace bound beyond int64,
notebooks nbformat could not check, Gradescope metadata of the wrong shape); run more with
``GRADER_FUZZ_SCALE=20 python -m pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.cli import cli
from grader.errors import GraderError
from tests.test_lms import METADATA  # imported here, not inside the @given test (Hypothesis: no nested @given)

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"
SCALE = int(os.environ.get("GRADER_FUZZ_SCALE", "1"))

VALUES: list[Any] = [None, 0, -1, 1, 2.5, -0.0, 1e309, float("nan"), "", "x", "zz[", "1/0", "log(0)", [], {}, [1],
                     {"a": 1}, True, False, "2026-13-45", 10**30, -(10**30), [[]], "p", "entropy", "bits",
                     {"rtol": -1}, "p[99]", "dist(0)", "randint(5, 2)", [None], [[1, 2], [3]], "é", "a" * 500,
                     {"linspace": {"start": 0, "stop": 1, "num": 0}}, {"random": {"outcomes": 0, "seed": 1}}]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def fuzz(examples: int) -> Any:
    """Hypothesis settings for a fuzz test: repeatable, no example database, scaled by GRADER_FUZZ_SCALE."""
    return settings(max_examples=examples * SCALE, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


MUTATION = st.tuples(st.integers(0, 10**6), st.sampled_from(["replace"] * 3 + ["delete", "add"]),
                     st.integers(0, len(VALUES) - 1))
MUTATIONS = st.lists(MUTATION, min_size=1, max_size=3)


def _mutate(data: Any, mutation: tuple[int, str, int]) -> None:
    """Replace, delete or add one value somewhere in ``data``: (which path, what to do, which value)."""
    where, what, which = mutation
    paths = [p for p in _paths(data) if p]
    if not paths:
        return
    path = paths[where % len(paths)]
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    if what == "replace":
        holder[path[-1]] = copy.deepcopy(VALUES[which])
    elif what == "delete":
        del holder[path[-1]]
    elif isinstance(holder, dict):
        holder[f"{path[-1]}_x"] = copy.deepcopy(VALUES[which])
    else:
        holder.append(copy.deepcopy(holder[path[-1]]))


COURSE_FILES = [*sorted(p.relative_to(COURSE).as_posix() for p in COURSE.glob("exercises/*.yaml")), "course.yaml"]


@fuzz(40)
@given(target=st.sampled_from(COURSE_FILES), mutations=MUTATIONS)
def test_mutated_course_yaml_is_a_course_error_or_a_course(target: str, mutations: list, monkeypatch) -> None:
    from grader.judge.grade import Plan
    from grader.spec.course import load_course
    from grader.spec.expected import reference_outputs

    with tempfile.TemporaryDirectory() as tmp:
        monkeypatch.setenv("XDG_CACHE_HOME", str(Path(tmp) / "cache"))
        work = Path(tmp) / "course"
        shutil.copytree(COURSE, work, ignore=shutil.ignore_patterns("__pycache__"))
        data = yaml.safe_load((work / target).read_text("utf-8"))
        for mutation in mutations:
            _mutate(data, mutation)
        (work / target).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
        try:
            course = load_course(work)
            Plan.build(course, "course", reference_outputs(course))
        except GraderError:
            pass


@pytest.fixture(scope="module")
def student_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for kind, extra in (("files", []), ("notebooks", ["--notebook"])):
        folder = tmp_path_factory.mktemp("fuzz") / kind
        result = CliRunner().invoke(cli, ["build", "--course", str(COURSE), "--out", str(folder), *extra])
        assert result.exit_code == 0, result.output
        out[kind] = folder
    return out


@fuzz(150)
@given(broken=st.integers(0, 2), mutations=MUTATIONS)
def test_mutated_notebooks_are_invalid_notebooks_not_crashes(student_folders: dict[str, Path], broken: int,
                                                             mutations: list) -> None:
    from grader.judge.sources import resolve
    from grader.spec.course import load_course

    course = load_course(COURSE)
    originals = {p.name: json.loads(p.read_text("utf-8")) for p in student_folders["notebooks"].glob("*.ipynb")}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, notebook in originals.items():
            data = copy.deepcopy(notebook)
            if name == sorted(originals)[broken % len(originals)]:
                for mutation in mutations:
                    _mutate(data, mutation)
            (folder / name).write_text(json.dumps(data), "utf-8")
        resolve(course, folder)  # a broken notebook is a NotebookError kept for its exercise's checks


QUIZ_SNIPPETS = ["", "null", "[]", "{}", "[ln, ln]", "1e999", ".nan", "1.5 nats", "1.5 bananas", "&a [*a]", "*a",
                 "true", "2026-01-01", "0x10", "'ln'", "[" * 300 + "]" * 300, "{a: b}", "é", "- 1\n- 2", ": :"]


def _edit_lines(lines: list[str], edits: list[tuple[int, str, bool]]) -> list[str]:
    """Each edit: a line (by index, modulo), a snippet, and whether to keep the line's key (``key: snippet``)."""
    lines = list(lines)
    for where, snippet, keep_key in edits:
        i = where % len(lines)
        if keep_key and ":" in lines[i] and not lines[i].lstrip().startswith("#"):
            lines[i] = lines[i].rsplit(":", 1)[0] + ": " + snippet
        else:
            lines[i] = snippet
    return lines


def _line_edits(snippets: list[str], most: int) -> Any:
    return st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(snippets), st.booleans()), min_size=1,
                    max_size=most)


@fuzz(150)
@given(edits=_line_edits(QUIZ_SNIPPETS, 4))
def test_mutated_quiz_sheets_grade_without_a_grader_error(student_folders: dict[str, Path], edits: list) -> None:
    from grader.judge.quiz import grade_quizzes
    from grader.spec.course import load_course

    course = load_course(COURSE)
    sheet = (student_folders["files"] / "quiz.yaml").read_text("utf-8").split("\n")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "quiz.yaml").write_text("\n".join(_edit_lines(sheet, edits)), "utf-8")
        _, grader_error = grade_quizzes(course.quizzes, Path(tmp), student="stu")
    assert grader_error is None


METADATA_SNIPPETS = ["5", "~", "[]", "{}", "abc", "[1, 2]", "[[1]]", "{a: 1}", "!ruby/object:Foo {a: 1}", "&x [*x]",
                     "[" * 3000 + "]" * 3000, "- x", "*nope", "1e999", "!!set {a, b}"]


@fuzz(100)
@given(edits=_line_edits(METADATA_SNIPPETS, 3))
def test_mutated_gradescope_metadata_is_an_input_error_or_read(edits: list) -> None:
    from grader.classroom.layouts import Shown, read_gradescope_metadata

    with tempfile.TemporaryDirectory() as tmp:
        meta = Path(tmp) / "submission_metadata.yml"
        meta.write_text("\n".join(_edit_lines(METADATA.split("\n"), edits)), "utf-8")
        try:
            read_gradescope_metadata(meta, Shown(meta, None))
        except GraderError:
            pass
