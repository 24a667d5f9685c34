"""`grader export gradescope`: the zip's layout, its scripts, and a run end to end in a simulated /autograder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from quiz_helpers import write_sheet

from grader.cli import cli
from grader.handoff.autograder import RUN_AUTOGRADER, SETUP_SH
from grader.spec.course import load_course

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one
SCENARIOS = ROOT / "tests" / "scenarios"
GRADESCOPE_SCHEMA = json.loads((ROOT / "tests" / "specs" / "gradescope-results.schema.json").read_text())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "autograder.zip"
    result = CliRunner().invoke(cli, ["export", "gradescope", "--course", str(COURSE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output
    return out


def test_zip_layout(bundle):
    with zipfile.ZipFile(bundle) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    names = list(infos)
    assert sorted(names[:2]) == ["run_autograder", "setup.sh"]  # at the root, not in a folder
    for script in ("setup.sh", "run_autograder"):
        assert (infos[script].external_attr >> 16) & 0o111, f"{script} must be executable"
    assert {"grader-src/pyproject.toml", "grader-src/grader/cli.py", "grader-src/grader/templates/report.txt.j2",
            "grader-src/grader/templates/ci_summary.md.j2", "grader-src/grader/spec/schemas/course.schema.json",
            "course/course.yaml", "course/exercises/entropy.yaml", "course/reference/entropy.py"} <= set(names)
    # the course and the grader only: no student build, no tests, no caches
    assert not any(".grader" in n or "public.json" in n or "scenarios" in n or "__pycache__" in n for n in names)
    assert not any(n.startswith(("tests/", "course/tests/", "course/grader/")) for n in names)


def test_export_is_reproducible(bundle, tmp_path):
    again = tmp_path / "again.zip"
    CliRunner().invoke(cli, ["export", "gradescope", "--course", str(COURSE), "--out", str(again)])
    assert again.read_bytes() == bundle.read_bytes()


def test_setup_script_installs_the_grader_and_checks_the_course():
    for script in (SETUP_SH, RUN_AUTOGRADER):
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
    assert SETUP_SH.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in SETUP_SH
    assert 'pip install --no-cache-dir "$SOURCE/grader-src"' in SETUP_SH
    assert 'grader validate --course "$SOURCE/course"' in SETUP_SH
    assert 'if [ -n "${GRADER_SKIP_INSTALL:-}" ]' in SETUP_SH
    assert '"$PY" -m grader.handoff.autograder run --root "$ROOT"' in RUN_AUTOGRADER
    assert "\r" not in SETUP_SH + RUN_AUTOGRADER


def unpack(bundle: Path, tmp_path: Path, scenario: str | None, nested: str | None = None) -> Path:
    """Lay out /autograder as Gradescope does: source/ from the zip, submission/, run_autograder copied up."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    submission = root / "submission"
    if scenario is not None:
        shutil.copytree(SCENARIOS / scenario / "submission", submission / nested if nested else submission)
    else:
        submission.mkdir()
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    return root


def run_autograder(root: Path, **extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({"GRADER_AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable, "GRADER_SKIP_INSTALL": "1"},
               **extra)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True)
    assert setup.returncode == 0 and "installing nothing" in setup.stdout
    proc = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    return proc, data


def test_end_to_end_correct_submission_with_a_quiz_sheet(bundle, tmp_path):
    root = unpack(bundle, tmp_path, "correct-numpy")
    student = "alice@example.edu"  # sheets built with the Gradescope e-mail as the student id
    (root / "submission_metadata.json").write_text(json.dumps({"users": [{"email": student, "name": "Alice"}]}))
    write_sheet(root / "submission", student, {"log_units": "ln"})
    proc, data = run_autograder(root)
    exercises = {ex.id for ex in load_course(COURSE).exercises}
    checks = [t for t in data["tests"] if t["tags"][0] in exercises and t["max_score"] > 0]  # no properties
    assert len(checks) == 31 and all(t["status"] == "passed" for t in checks)  # hidden cases included
    assert all(t["visibility"] == "visible" for t in checks)  # course.yaml: reveal: always
    questions = {t["name"].rsplit(": ", 1)[1]: t for t in data["tests"] if t["tags"][0] not in exercises}
    assert questions["log_units"]["status"] == "passed" and len(questions) == 17
    assert data["score"] == 31
    # the bundled grader graded (not whatever else is installed), and the log is for instructors
    assert f"grader {root / 'source' / 'grader-src' / 'grader'}" in proc.stdout
    assert "Score: 31/50" in proc.stdout


def test_end_to_end_folder_upload_and_hostile_writes(bundle, tmp_path):
    root = unpack(bundle, tmp_path, "hostile-fake-results", nested="my-homework")
    _proc, data = run_autograder(root)
    exercises = {ex.id for ex in load_course(COURSE).exercises}
    checks = [t for t in data["tests"] if t["tags"][0] in exercises and t["max_score"] > 0]  # no properties
    assert data["score"] == 0 and len(checks) == 31
    # wrong answers, not missing files: the folder inside the upload was found and graded
    assert {t["extra_data"]["status"] for t in checks} == {"failed"}


def test_end_to_end_grader_crash_still_writes_results(bundle, tmp_path):
    root = unpack(bundle, tmp_path, "correct-numpy")
    (root / "source" / "course" / "reference" / "entropy.py").unlink()
    proc, data = run_autograder(root)
    assert data["score"] == 0 and data["tests"] == []
    assert "not a problem with your code" in data["output"]
    assert "the course in the autograder does not load" in data["output"]
    assert "Traceback" in proc.stderr  # the details go to the instructors' log


def test_end_to_end_python_cannot_start(bundle, tmp_path):
    root = unpack(bundle, tmp_path, "correct-numpy")
    _proc, data = run_autograder(root, GRADER_PYTHON="/bin/false")
    assert data["score"] == 0 and "could not start" in data["output"]


def test_student_id_from_gradescope_first_then_the_sheet(tmp_path):
    from grader.handoff.autograder import _student

    submission = tmp_path / "submission"
    submission.mkdir()
    assert _student(tmp_path, submission) == ("submission", ())
    write_sheet(submission, "bob")
    assert _student(tmp_path, submission) == ("bob", ())
    (tmp_path / "submission_metadata.json").write_text(json.dumps({"users": [{"email": "eve@example.edu"}]}))
    # the sheet's student: line cannot override it (one submitter: no group whose sheet could stand in)
    assert _student(tmp_path, submission) == ("eve@example.edu", ())
