"""Every result says what graded it: the record's ``environment``, at the foot of each report, once in run.json."""

from __future__ import annotations

import json
import platform
import shutil
from pathlib import Path

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from grader import __version__
from grader.judge.grade import Plan, grade_submission
from grader.record import GradeResult
from grader.reports.formats import github
from grader.reports.render import render
from grader.sandbox.client import Sandbox
from grader.spec import provenance
from grader.spec.course import load_course
from grader.spec.expected import reference_outputs
from grader.spec.yamlspec import schema

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one


@pytest.fixture(scope="module")
def result() -> GradeResult:
    course = load_course(COURSE)
    with Sandbox() as sandbox:
        return grade_submission(Plan.build(course, "course", reference_outputs(course)),
                                ROOT / "tests" / "scenarios" / "correct-numpy" / "submission", sandbox, student="alice")


def test_the_record_says_what_graded_it(result: GradeResult) -> None:
    env = result.environment
    assert env is not None
    assert env.grader == __version__ and env.numpy == np.__version__
    assert env.python == f"{platform.python_version()} ({platform.python_implementation()})"
    assert env.platform == platform.platform() and env.seed_scheme.startswith("v1: ")
    data = json.loads(result.to_json())
    assert "environment" in data and data["environment"]["course_hash"] == env.course_hash
    assert not list(Draft202012Validator(schema("result")).iter_errors(data))
    assert GradeResult.from_dict(data).environment == env


def test_the_course_hash_covers_spec_and_templates(tmp_path: Path, result: GradeResult) -> None:
    course = load_course(COURSE)
    templates = shutil.copytree(provenance.templates_dir(), tmp_path / "templates")
    same = provenance.course_hash(course.spec_hash, templates)
    assert same == result.environment.course_hash
    (templates / "report.txt.j2").write_text((templates / "report.txt.j2").read_text() + "\n")
    assert provenance.course_hash(course.spec_hash, templates) != same
    assert provenance.course_hash("another spec", provenance.templates_dir()) != same


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_each_report_shows_it_at_its_foot(result: GradeResult, fmt: str) -> None:
    env = result.environment
    text = render(result, fmt)
    foot = (f"Graded by infotheory-grader {env.grader} · course {env.course_hash} · Python {env.python} · "
            f"NumPy {env.numpy} · {env.platform} · seed scheme v1")
    assert foot in text and text.rindex(foot) > len(text) - len(foot) - 80
    assert foot in github.step_summary(result)


def test_confinement_has_its_own_line_beside_it(result: GradeResult) -> None:
    """The sandbox's ``confinement`` is a field of its own, not part of environment, and has its own foot line."""
    from grader.reports.views import confinement, graded_by

    assert "onfinement" not in graded_by(result)
    assert result.confinement is not None and result.runner == "confined"
    line = confinement(result).line
    assert line.startswith("Runner: confined · Confinement: ")
    assert line in render(result, "text") and graded_by(result) in render(result, "text")


def test_machine_formats_carry_it(result: GradeResult) -> None:
    env = vars(result.environment)
    assert json.loads(render(result, "gradescope"))["extra_data"]["environment"] == env
    xml = render(result, "junit")
    assert f'<property name="environment.course_hash" value="{env["course_hash"]}"' in xml
