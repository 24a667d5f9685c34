from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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
