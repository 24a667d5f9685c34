"""Fixtures for the feedback tests: one sandbox and one grading plan for the whole session."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from plans import plan_for, scenario_course

from grader.judge.grade import Plan, grade_submission
from grader.record import Environment, GradeResult
from grader.sandbox.client import Sandbox

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "scenarios"
#: the engine tests' fixture course (tests/fixtures/README.md), never the bundled one
COURSE = ROOT / "tests" / "fixtures" / "infotheory"


@pytest.fixture(scope="session")
def grade() -> Iterator[Callable[[str], GradeResult]]:
    """grade("mistake-log10") -> the result for that scenario's submission, graded once per session, against the
    fixture course or the one its scenario.yaml names (``course:``, a path from the repository root)."""
    def plan_of(name: str) -> Plan:
        return plan_for(scenario_course(yaml.safe_load((SCENARIOS / name / "scenario.yaml").read_text()) or {}, COURSE))

    cache: dict[str, GradeResult] = {}
    with Sandbox() as sandbox:
        def run(name: str) -> GradeResult:
            if name not in cache:
                cache[name] = grade_submission(plan_of(name), SCENARIOS / name / "submission", sandbox, student=name)
            return copy.deepcopy(cache[name])
        yield run


def normalised(result: GradeResult) -> GradeResult:
    """Timings vary from run to run, and the environment from machine to machine; golden files hold the rest."""
    result = copy.deepcopy(result)
    result.duration = 0.0
    assert result.environment is not None
    result.environment = Environment(grader="0.0.0", course_hash="0123456789abcdef", python="3.x (CPython)",
                                     numpy="1.x", platform="Linux-x86_64", seed_scheme=result.environment.seed_scheme)
    result.duration = 0.0
    result.confinement = {"isolation": "required", "landlock_abi": 7, "landlock": True, "landlock_network": True,
                          "landlock_scopes": True, "seccomp": True, "capabilities_dropped": True,
                          "no_new_privs": True, "network_namespace": True, "subreaper": True, "audit_hook": True,
                          "missing": []}
    for _, check in result.checks():
        check.duration = None
    return result
