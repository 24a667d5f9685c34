"""Seeded fuzzing of what users hand the grader: a clear error (GraderError, a notebook or quiz error in the
record) or a result, never an exception of the grader's own.

Each test mutates a valid input at random, with a fixed seed, so a run is repeatable. The counts are small
here (a regression net for the bugs these found: an invariant input that cannot be computed, a linspace bound
beyond int64, notebooks nbformat could not check, Gradescope metadata of the wrong shape); run more with
``GRADER_FUZZ_SCALE=20 python -m pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from grader.cli import cli
from grader.errors import GraderError

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


def _mutate(data: Any, rng: random.Random) -> None:
    """Replace, delete or add one value somewhere in ``data``."""
    path = rng.choice([p for p in _paths(data) if p])
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    roll = rng.random()
    if roll < 0.6:
        holder[path[-1]] = copy.deepcopy(rng.choice(VALUES))
    elif roll < 0.8:
        del holder[path[-1]]
    elif isinstance(holder, dict):
        holder[f"{path[-1]}_x"] = copy.deepcopy(rng.choice(VALUES))
    else:
        holder.append(copy.deepcopy(holder[path[-1]]))


def test_mutated_course_yaml_is_a_course_error_or_a_course(tmp_path: Path, monkeypatch) -> None:
    from grader.judge.grade import Plan
    from grader.spec.course import load_course
    from grader.spec.expected import reference_outputs

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rng = random.Random(7)
    work = tmp_path / "course"
    for _ in range(40 * SCALE):
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(COURSE, work, ignore=shutil.ignore_patterns("__pycache__"))
        target = rng.choice([*sorted(work.glob("exercises/*.yaml")), work / "course.yaml"])
        data = yaml.safe_load(target.read_text("utf-8"))
        for _ in range(rng.randint(1, 3)):
            _mutate(data, rng)
        target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
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


def test_mutated_notebooks_are_invalid_notebooks_not_crashes(student_folders: dict[str, Path],
                                                             tmp_path: Path) -> None:
    from grader.judge.sources import resolve
    from grader.spec.course import load_course

    course = load_course(COURSE)
    originals = {p.name: json.loads(p.read_text("utf-8")) for p in student_folders["notebooks"].glob("*.ipynb")}
    rng = random.Random(1)
    for i in range(150 * SCALE):
        folder = tmp_path / str(i)
        folder.mkdir()
        broken = rng.choice(sorted(originals))
        for name, notebook in originals.items():
            data = copy.deepcopy(notebook)
            if name == broken:
                for _ in range(rng.randint(1, 3)):
                    _mutate(data, rng)
            (folder / name).write_text(json.dumps(data), "utf-8")
        resolve(course, folder)  # a broken notebook is a NotebookError kept for its exercise's checks
        shutil.rmtree(folder)


def test_mutated_quiz_sheets_grade_without_a_grader_error(student_folders: dict[str, Path], tmp_path: Path) -> None:
    from grader.judge.quiz import grade_quizzes
    from grader.spec.course import load_course

    course = load_course(COURSE)
    sheet = (student_folders["files"] / "quiz.yaml").read_text("utf-8").split("\n")
    snippets = ["", "null", "[]", "{}", "[ln, ln]", "1e999", ".nan", "1.5 nats", "1.5 bananas", "&a [*a]", "*a",
                "true", "2026-01-01", "0x10", "'ln'", "[" * 300 + "]" * 300, "{a: b}", "é", "- 1\n- 2", ": :"]
    rng = random.Random(3)
    for _ in range(150 * SCALE):
        lines = list(sheet)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(lines))
            if ":" in lines[i] and not lines[i].lstrip().startswith("#") and rng.random() < 0.7:
                lines[i] = lines[i].split(":", 1)[0] + ": " + rng.choice(snippets)
            else:
                lines[i] = rng.choice(snippets)
        (tmp_path / "quiz.yaml").write_text("\n".join(lines), "utf-8")
        _, grader_error = grade_quizzes(course.quizzes, tmp_path, student="stu")
        assert grader_error is None


def test_mutated_gradescope_metadata_is_an_input_error_or_read(tmp_path: Path) -> None:
    from grader.classroom.layouts import Shown, read_gradescope_metadata
    from tests.test_lms import METADATA

    snippets = ["5", "~", "[]", "{}", "abc", "[1, 2]", "[[1]]", "{a: 1}", "!ruby/object:Foo {a: 1}", "&x [*x]",
                "[" * 3000 + "]" * 3000, "- x", "*nope", "1e999", "!!set {a, b}"]
    meta = tmp_path / "submission_metadata.yml"
    rng = random.Random(1)
    for _ in range(100 * SCALE):
        lines = METADATA.split("\n")
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(lines))
            if ":" in lines[i] and rng.random() < 0.7:
                lines[i] = lines[i].rsplit(":", 1)[0] + ": " + rng.choice(snippets)
            else:
                lines[i] = rng.choice(snippets)
        meta.write_text("\n".join(lines), "utf-8")
        try:
            read_gradescope_metadata(meta, Shown(meta, None))
        except GraderError:
            pass
