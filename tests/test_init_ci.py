"""`grader init-ci`: pinned actions, least permissions, Python, the grader installed, `grader ci` run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from grader.authoring.bundle import build
from grader.cli import cli
from grader.handoff.workflow import PINS, VERIFIED_PINS, WORKFLOW_PATH
from grader.spec.course import load_course

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def init(folder: Path, *args: str) -> tuple[int, str, dict]:
    result = CliRunner().invoke(cli, ["init-ci", str(folder), *args])
    path = folder / WORKFLOW_PATH
    return result.exit_code, result.output, yaml.safe_load(path.read_text()) if path.exists() else {}


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def all_uses(workflow: dict) -> list[str]:
    return [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]


@pytest.fixture()
def student(tmp_path: Path) -> Path:
    folder = tmp_path / "hw"
    build(load_course(COURSE), folder)
    return folder


def test_pins_are_full_commit_shas():
    assert all(re.fullmatch(r"[0-9a-f]{40}", pin.sha) for pin in PINS)


@pytest.mark.parametrize("kind", ["student", "course"])
def test_every_pin_written_is_a_verified_commit_with_its_tag(student, kind, tmp_path):
    """A pin changed to a commit not in VERIFIED_PINS (with its tag) fails here, whatever file it is changed in."""
    folder = student if kind == "student" else shutil.copytree(COURSE, tmp_path / "course",
                                                               ignore=shutil.ignore_patterns("__pycache__"))
    code, output, _wf = init(folder, "--install", "infotheory-grader")
    assert code == 0, output
    text = (folder / WORKFLOW_PATH).read_text()
    written = re.findall(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40})  # (\S+)", text)
    assert len(written) == text.count("uses: ") and written
    for repo, sha, tag in written:
        assert VERIFIED_PINS.get((repo, sha)) == tag, f"{repo}@{sha} ({tag}) is not a verified pin"
    assert {(p.repo, p.sha, p.version) for p in PINS} == {(r, s, t) for (r, s), t in VERIFIED_PINS.items()}


def test_classroom_reporter_is_pinned_to_its_built_release():
    """main (43c2d9f) has no dist/main.js, which action.yml runs; tag v1 (branch releases/v1) has it."""
    reporter = next(p for p in PINS if p.repo == "classroom-resources/autograding-grading-reporter")
    assert (reporter.sha, reporter.version) == ("d13b5912daf5042ac1b71bc38bdb4a6bcd61d8ca", "v1")


def test_student_workflow_for_github_classroom(student):
    code, output, wf = init(student)
    assert code == 0, output
    assert set(wf) == {"name", "on", "permissions", "jobs"}
    assert wf["name"] == "Autograding Tests" and set(wf["on"]) >= {"push", "pull_request"}
    assert wf["permissions"] == {"contents": "read", "checks": "write", "actions": "read"}
    assert all(PINNED.match(u) for u in all_uses(wf)), all_uses(wf)
    job = steps(wf, "run-autograding-tests")
    by_name = {s["name"]: s for s in job}
    assert by_name["Set up Python"]["with"]["python-version"] == "3.11"
    assert by_name["Install the grader"]["run"] == "python -m pip install ./.grader/grader-src"
    grade = next(s for s in job if s.get("id") == "grader")
    assert grade["run"] == "grader ci ."
    reporter = job[-1]
    assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter@")
    assert reporter["with"]["runners"] == "grader"
    # the reporter reads <RUNNER ID upper-cased>_RESULTS
    assert reporter["env"] == {"GRADER_RESULTS": "${{ steps.grader.outputs.result }}"}
    assert reporter["if"].startswith("always()")  # it must run when grader ci exits 1


def test_student_repo_gets_the_grader_but_nothing_hidden(student):
    init(student)
    vendored = student / ".grader" / "grader-src"
    assert (vendored / "pyproject.toml").is_file() and (vendored / "grader" / "cli.py").is_file()
    assert (vendored / "grader" / "templates" / "report.txt.j2").is_file()
    hidden = [c.name for ex in load_course(COURSE).exercises for c in ex.cases if c.visibility == "hidden"]
    added = [p for folder in (vendored, student / ".github") for p in folder.rglob("*") if p.is_file()]
    everything = "\n".join(p.read_text("utf-8") for p in added)
    assert hidden and not any(name in everything for name in hidden)
    assert {p.suffix for p in added} <= {".py", ".json", ".j2", ".css", ".toml", ".yml"}
    assert not list(student.rglob("course.yaml")) and not list(student.rglob("reference"))


def test_without_classroom_only_contents_read(student):
    _code, _out, wf = init(student, "--no-classroom")
    assert wf["permissions"] == {"contents": "read"}
    assert not any("classroom" in u for u in all_uses(wf))
    assert "if" not in wf["jobs"]["run-autograding-tests"]


def test_install_requirement_instead_of_a_vendored_copy(student):
    _code, _out, wf = init(student, "--install", "infotheory-grader>=0.1")
    install = next(s for s in steps(wf, "run-autograding-tests") if s["name"] == "Install the grader")
    assert install["run"] == "python -m pip install 'infotheory-grader>=0.1'"  # quoted: > is a redirection
    assert not (student / ".grader" / "grader-src").exists()


def test_existing_workflow_is_kept_unless_forced(student):
    init(student)
    code, output, _ = init(student)
    assert code == 4 and "already exists" in output and "--force" in output
    code, _output, _ = init(student, "--force")
    assert code == 0


def test_course_workflow(course_copy):
    code, output, wf = init(course_copy)
    assert code == 0, output
    assert wf["permissions"] == {"contents": "read"}
    assert all(PINNED.match(u) for u in all_uses(wf))
    runs = [s.get("run", "") for s in steps(wf, "course")]
    assert "python -m pip install ./.grader/grader-src" in runs  # no grader project in this copy: vendored
    assert "grader validate" in runs
    assert "grader ci reference --student reference --format junit --output grader-junit.xml" in runs
    # the private path for hidden cases: an instructor grades one student repository by hand
    assert "repository" in wf["on"]["workflow_dispatch"]["inputs"]
    student_job = steps(wf, "grade-student")
    checkout = student_job[1]
    assert checkout["with"]["repository"] == "${{ inputs.repository }}" and checkout["with"]["path"] == "submission"
    assert student_job[-1]["run"].startswith("grader ci submission ")
    assert "${{" not in student_job[-1]["run"]  # inputs reach the shell through env only


def test_course_repo_with_the_grader_installs_itself(course_copy):
    shutil.copy(ROOT / "pyproject.toml", course_copy / "pyproject.toml")
    _code, _out, wf = init(course_copy)
    assert "python -m pip install ." in [s.get("run") for s in steps(wf, "course")]


def test_neither_course_nor_student_folder(tmp_path):
    code, output, _ = init(tmp_path)
    assert code == 2 and "neither a course repository" in output
