"""Two groups of tests. The grader's own (the default run includes both):

* engine tests, on small fixture courses (``tests/fixtures/``) or on whatever course is bundled, never on
  its particular numbers;
* the bundled course's own tests, marked ``course`` (``pytest -m course``): its reference figures, its
  contract (``tests/course/``) and the golden scenarios (``tests/scenarios/``, graded against it). After
  changing the course, for example adding an exercise, regenerate every golden file with ONE command:
  ``python -m pytest --update-goldens``  (the same as GRADER_UPDATE_GOLDEN=1; it also rewrites the engine's
  golden reports in ``tests/feedback/golden/``, which do not change with the course).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: A tiny course of the grader's own tests (one exercise, one quiz), independent of the bundled course.
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


#: The engine tests' copy of the three-exercise course (tests/fixtures/README.md): frozen test data.
INFOTHEORY = Path(__file__).resolve().parent / "fixtures" / "infotheory"


@pytest.fixture(scope="session")
def course_root() -> Path:
    """The engine tests' fixture course; the bundled course at the repository root is ``ROOT``."""
    return INFOTHEORY


@pytest.fixture()
def course_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture course, for tests that break its YAML on purpose."""
    dest = tmp_path / "course"
    dest.mkdir()
    for name in ("course.yaml",):
        shutil.copy(INFOTHEORY / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(INFOTHEORY / "exercises", dest / "exercises", ignore=ignore)
    shutil.copytree(INFOTHEORY / "reference", dest / "reference", ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def fast_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture course with short time limits, for tests that grade whole classes."""
    import yaml

    dest = tmp_path_factory.mktemp("course")
    ignore = shutil.ignore_patterns("__pycache__")
    for name in ("course.yaml", "exercises", "reference"):
        src = INFOTHEORY / name
        shutil.copytree(src, dest / name, ignore=ignore) if src.is_dir() else shutil.copy(src, dest / name)
    data = yaml.safe_load((dest / "course.yaml").read_text())
    data["defaults"]["limits"].update(time_per_call=0.5, cpu_per_call=1, import_time=1)
    (dest / "course.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return dest


@pytest.fixture()
def mini_copy(tmp_path: Path) -> Path:
    """A writable copy of the mini fixture course (tests/fixtures/mini)."""
    dest = tmp_path / "mini"
    shutil.copytree(MINI, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


COURSE_TESTS = (Path(__file__).resolve().parent / "course",)
#: Tests elsewhere that pin the bundled course's output (golden files).
COURSE_TEST_NAMES = ("test_the_course_declares_exactly_the_contract_ids",)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="Rewrite every golden file (scenarios' expected.json, tests/feedback/golden, "
                          "tests/course/golden) from the current grader and course.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "course: a test of the bundled course itself (its figures and golden files)")
    if config.getoption("--update-goldens"):
        os.environ["GRADER_UPDATE_GOLDEN"] = "1"  # read by every golden test at import


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    """Under --update-goldens, end with what changed: how many goldens, which scenarios, the score changes."""
    from goldens import WRITTEN, summary_lines

    if config.getoption("--update-goldens") or WRITTEN:
        terminalreporter.section("golden files")
        for line in summary_lines(WRITTEN):
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath)).resolve()
        if any(path.is_relative_to(d) for d in COURSE_TESTS) or item.originalname in COURSE_TEST_NAMES:
            item.add_marker(pytest.mark.course)
