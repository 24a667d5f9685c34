"""Every LMS's submissions export, built here from the scenario submissions as the LMS names its files,
zipped and unzipped, graded with the right ids and names; wrappers are looked through or refused.

How each LMS lays out its download:
- Canvas (Download Submissions): one flat zip, ``<login>[_late]_<user id>_<submission id>_<file>``, a re-upload
  of the same file name ``<file>-1``;
- Gradescope (Export Submissions): ``assignment_<id>_export/`` with ``submission_metadata.yml`` (Ruby-style
  ``:submitters:`` with ``:name:``, ``:sid:``, ``:email:``) and one ``submission_<id>/`` folder per submission;
- Moodle (Download all submissions): ``<Full Name>_<id>_assignsubmission_<plugin>_/`` folders;
- GitHub Classroom (classroom assistant / ``gh classroom clone``): ``<assignment>-submissions/<assignment>-<login>/``
  repositories.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.classroom.batch import GRADEBOOK, SUMMARY, run_batch
from grader.classroom.gradebook import load_canvas_map
from grader.classroom.submissions import open_submissions
from grader.cli import cli
from grader.errors import InputError
from grader.judge.grade import Plan
from grader.spec.course import load_course
from grader.spec.expected import reference_outputs
from tests.quiz_helpers import right_answers, write_sheet

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "scenarios"
FILES = ("entropy.py", "cross_entropy.py", "kl_sweep.py")


@pytest.fixture(scope="module")
def plan(fast_course: Path) -> Plan:
    course = load_course(fast_course)
    return Plan.build(course, "course", reference_outputs(course))


def scenario(name: str, file: str) -> bytes:
    return (SCENARIOS / name / "submission" / file).read_bytes()


def sheet_text(student: str) -> bytes:
    """A quiz sheet answered right for ``student`` (built with grader build --student <that id>)."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_sheet(Path(tmp), student, right_answers(student)).read_bytes()


def zip_tree(folder: Path, archive: Path, *, under: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, under + path.relative_to(folder).as_posix())
    return archive


def gradebook(out: Path) -> dict[str, list[str]]:
    rows = list(csv.reader(io.StringIO((out / GRADEBOOK).read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["student", "name", "email"] and rows[0][-1] == "total"
    return {r[0]: [r[1], r[2], r[-1]] for r in rows[1:]}  # id -> name, e-mail, total


def found(source: Path, **kw) -> tuple[str, dict[str, tuple[str, str, list[str]]], list[str]]:
    """(layout, {id: (name, e-mail, files)}, notes) without grading."""
    with open_submissions(source, **kw) as f:
        return f.layout, {s.student: (s.name, s.email, sorted(p.name for p in s.path.iterdir()))
                          for s in f.students}, f.notes


def grade(plan: Plan, source: Path, out: Path, **kw) -> tuple[dict[str, list[str]], list[str]]:
    lines: list[str] = []
    state = run_batch(plan, source, out, jobs=2, progress=False, note=lines.append, **kw)
    assert not state.interrupted and state.graded == state.total
    return gradebook(out), lines


# -- Canvas ------------------------------------------------------------------------------------------

def canvas_export(tmp_path: Path) -> Path:
    """Jane (12345) on time; Alex (23456) late, whose entropy.py was uploaded twice (the second: entropy-1.py)."""
    flat = tmp_path / "canvas-download"
    flat.mkdir()
    for file in FILES:
        (flat / f"doejane_12345_67890_{file}").write_bytes(scenario("correct-numpy", file))
    (flat / "doejane_12345_67890_entropy.ipynb").write_text("{}")  # a notebook groups the same way
    (flat / "smithalex_late_23456_78901_entropy.py").write_bytes(scenario("mistake-log10", "entropy.py"))
    (flat / "smithalex_late_23456_78901_entropy-1.py").write_bytes(scenario("correct-numpy", "entropy.py"))
    for file in FILES[1:]:
        (flat / f"smithalex_late_23456_78901_{file}").write_bytes(scenario("mistake-log10", file))
    return flat


def test_canvas_files_group_by_user_id_and_the_latest_upload_wins(tmp_path: Path) -> None:
    flat = canvas_export(tmp_path)
    layout, students, notes = found(flat)
    assert layout == "canvas"
    assert students == {"12345": ("doejane", "", ["cross_entropy.py", "entropy.ipynb", "entropy.py", "kl_sweep.py"]),
                        "23456": ("smithalex", "", ["cross_entropy.py", "entropy.py", "kl_sweep.py"])}
    with open_submissions(flat) as f:
        alex = next(s for s in f.students if s.student == "23456")
        assert (alex.path / "entropy.py").read_bytes() == scenario("correct-numpy", "entropy.py")  # -1 is newer
    assert "Canvas marked 1 submission(s) late: 23456." in notes
    assert zip_tree(flat, tmp_path / "c.zip") and found(tmp_path / "c.zip")[:2] == (layout, students)


CANVAS_MAP = """\
section: Section A
assignments:
  total: {title: Information theory lab, id: 4714}
students:
  jdoe: {name: "Doe, Jane", id: 12345, sis_user_id: "-0042", sis_login_id: jdoe}
"""


def test_canvas_download_zip_grades_by_canvas_id(plan: Plan, tmp_path: Path) -> None:
    archive = zip_tree(canvas_export(tmp_path), tmp_path / "submissions.zip")
    (tmp_path / "canvas.yaml").write_text(CANVAS_MAP)
    book, lines = grade(plan, archive, tmp_path / "out", canvas=load_canvas_map(tmp_path / "canvas.yaml"))
    assert lines[0] == f"Found 2 students in a Canvas export ({archive})."
    assert book == {"12345": ["doejane", "", "30"], "23456": ["smithalex", "", "30"]}
    rows = list(csv.reader(io.StringIO((tmp_path / "out" / "canvas.csv").read_text(encoding="utf-8"))))
    # Jane is matched in the map by her Canvas ID (the map keys her as jdoe); Alex, not in the map, still gets
    # his Canvas ID, which Canvas matches first; the SIS id keeps its leading minus
    assert rows[2:] == [["Doe, Jane", "12345", "-0042", "jdoe", "Section A", "30"],
                        ["smithalex", "23456", "", "", "Section A", "30"]]
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["runs"][0]["layout"] == "canvas" and run["runs"][0]["source"] == str(archive)
    # what graded the run, once; each result repeats it
    env = run["runs"][0]["environment"]
    assert json.loads((tmp_path / "out" / "results" / "12345.json").read_text())["environment"] == env
    assert env["course_hash"] and env["seed_scheme"].startswith("v1: ")


# -- Gradescope --------------------------------------------------------------------------------------

METADATA = """\
submission_111:
  :submitters:
  - :name: Jane Doe
    :sid: '1001'
    :email: jane@example.edu
  :created_at: 2026-11-20 15:23:32.171355000 -08:00
  :score: 30.0
  :status: graded
submission_222:
  :submitters:
  - :name: Bob Roe
    :sid: '1002'
    :email:
  :created_at: 2026-11-20 16:01:00.000000000 -08:00
  :score: 0.0
submission_333:
  :submitters:
  - :name: Ann Lee
    :sid: '1003'
    :email: ann@example.edu
  - :name: Sam Park
    :sid: '1004'
    :email: sam@example.edu
  :created_at: 2026-11-21 09:00:00.000000000 -08:00
"""


def gradescope_export(tmp_path: Path) -> Path:
    """Jane's files plus a quiz sheet built for her e-mail; Bob's a zip of his folder; Ann and Sam one group."""
    base = tmp_path / "assignment_4242_export"
    base.mkdir(parents=True)
    (base / "submission_metadata.yml").write_text(METADATA)
    jane = base / "submission_111"
    jane.mkdir()
    for file in FILES:
        (jane / file).write_bytes(scenario("correct-numpy", file))
    (jane / "quiz.yaml").write_bytes(sheet_text("jane@example.edu"))
    bob = base / "submission_222"
    bob.mkdir()
    with zipfile.ZipFile(bob / "hw1.zip", "w") as zf:
        for file in FILES:
            zf.writestr(f"hw1/{file}", scenario("correct-numpy", file))
    shutil.copytree(SCENARIOS / "correct-loops" / "submission", base / "submission_333")
    return base


def test_gradescope_export_zip_grades_by_email_with_names(plan: Plan, tmp_path: Path) -> None:
    base = gradescope_export(tmp_path)
    archive = zip_tree(base, tmp_path / "assignment_4242_export.zip", under="assignment_4242_export/")
    book, lines = grade(plan, archive, tmp_path / "out")
    assert lines[0] == f"Found 4 students in a Gradescope export ({archive}/assignment_4242_export)."
    assert f"{archive} holds only the folder assignment_4242_export/: looked inside it." in lines
    assert "1 group submission(s), graded once per member: submission_333 (ann@example.edu, sam@example.edu)." in lines
    assert book == {
        "jane@example.edu": ["Jane Doe", "jane@example.edu", "50"],  # her quiz sheet, built for her e-mail, grades
        "1002": ["Bob Roe", "", "30"],                               # no e-mail: the sid; his zip was looked into
        "ann@example.edu": ["Ann Lee", "ann@example.edu", "30"],
        "sam@example.edu": ["Sam Park", "sam@example.edu", "30"],
    }
    summary = (tmp_path / "out" / SUMMARY).read_text()
    assert f"Read from {archive} as a Gradescope export." in summary


def test_gradescope_unzipped_export_in_its_download_folder_is_looked_through(tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    gradescope_export(downloads)
    layout, students, notes = found(downloads)
    assert layout == "gradescope" and sorted(students) == ["1002", "ann@example.edu", "jane@example.edu",
                                                           "sam@example.edu"]
    assert students["1002"] == ("Bob Roe", "", sorted(FILES))
    assert notes[0] == f"{downloads} holds only the folder assignment_4242_export/: looked inside it."


def test_gradescope_without_metadata_is_refused(tmp_path: Path) -> None:
    base = gradescope_export(tmp_path)
    (base / "submission_metadata.yml").unlink()
    with pytest.raises(InputError) as info:
        found(base, layout="gradescope")
    assert info.value.message == f"{base} has no submission_metadata.yml, so no student can be identified"


# -- Moodle ------------------------------------------------------------------------------------------

def moodle_export(tmp_path: Path) -> Path:
    root = tmp_path / "moodle"
    jane = root / "Jane Doe_501_assignsubmission_file_"
    jane.mkdir(parents=True)
    for file in FILES:
        (jane / file).write_bytes(scenario("correct-numpy", file))
    text = root / "Jane Doe_501_assignsubmission_onlinetext_"
    text.mkdir()
    (text / "onlinetext.html").write_text("<p>see files</p>")
    bob = root / "Bob Roe_502_assignsubmission_file_"
    bob.mkdir()
    for file in FILES:
        (bob / file).write_bytes(scenario("mistake-log10", file))
    return root


def test_moodle_zip_grades_by_moodle_id_with_names(plan: Plan, tmp_path: Path) -> None:
    root = moodle_export(tmp_path)
    layout, students, _ = found(root)
    assert layout == "moodle"
    assert students == {"501": ("Jane Doe", "", ["cross_entropy.py", "entropy.py", "kl_sweep.py", "onlinetext.html"]),
                        "502": ("Bob Roe", "", sorted(FILES))}
    archive = zip_tree(root, tmp_path / "moodle.zip")
    book, lines = grade(plan, archive, tmp_path / "out")
    assert lines[0] == f"Found 2 students in a Moodle export ({archive})."
    assert book["501"] == ["Jane Doe", "", "30"] and book["502"][:2] == ["Bob Roe", ""]
    assert float(book["502"][2]) < 30


# -- GitHub Classroom --------------------------------------------------------------------------------

def classroom_parent(tmp_path: Path) -> Path:
    parent = tmp_path / "hw1-submissions"
    for login, name in (("alice", "correct-numpy"), ("bob-smith", "mistake-log10")):
        repo = parent / f"hw1-{login}"
        shutil.copytree(SCENARIOS / name / "submission", repo)
        (repo / ".git").mkdir()
        (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
        (repo / "README.md").write_text("# hw1\n")
    return parent


def test_classroom_repositories_strip_the_assignment_prefix(plan: Plan, tmp_path: Path) -> None:
    parent = classroom_parent(tmp_path / "clone")
    book, lines = grade(plan, tmp_path / "clone", tmp_path / "out")
    assert lines[:3] == [f"Found 2 students in GitHub Classroom repositories ({parent}).",
                         f"{tmp_path / 'clone'} holds only the folder hw1-submissions/: looked inside it.",
                         "Student ids are the repository names without 'hw1-': hw1-alice → alice, "
                         "hw1-bob-smith → bob-smith."]
    assert book["alice"] == ["", "", "30"] and set(book) == {"alice", "bob-smith"}
    archive = zip_tree(parent, tmp_path / "repos.zip")
    assert found(archive, prefix="hw1-bob")[1].keys() == {"-smith", "hw1-alice"}
    assert found(archive)[0] == "classroom"


def test_cli_classroom_prefix_and_layout(fast_course: Path, tmp_path: Path) -> None:
    parent = classroom_parent(tmp_path)
    result = CliRunner().invoke(cli, ["batch", str(parent), "--course", str(fast_course), "--jobs", "1",
                                      "--out", str(tmp_path / "out"), "--prefix", "hw1-"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Found 2 students in GitHub Classroom repositories ({parent}).\n"
                                    "Student ids are the repository names without 'hw1-': ")
    result = CliRunner().invoke(cli, ["batch", str(parent), "--course", str(fast_course), "--out",
                                      str(tmp_path / "o2"), "--layout", "canvas"])
    assert result.exit_code == 4
    assert result.output.startswith(f"Error: {parent} holds no file named as Canvas names them ")
    result = CliRunner().invoke(cli, ["batch", str(parent), "--course", str(fast_course), "--out",
                                      str(tmp_path / "o3"), "--layout", "moodle", "--prefix", "hw1-"])
    assert result.exit_code == 2
    assert result.output == ("Error: --prefix is for GitHub Classroom repositories\n"
                             "Drop --prefix, or use --layout classroom.\n")


# -- wrappers, and nobody to grade -------------------------------------------------------------------

def test_a_folder_of_exports_is_refused_naming_the_export(tmp_path: Path) -> None:
    top = tmp_path / "exports"
    gradescope_export(top)
    moodle_export(top)
    with pytest.raises(InputError) as info:
        found(top)
    assert info.value.message == f"{top / 'assignment_4242_export'} looks like a Gradescope export, not one student's folder"
    assert info.value.hint == f"Pass {top / 'assignment_4242_export'} itself (or --layout gradescope with it)."


def test_folders_of_folders_are_refused_not_graded_as_students(tmp_path: Path) -> None:
    top = tmp_path / "sections"
    for section, students in (("A", ("alice", "bob")), ("B", ("carol", "dave"))):
        for student in students:
            shutil.copytree(SCENARIOS / "correct-numpy" / "submission", top / section / student)
    with pytest.raises(InputError) as info:
        found(top)
    assert info.value.message == (f"{top} holds 2 folder(s) that hold only folders (e.g. {top / 'A'}: alice/, bob/): "
                                  "no student could be identified")
    assert found(top, layout="folders")[1].keys() == {"A", "B"}  # forced: the user's call
    archive = zip_tree(top, tmp_path / "sections.zip")
    with pytest.raises(InputError) as info:
        found(archive)
    assert info.value.message.startswith(f"{archive} holds 2 folder(s) that hold only folders (e.g. {archive}/A: ")


def test_an_export_with_nobody_in_it_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    (empty / "__MACOSX").mkdir(parents=True)
    (empty / "notes.txt").write_text("x")
    with pytest.raises(InputError) as info:
        found(empty)
    assert info.value.message == (f"no student could be identified in {empty} (read as one folder per student; "
                                  "it holds 0 folder(s) and 1 file(s))")


def test_a_student_folder_that_is_one_folder_is_looked_into(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    shutil.copytree(SCENARIOS / "correct-numpy" / "submission", klass / "alice" / "hw1")
    (klass / "erin").mkdir()  # an empty folder is still a student who handed in nothing
    layout, students, _ = found(klass)
    assert layout == "folders" and students == {"alice": ("", "", sorted(FILES)), "erin": ("", "", [])}


def test_gradescope_metadata_read_leniently_and_errors_name_the_line(tmp_path: Path) -> None:
    """Ruby-flavoured YAML (``:symbol`` keys, times, ``!ruby/...`` tags) reads; a broken file names file:line."""
    from grader.classroom.layouts import Shown, read_gradescope_metadata

    meta = tmp_path / "submission_metadata.yml"
    meta.write_text(":submission_9:\n  :submitters:\n  - !ruby/hash:ActiveSupport::HashWithIndifferentAccess\n"
                    "    :name: Ann\n    :sid: 7\n  :score: !ruby/object:BigDecimal 18:0.3e2\n"
                    "  :created_at: 2026-11-21 09:00:00.000000000 -08:00\n")
    assert read_gradescope_metadata(meta, Shown(meta, None)) == {":submission_9": [{"name": "Ann", "email": "",
                                                                                   "sid": "7"}]}
    meta.write_text("submission_1:\n  :submitters: [\n")
    with pytest.raises(InputError) as info:
        read_gradescope_metadata(meta, Shown(meta, None))
    assert info.value.message.startswith(f"{meta}:3: cannot read Gradescope's submission metadata")


def test_gradescope_metadata_of_the_wrong_shape_is_an_input_error_or_a_note(tmp_path: Path) -> None:
    """Found by fuzzing: submitters that are not a list, and nesting deep enough to exhaust the parser's stack,
    crashed the grader (TypeError, RecursionError)."""
    from grader.classroom.layouts import Shown, read_gradescope_metadata

    meta = tmp_path / "submission_metadata.yml"
    meta.write_text("submission_1:\n  :submitters: 5\nsubmission_2:\n  :submitters: Ann\n")
    assert read_gradescope_metadata(meta, Shown(meta, None)) == {"submission_1": [], "submission_2": []}
    meta.write_text("submission_1:\n  :submitters: " + "[" * 3000 + "]" * 3000 + "\n")
    with pytest.raises(InputError) as info:
        read_gradescope_metadata(meta, Shown(meta, None))
    assert info.value.message == f"{meta}: cannot read Gradescope's submission metadata: it is nested too deeply"


def test_canvas_names() -> None:
    from grader.classroom.layouts import canvas_name

    assert canvas_name("doejane_12345_67890_entropy.py") == ("12345", "doejane", False, "entropy.py", 0)
    assert canvas_name("smithalex_late_23456_78901_kl_sweep-2.py") == ("23456", "smithalex", True, "kl_sweep.py", 2)
    assert canvas_name("doejane_12345_67890_entropy.ipynb")[3] == "entropy.ipynb"
    assert canvas_name("doejane_12345_text.html") == ("12345", "doejane", False, "text.html", 0)
    assert canvas_name("entropy.py") is None and canvas_name("kl_sweep.py") is None


def _unreadable(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """``folder`` cannot be listed, as without read permission (the tests run as root, whom chmod does not stop)."""
    scandir = os.scandir

    def refuse(path):
        if isinstance(path, (str, os.PathLike)) and Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)


def test_an_unreadable_export_is_named_not_reported_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    klass = tmp_path / "class"
    (klass / "alice").mkdir(parents=True)
    _unreadable(monkeypatch, klass)
    with pytest.raises(InputError) as info:
        found(klass)
    assert (info.value.message, info.value.hint) == (
        f"{klass} cannot be read (Permission denied)",
        "Check that the grader may read it and everything in it, then run the command again.")


def test_an_unreadable_student_folder_is_noted_and_the_others_graded(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    klass = tmp_path / "class"
    shutil.copytree(SCENARIOS / "correct-numpy" / "submission", klass / "alice")
    (klass / "bob").mkdir()
    _unreadable(monkeypatch, klass / "bob")
    with open_submissions(klass) as f:
        assert [s.student for s in f.students] == ["alice", "bob"]
        assert f.notes == [f"bob: {klass / 'bob'} cannot be read (Permission denied); graded as it is (its files "
                           "will be missing)."]
