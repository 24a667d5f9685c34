from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: A tiny course of the grader's own tests (one exercise, one quiz), independent of the bundled course.
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


@pytest.fixture(scope="session")
def course_root() -> Path:
    return ROOT


@pytest.fixture()
def course_copy(tmp_path: Path) -> Path:
    """A writable copy of the course, for tests that break its YAML on purpose."""
    dest = tmp_path / "course"
    dest.mkdir()
    for name in ("course.yaml",):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "exercises", dest / "exercises")
    shutil.copytree(ROOT / "reference", dest / "reference")
    return dest


@pytest.fixture()
def mini_copy(tmp_path: Path) -> Path:
    """A writable copy of the mini fixture course (tests/fixtures/mini)."""
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest
