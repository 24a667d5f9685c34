"""Grading plans for the tests' courses, each built once per test session, and the course a scenario is graded
against (its ``scenario.yaml`` may name one with ``course:``, a path from the repository root)."""

from __future__ import annotations

from pathlib import Path

from grader.judge.grade import Plan
from grader.spec.course import load_course
from grader.spec.expected import reference_outputs

ROOT = Path(__file__).resolve().parent.parent
_PLANS: dict[Path, Plan] = {}


def plan_for(root: Path) -> Plan:
    """The grading plan of the course at ``root``, built once per test session."""
    if root not in _PLANS:
        course = load_course(root)
        _PLANS[root] = Plan.build(course, "course", reference_outputs(course))
    return _PLANS[root]


def scenario_course(spec: dict, default: Path) -> Path:
    """The course a scenario (its parsed ``scenario.yaml``) is graded against: the one it names, or ``default``."""
    return ROOT / spec["course"] if spec.get("course") else default
