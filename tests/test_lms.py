"""Every LMS's submissions export, built here from the scenario submissions as the LMS's own code names its
files, zipped and unzipped, graded with the right ids and names; wrappers are looked through or refused;
nothing in an export is dropped without being listed, and a dropped student fails the batch.

Each builder below cites the repository, file and function whose naming it follows (fetched for issue 25):
- Canvas (Download Submissions): instructure/canvas-lms lib/content_zipper.rb, app/models/attachment.rb,
  lib/anonymity.rb, doc/api/group_category_csv.md;
- Moodle (Download all submissions, grading worksheet): moodle/moodle mod/assign/classes/downloader.php and its
  test mod/assign/tests/downloader_test.php, mod/assign/gradingtable.php, mod/assign/feedback/offline/;
- Gradescope (Export Submissions): ``submission_metadata.yml`` (Ruby-style ``:submitters:``);
- GitHub Classroom: github/gh-classroom cmd/gh-classroom/clone/student-repos/student-repos.go and
  education/classroom-assistant app/lib/pathutils.js.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

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


def alone(plan: Plan, tmp_path: Path, work: dict[str, dict[str, bytes]]) -> dict[str, str]:
    """What ``grader check`` gives each student's files alone (a folder of just those files, graded against the
    same course): the total every LMS export of them must give."""
    from grader.classroom.gradebook import number

    out = {}
    for student, files in work.items():
        folder = tmp_path / "alone" / student.replace("@", "_at_")
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        result = CliRunner().invoke(cli, ["check", str(folder), "--course", str(plan.course.root), "--format", "json"])
        assert result.exit_code in (0, 1), result.output
        out[student] = number(json.loads(result.output)["score"])
    return out


def files_of(name: str) -> dict[str, bytes]:
    return {file: scenario(name, file) for file in FILES}


def zip_raw_names(folder: Path, archive: Path) -> Path:
    """A zip as rubyzip writes Canvas's downloads: UTF-8 names without the UTF-8 flag (Zip.unicode_names is
    off by default). Python's zipfile sets the flag for any non-ASCII name, so each name is written as a
    same-length ASCII placeholder whose bytes are then replaced by the UTF-8 name."""
    names = {}
    with zipfile.ZipFile(archive, "w") as zf:
        for n, path in enumerate(sorted(folder.rglob("*"))):
            if path.is_file():
                real = path.relative_to(folder).as_posix().encode("utf-8")
                mark = f"{n:04d}".encode()  # unique at both ends: no placeholder is part of another
                placeholder = b"@" + mark + b"#" * (len(real) - 10) + mark + b"@"
                names[placeholder] = real
                zf.writestr(placeholder.decode(), path.read_bytes())
    raw = archive.read_bytes()
    for placeholder, real in names.items():
        assert raw.count(placeholder) == 2  # the local header and the central directory
        raw = raw.replace(placeholder, real)
    archive.write_bytes(raw)
    return archive


# -- Canvas ------------------------------------------------------------------------------------------

def canvas_prefix(sortable_name: str, user_id: int, *, late: bool = False, anonymous_id: str | None = None) -> str:
    """instructure/canvas-lms lib/content_zipper.rb, ContentZipper#get_filename: [users_name, "LATE" when late,
    user_id or "anon_<anonymous_id>"].compact.join("_"), then #sanitize_file_name (word characters only: "_"
    stays). users_name (#get_user_name, #sanitize_user_name) is the sortable name with "_<digits>_" closed up,
    lower-cased; under anonymous grading (anonymize_students?) it is left out."""
    users_name = None if anonymous_id else re.sub(r"_(\d+)_", r"\1", sortable_name).lower()
    ident = f"anon_{anonymous_id}" if anonymous_id else str(user_id)
    return re.sub(r"[^\w]", "", "_".join(p for p in (users_name, "LATE" if late else None, ident) if p is not None))


ATTACHMENT_UNSAFE = re.compile(r'[\x00/\\:*?"<>|]+')


def canvas_upload(prefix: str, attachment_id: int, display_name: str) -> str:
    """ContentZipper#add_upload_submission: "<prefix>_<attachment id>_<display name>" (#sanitize_attachment_filename
    turns \\/:*?"<>| into "_"). A re-upload's display name is "<name>-N<ext>" (app/models/attachment.rb,
    Attachment.make_unique_filename)."""
    return f"{prefix}_{attachment_id}_{ATTACHMENT_UNSAFE.sub('_', display_name)}"


def canvas_text(prefix: str) -> str:
    """ContentZipper#add_text_or_url(:text): "<prefix>_text.html"."""
    return f"{prefix}_text.html"


def canvas_export(tmp_path: Path) -> Path:
    """Jane (12345) on time; Alex (23456) late, whose entropy.py was uploaded twice (the second: entropy-1.py)."""
    flat = tmp_path / "canvas-download"
    flat.mkdir()
    jane, alex = canvas_prefix("Doe, Jane", 12345), canvas_prefix("Smith, Alex", 23456, late=True)
    for file in FILES:
        (flat / canvas_upload(jane, 67890, file)).write_bytes(scenario("correct-numpy", file))
    (flat / canvas_upload(jane, 67891, "entropy.ipynb")).write_text("{}")  # a notebook groups the same way
    (flat / canvas_upload(alex, 78901, "entropy.py")).write_bytes(scenario("mistake-log10", "entropy.py"))
    (flat / canvas_upload(alex, 78902, "entropy-1.py")).write_bytes(scenario("correct-numpy", "entropy.py"))
    for file in FILES[1:]:
        (flat / canvas_upload(alex, 78903, file)).write_bytes(scenario("mistake-log10", file))
    return flat


def test_canvas_files_group_by_user_id_and_the_latest_upload_wins(tmp_path: Path) -> None:
    flat = canvas_export(tmp_path)
    layout, students, notes = found(flat)
    assert layout == "canvas"
    assert sorted(p.name for p in flat.iterdir())[:2] == ["doejane_12345_67890_cross_entropy.py",
                                                          "doejane_12345_67890_entropy.py"]
    assert (flat / "smithalex_LATE_23456_78902_entropy-1.py").is_file()  # Canvas writes LATE in capitals
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


def test_canvas_anonymous_grading_keeps_the_anonymous_ids(plan: Plan, tmp_path: Path) -> None:
    """Anonymous grading: no name, "anon_<5 base58 characters>" for the user id (lib/anonymity.rb,
    Anonymity.generate_short_id: SecureRandom.base58(5)), which may be all digits."""
    flat = tmp_path / "anonymous"
    flat.mkdir()
    work = {"anon_xK3pQ": files_of("correct-numpy"), "anon_Zz9aB": files_of("mistake-log10"),
            "anon_48213": files_of("correct-loops")}
    late = {"anon_Zz9aB"}
    for n, (sid, files) in enumerate(work.items()):
        prefix = canvas_prefix("", 0, anonymous_id=sid[5:], late=sid in late)
        for file, data in files.items():
            (flat / canvas_upload(prefix, 900 + n, file)).write_bytes(data)
    assert (flat / "LATE_anon_Zz9aB_901_entropy.py").is_file() and (flat / "anon_48213_902_entropy.py").is_file()
    expected = alone(plan, tmp_path, work)
    for source in (flat, zip_tree(flat, tmp_path / "anonymous.zip")):
        book, lines = grade(plan, source, tmp_path / f"out-{source.suffix}")
        assert {sid: row[2] for sid, row in book.items()} == expected
        assert lines[:2] == [f"Found 3 students in a Canvas export ({source}).",
                             "Canvas anonymous grading: 3 student(s) are known by their anonymous id (anon_<id>), "
                             "kept as it is."]
        assert "Canvas marked 1 submission(s) late: anon_Zz9aB." in lines
        assert found(source, layout="canvas")[1].keys() == expected.keys()  # forced, the same three
    (tmp_path / "canvas.yaml").write_text(CANVAS_MAP)
    with pytest.raises(InputError) as info:
        grade(plan, flat, tmp_path / "out-canvas", canvas=load_canvas_map(tmp_path / "canvas.yaml"))
    assert info.value.message == ("canvas.csv cannot hold anon_48213: Canvas does not import anonymous ids, only user "
                                  "ids (nor the 2 other anonymous id(s) of this export)")
    assert info.value.hint.startswith("Grade again after the assignment is de-anonymised")
    assert not (tmp_path / "out-canvas" / "gradebook.csv").exists()  # refused before grading, not after


def test_canvas_sortable_names_with_underscores_and_utf8_names_without_the_flag(plan: Plan, tmp_path: Path) -> None:
    """Canvas keeps "_" in a sortable name (a word character) and rubyzip stores UTF-8 names unflagged."""
    flat = tmp_path / "names"
    flat.mkdir()
    people = {"4810011": ("de_Souza, Ana", "correct-numpy"), "4810012": ("Müller, Jürgen", "mistake-log10"),
              "4810013": ("O'Brien_2_Kate", "correct-loops")}
    for n, (uid, (sortable, name)) in enumerate(people.items()):
        prefix = canvas_prefix(sortable, int(uid))
        for file in FILES:
            (flat / canvas_upload(prefix, 7000 + n, file)).write_bytes(scenario(name, file))
        (flat / canvas_text(prefix)).write_text("<p>see my files</p>")
    assert canvas_prefix("de_Souza, Ana", 4810011) == "de_souzaana_4810011"
    assert canvas_prefix("O'Brien_2_Kate", 4810013) == "obrien2kate_4810013"  # sanitize_user_name closes _2_ up
    archive = zip_raw_names(flat, tmp_path / "names.zip")
    with zipfile.ZipFile(archive) as zf:
        assert not any(i.flag_bits & 0x800 for i in zf.infolist())
    expected = alone(plan, tmp_path, {uid: files_of(name) for uid, (_s, name) in people.items()})
    for source in (flat, archive):
        layout, students, _notes = found(source)
        assert layout == "canvas"
        assert {uid: s[0] for uid, s in students.items()} == {"4810011": "de_souzaana", "4810012": "müllerjürgen",
                                                              "4810013": "obrien2kate"}
        assert students["4810012"][2] == sorted([*FILES, "text.html"])
        book, _ = grade(plan, source, tmp_path / f"out{source.suffix}")
        assert {uid: row[2] for uid, row in book.items()} == expected


def test_canvas_group_assignment_gives_every_member_a_row(plan: Plan, tmp_path: Path) -> None:
    """A group assignment's download has one file set per group, under one member (app/models/assignment.rb,
    Assignment#representatives); the group set's export (doc/api/group_category_csv.md's columns, with name and
    sections as Canvas's export adds them) names the members."""
    flat = tmp_path / "groups"
    flat.mkdir()
    for file in FILES:
        (flat / canvas_upload(canvas_prefix("Doe, Jane", 12345), 501, file)).write_bytes(scenario("correct-numpy", file))
        (flat / canvas_upload(canvas_prefix("Lee, Ann", 23456), 502, file)).write_bytes(scenario("mistake-log10", file))
    (tmp_path / "groups.csv").write_text(
        "name,canvas_user_id,user_id,login_id,sections,group_name,canvas_group_id,group_id\n"
        '"Doe, Jane",12345,S1,jdoe,Section A,Team Red,88,\n'
        '"Roe, Bob",12346,S2,broe,Section A,Team Red,88,\n'
        '"Lee, Ann",23456,S3,alee,Section A,Team Blue,89,\n')
    from grader.classroom.rosters import Rosters, read_canvas_groups

    rosters = Rosters(canvas_groups=read_canvas_groups(tmp_path / "groups.csv"))
    expected = alone(plan, tmp_path, {"red": files_of("correct-numpy"), "blue": files_of("mistake-log10")})
    (tmp_path / "canvas.yaml").write_text("assignments:\n  total: {title: Lab, id: 4714}\nstudents:\n"
                                          "  jdoe: {name: 'Doe, Jane', id: 12345}\n  broe: {name: 'Roe, Bob', id: 12346}\n"
                                          "  alee: {name: 'Lee, Ann', id: 23456}\n")
    result = CliRunner().invoke(cli, ["batch", str(flat), "--course", str(plan.course.root), "--jobs", "1",
                                      "--out", str(tmp_path / "no-groups"), "--canvas", str(tmp_path / "canvas.yaml")])
    assert result.exit_code == 0, result.output
    assert ("Warning: 1 student(s) of the Canvas map have no submission in this export, e.g. Roe, Bob (12346): "
            "canvas.csv has no row for them. In a group assignment Canvas files the group's work under one member: "
            "pass --canvas-groups (the group set's export) so that every member gets the group's grade.\n") \
        in result.output
    for source in (flat, zip_tree(flat, tmp_path / "g.zip")):
        book, lines = grade(plan, source, tmp_path / f"out{source.suffix}", rosters=rosters)
        assert book == {"12345": ["Doe, Jane", "", expected["red"]], "12346": ["Roe, Bob", "", expected["red"]],
                        "23456": ["Lee, Ann", "", expected["blue"]]}
        assert ("2 group submission(s), graded for every member (groups.csv): Team Red (12345, 12346), "
                "Team Blue (23456).") in lines


def test_nothing_in_a_canvas_export_is_dropped_in_silence(fast_course: Path, tmp_path: Path) -> None:
    """A file that is not Canvas's is listed; one that looks like a submission but cannot be read as one fails
    the batch with exit 5 after every student found was graded."""
    flat = canvas_export(tmp_path)
    (flat / "readme.txt").write_text("downloaded on Monday")
    result = CliRunner().invoke(cli, ["batch", str(flat), "--course", str(fast_course), "--jobs", "1",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert ("Skipped: " + str(flat / "smithalex_LATE_23456_78901_entropy.py") +
            ": an older upload of entropy.py (Canvas's re-upload -1 is graded)") in result.output
    assert f"Skipped: {flat / 'readme.txt'}: not named as Canvas names a submission " in result.output
    (flat / "roebob_34567_kl_sweep.py").write_bytes(scenario("correct-numpy", "kl_sweep.py"))  # no attachment id
    result = CliRunner().invoke(cli, ["batch", str(flat), "--course", str(fast_course), "--jobs", "1",
                                      "--out", str(tmp_path / "out2")])
    assert result.exit_code == 5, result.output
    assert (f"Not graded: {flat / 'roebob_34567_kl_sweep.py'}: not named as Canvas names a submission "
            "(<sortable name>[_LATE]_<user id>_<attachment id>_<file name>)\n") in result.output
    assert result.output.endswith("Error: 1 entry of the export look like a student's submission but could not be "
                                  "graded (listed above and in summary.html); every student found was graded.\n")
    assert (tmp_path / "out2" / "gradebook.csv").is_file()
    summary = (tmp_path / "out2" / "summary.html").read_text()
    assert (f"<li><b>{flat / 'roebob_34567_kl_sweep.py'}</b>: not named as Canvas names a submission") in summary
    assert "(1 looks like a student's submission: grader batch exited 5)" in summary


def test_shards_list_what_was_not_graded_once_and_merge_fails_the_same_way(fast_course: Path, tmp_path: Path) -> None:
    flat = canvas_export(tmp_path)
    (flat / "roebob_34567_kl_sweep.py").write_bytes(scenario("correct-numpy", "kl_sweep.py"))  # no attachment id
    for k in (1, 2):
        result = CliRunner().invoke(cli, ["batch", str(flat), "--course", str(fast_course), "--jobs", "1",
                                          "--shard", f"{k}/2", "--out", str(tmp_path / f"s{k}")])
        assert result.exit_code == 5, result.output
    result = CliRunner().invoke(cli, ["merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 5, result.output
    assert result.output.count(f"Not graded: {flat / 'roebob_34567_kl_sweep.py'}: ") == 1
    summary = (tmp_path / "m" / "summary.html").read_text()
    assert summary.count(f"<li><b>{flat / 'roebob_34567_kl_sweep.py'}</b>") == 1


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
    # the group's one quiz sheet, built for its second member: the autograder and the batch accept it for both
    (base / "submission_333" / "quiz.yaml").write_bytes(sheet_text("sam@example.edu"))
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
        "ann@example.edu": ["Ann Lee", "ann@example.edu", "50"],  # the group's sheet, built for Sam, is Ann's too
        "sam@example.edu": ["Sam Park", "sam@example.edu", "50"],
    }
    summary = (tmp_path / "out" / SUMMARY).read_text()
    assert f"Read from {archive} as a Gradescope export." in summary


def test_gradescope_entries_nobody_can_be_graded_for_are_listed(tmp_path: Path) -> None:
    base = gradescope_export(tmp_path)
    shutil.copytree(base / "submission_111", base / "submission_444")  # Jane again, in a second submission
    shutil.copytree(base / "submission_111", base / "submission_555")  # a folder the metadata does not list
    (base / "submission_metadata.yml").write_text(METADATA + "submission_444:\n  :submitters:\n"
                                                  "  - :name: Jane Doe\n    :email: jane@example.edu\n"
                                                  "submission_666:\n  :submitters:\n  - :name: Kim Ro\n"
                                                  "    :email: kim@example.edu\n")
    with open_submissions(base) as f:
        assert [(d.entry, d.reason, d.student) for d in f.dropped] == [
            (str(base / "submission_555"), "not listed in submission_metadata.yml, so nobody's", True),
            ("submission_666 (kim@example.edu)", "listed in submission_metadata.yml but the export has no such folder",
             True),
            ("a second submission for jane@example.edu", "the export holds two submissions under this id; the first "
             "one read was graded", True)]


def test_gradescope_autograder_accepts_a_group_sheet_built_for_any_member(tmp_path: Path) -> None:
    """Gradescope's autograder gets one submission for a group, with every member in submission_metadata.json's
    users (the sheet was built for the second): it is graded with that member's numbers; a sheet built for
    someone outside the group still is not."""
    from grader.handoff.autograder import _student
    from grader.judge.quiz import grade_quizzes
    from tests.quiz_helpers import course

    (tmp_path / "submission_metadata.json").write_text(json.dumps({"users": [
        {"email": "ann@example.edu", "sid": "1003", "name": "Ann Lee"},
        {"email": "sam@example.edu", "sid": "1004", "name": "Sam Park"}]}))
    student, accept = _student(tmp_path, tmp_path)
    assert (student, accept) == ("ann@example.edu", ("ann@example.edu", "1003", "sam@example.edu", "1004"))
    write_sheet(tmp_path / "s", "sam@example.edu", right_answers("sam@example.edu"))
    quizzes = course().quizzes
    results, error = grade_quizzes(quizzes, tmp_path / "s", student=student, accept=accept)
    assert error is None and [q.score for q in results] == [q.points for q in quizzes]
    assert results[0].message.splitlines()[:2] == [
        "graded as student 'sam@example.edu'",
        "the group's sheet was built for sam@example.edu, a member of the group with ann@example.edu: graded with "
        "sam@example.edu's numbers"]
    write_sheet(tmp_path / "t", "eve@example.edu", right_answers("eve@example.edu"))
    results, _ = grade_quizzes(quizzes, tmp_path / "t", student=student, accept=accept)
    assert sum(q.score for q in results) == 0


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

MOODLE_CLEAN = re.compile(r"[\x00-\x1f\x7f&<>\"`|':\\/]")


def moodle_clean_filename(text: str) -> str:
    """moodle/moodle lib/moodlelib.php, clean_filename: clean_param(PARAM_FILE) strips control characters and
    &<>"`|':\\/."""
    return MOODLE_CLEAN.sub("", text)


def moodle_folder(name: str, number: int | None, plugin: str = "file", *, before_4_1: bool = False) -> str:
    """mod/assign/classes/downloader.php: get_student_prefix (name with "_" as " ", then "_<participant id>", or
    for a team the group's name and "_<group id>", none for "Default group") and load_submissionplugin_filelist
    (clean_filename(prefix_assignsubmission_<plugin>)). Before 4.1 (mod/assign/locallib.php,
    download_submissions) the folder ended in "_"."""
    prefix = moodle_clean_filename(name.replace("_", " ") + (f"_{number}" if number is not None else ""))
    return moodle_clean_filename(f"{prefix}_assignsubmission_{plugin}") + ("_" if before_4_1 else "")


# mod/assign/tests/downloader_test.php, load_filelist_downloadasfolder_scenarios(): expected paths exactly as the
# test writes them ("All users without groups", "All users with users in the default team"); test_load_filelist()
# turns them into real ones with str_replace (moodle_expected below). The download-as-files scenarios are the same
# with "/" replaced by "_" (load_filelist_downloadasfiles_scenarios).
DOWNLOADER_TEST_ALL_USERS = [
    'STUDENT1_STUDENT1.ID_assignsubmission_file/submissionsample01.txt',
    'STUDENT1_STUDENT1.ID_assignsubmission_file/submissionsample02.txt',
    'STUDENT2_STUDENT2.ID_assignsubmission_file/submissionsample01.txt',
    'STUDENT2_STUDENT2.ID_assignsubmission_file/submissionsample02.txt',
    'STUDENT3_STUDENT3.ID_assignsubmission_file/submissionsample01.txt',
    'STUDENT3_STUDENT3.ID_assignsubmission_file/submissionsample02.txt',
    'STUDENT4_STUDENT4.ID_assignsubmission_file/submissionsample01.txt',
    'STUDENT4_STUDENT4.ID_assignsubmission_file/submissionsample02.txt',
]
DOWNLOADER_TEST_DEFAULT_TEAM = [
    'GROUP1_GROUP1.ID_assignsubmission_file/submissionsample01.txt',
    'GROUP1_GROUP1.ID_assignsubmission_file/submissionsample02.txt',
    'DEFAULTTEAM_assignsubmission_file/submissionsample01.txt',
    'DEFAULTTEAM_assignsubmission_file/submissionsample02.txt',
]


def moodle_expected(paths: list[str], users: dict[str, tuple[str, int]], groups: dict[str, tuple[str, int]]) -> list[str]:
    """downloader_test.php, test_load_filelist(): str_replace($search, $replace, $path) with, in this order,
    PARTICIPANT, DEFAULTTEAM, then each user's STUDENTn.ID (get_uniqueid_for_user) and STUDENTn
    (prepare_filename_text(fullname)), then each group's GROUPn.ID and GROUPn (prepare_filename_text(name))."""
    search = [("PARTICIPANT", "Participant"), ("DEFAULTTEAM", "Default group")]
    for key, (full, pid) in users.items():
        search += [(f"{key}.ID".upper(), str(pid)), (key.upper(), moodle_clean_filename(full.replace("_", " ")))]
    for key, (name, gid) in groups.items():
        search += [(f"{key}.ID".upper(), str(gid)), (key.upper(), moodle_clean_filename(name.replace("_", " ")))]
    out = []
    for path in paths:
        for old, new in search:  # PHP's str_replace with arrays: each pair over the whole string, in turn
            path = path.replace(old, new)
        out.append(path)
    return out


def write_paths(root: Path, paths: list[str], content: dict[str, bytes] | None = None) -> Path:
    for rel in paths:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((content or {}).get(target.name, rel.encode()))
    return root


def moodle_export(tmp_path: Path) -> Path:
    """Moodle before 4.1: folders end in "_"."""
    root = tmp_path / "moodle"
    jane = root / moodle_folder("Jane Doe", 501, before_4_1=True)
    jane.mkdir(parents=True)
    for file in FILES:
        (jane / file).write_bytes(scenario("correct-numpy", file))
    text = root / moodle_folder("Jane Doe", 501, "onlinetext", before_4_1=True)
    text.mkdir()
    (text / "onlinetext.html").write_text("<p>see files</p>")
    bob = root / moodle_folder("Bob Roe", 502, before_4_1=True)
    bob.mkdir()
    for file in FILES:
        (bob / file).write_bytes(scenario("mistake-log10", file))
    assert jane.name == "Jane Doe_501_assignsubmission_file_"
    return root


def test_moodle_zip_grades_by_moodle_id_with_names(plan: Plan, tmp_path: Path) -> None:
    root = moodle_export(tmp_path)
    layout, students, notes = found(root)
    assert layout == "moodle"
    assert students == {"501": ("Jane Doe", "", ["cross_entropy.py", "entropy.py", "kl_sweep.py", "onlinetext.html"]),
                        "502": ("Bob Roe", "", sorted(FILES))}
    assert notes == ["Moodle's numbers are participant ids of this assignment, not user ids: pass --moodle "
                     "WORKSHEET.csv (Download grading worksheet) for names, e-mails, team members and a worksheet "
                     "to upload the grades back."]
    archive = zip_tree(root, tmp_path / "moodle.zip")
    book, lines = grade(plan, archive, tmp_path / "out")
    assert lines[0] == f"Found 2 students in a Moodle export ({archive})."
    assert book["501"] == ["Jane Doe", "", "30"] and book["502"][:2] == ["Bob Roe", ""]
    assert float(book["502"][2]) < 30


MOODLE_USERS = {"student1": ("Jane Doe", 501), "student2": ("Bob_Smith", 502), "student3": ("Chloé Martin", 503),
                "student4": ("Li Wei", 504)}


@pytest.mark.parametrize("as_files", [False, True], ids=["folders", "files"])
def test_moodle_4_1_names_exactly_as_downloader_test_expects(tmp_path: Path, as_files: bool) -> None:
    paths = moodle_expected(DOWNLOADER_TEST_ALL_USERS, MOODLE_USERS, {})
    if as_files:
        paths = [p.replace("/", "_") for p in paths]  # load_filelist_downloadasfiles_scenarios
    assert paths[2] == ("Bob Smith_502_assignsubmission_file_submissionsample01.txt" if as_files
                        else "Bob Smith_502_assignsubmission_file/submissionsample01.txt")
    root = write_paths(tmp_path / "moodle41", paths)
    samples = ["submissionsample01.txt", "submissionsample02.txt"]
    want = {"501": ("Jane Doe", "", samples), "502": ("Bob Smith", "", samples), "503": ("Chloé Martin", "", samples),
            "504": ("Li Wei", "", samples)}
    for source in (root, zip_tree(root, tmp_path / "m.zip")):
        layout, students, _ = found(source)
        assert (layout, students) == ("moodle", want)
        assert found(source, layout="moodle")[1] == want


WORKSHEET = (  # the columns mod/assign/gradingtable.php writes for a worksheet (English strings)
    'Identifier,"Full name","Email address",Status,Grade,"Maximum grade","Grade can be changed",'
    '"Last modified (submission)","Online text","Last modified (grade)","Feedback comments"\n'
    '"Participant 501","Jane Doe",jane@example.edu,"Submitted for grading",,100.00,Yes,'
    '"Monday, 7 December 2026, 9:00 AM","<p>see</p>\n<p>files</p>",-,\n'
    '"Participant 502","Bob Smith",bob@example.edu,"Submitted for grading",,100.00,Yes,'
    '"Monday, 7 December 2026, 9:05 AM",,-,\n'
    '"Participant 505","=Eve Hacker",eve@example.edu,"No submission",,100.00,Yes,-,,-,\n'
)


def moodle_upload(text: str, maximum: float) -> dict[str, float]:
    """The grades Moodle's Upload grading worksheet would set, read as its importer reads the file:
    mod/assign/feedback/offline/importgradeslib.php (assignfeedback_offline_grade_importer::init finds the
    columns get_string('recordid') "Identifier", get_string('grade') "Grade" and get_string('lastmodifiedgrade')
    "Last modified (grade)" by name, and refuses the file without one; ::next strips get_string('hiddenuser')
    "Participant " from the identifier) and locallib.php (process_import_grades skips a blank, negative or
    out-of-range grade)."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert all(c in header for c in ("Identifier", "Grade", "Last modified (grade)")), "invalidgradeimport"
    ident, grade = header.index("Identifier"), header.index("Grade")
    out = {}
    for rec in rows[1:]:
        value = rec[grade]
        if value == "" or not 0 <= float(value) <= maximum:
            continue
        out[rec[ident][len("Participant "):]] = float(value)
    return out


def test_moodle_worksheet_round_trip(plan: Plan, tmp_path: Path) -> None:
    """Moodle 4.1+ folders (a file and an online text for Jane), the grading worksheet for names and e-mails,
    and moodle.csv: the same worksheet with the grades, which Moodle's importer reads back."""
    root = tmp_path / "moodle41"
    for name, pid, scen in (("Jane Doe", 501, "correct-numpy"), ("Bob_Smith", 502, "mistake-log10")):
        write_paths(root, [f"{moodle_folder(name, pid)}/{f}" for f in FILES], files_of(scen))
    write_paths(root, [f"{moodle_folder('Jane Doe', 501, 'onlinetext')}/onlinetext.html"])
    (tmp_path / "worksheet.csv").write_text(WORKSHEET, encoding="utf-8-sig")
    expected = alone(plan, tmp_path, {"501": files_of("correct-numpy"), "502": files_of("mistake-log10")})
    out = tmp_path / "out"
    from grader.classroom.rosters import Rosters, read_moodle_worksheet

    rosters = Rosters(moodle=read_moodle_worksheet(tmp_path / "worksheet.csv"))
    book, lines = grade(plan, zip_tree(root, tmp_path / "m.zip"), out, rosters=rosters)
    assert book == {"501": ["Jane Doe", "jane@example.edu", expected["501"]],
                    "502": ["Bob Smith", "bob@example.edu", expected["502"]]}
    assert not any("participant ids" in line for line in lines)  # the worksheet says who is who
    text = (out / "moodle.csv").read_text("utf-8")
    jane, bob = (round(float(expected[p]) / 50 * 100, 2) for p in ("501", "502"))
    assert text.splitlines() == [
        'Identifier,Full name,Email address,Status,Grade,Maximum grade,Grade can be changed,'
        'Last modified (submission),Online text,Last modified (grade),Feedback comments',
        f'Participant 501,Jane Doe,jane@example.edu,Submitted for grading,{jane:g},100.00,Yes,'
        '"Monday, 7 December 2026, 9:00 AM","<p>see</p>',
        '<p>files</p>",-,',
        f'Participant 502,Bob Smith,bob@example.edu,Submitted for grading,{bob:g},100.00,Yes,'
        '"Monday, 7 December 2026, 9:05 AM",,-,',
        "Participant 505,'=Eve Hacker,eve@example.edu,No submission,,100.00,Yes,-,,-,",
    ]
    assert moodle_upload(text, 100.0) == {"501": jane, "502": bob}


def test_moodle_worksheets_moodle_could_not_take_back_are_refused_before_grading(tmp_path: Path) -> None:
    """Blind marking: gradingtable.php writes no Full name (the id alone is read); a scale: Scale instead of
    Maximum grade (refused: Moodle takes scale names back); a file without Grade (importer: invalidgradeimport)."""
    from grader.classroom.rosters import read_moodle_worksheet

    blind = tmp_path / "blind.csv"
    blind.write_text("Identifier,Status,Grade,Maximum grade,Grade can be changed,Last modified (grade)\n"
                     "Participant 501,Submitted for grading,,10.00,Yes,-\n")
    assert list(read_moodle_worksheet(blind).people) == ["501"]
    scale = tmp_path / "scale.csv"
    scale.write_text("Identifier,Full name,Status,Grade,Scale,Grade can be changed,Last modified (grade)\n")
    with pytest.raises(InputError) as info:
        read_moodle_worksheet(scale)
    assert info.value.message == (f"Moodle grading worksheet {scale} is for an assignment graded with a scale: Moodle "
                                  "takes scale names back, and a score cannot say which one")
    bare = tmp_path / "bare.csv"
    bare.write_text("Identifier,Full name\nParticipant 501,Jane Doe\n")
    with pytest.raises(InputError) as info:
        read_moodle_worksheet(bare)
    assert info.value.message == (f"Moodle grading worksheet {bare} has no column 'Grade', 'Last modified (grade)', "
                                  "'Maximum grade'")


def test_moodle_team_folders_with_and_without_the_worksheet(plan: Plan, fast_course: Path, tmp_path: Path) -> None:
    """downloader_test.php's "All users with users in the default team": a group's folder and the default
    group's, which has no id."""
    groups = {"group1": ("Team_Alpha", 42)}
    paths = moodle_expected(DOWNLOADER_TEST_DEFAULT_TEAM, MOODLE_USERS, groups)
    assert paths[0] == "Team Alpha_42_assignsubmission_file/submissionsample01.txt"
    assert paths[2] == "Default group_assignsubmission_file/submissionsample01.txt"
    root = tmp_path / "teams"
    for folder, scen in ((paths[0].split("/")[0], "correct-numpy"), (paths[2].split("/")[0], "mistake-log10")):
        write_paths(root, [f"{folder}/{f}" for f in FILES], files_of(scen))
    expected = alone(plan, tmp_path, {"alpha": files_of("correct-numpy"), "default": files_of("mistake-log10")})
    # Without the worksheet: one row per group, said on stderr and in the summary.
    result = CliRunner().invoke(cli, ["batch", str(root), "--course", str(fast_course), "--jobs", "1",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert gradebook(tmp_path / "out") == {"group-42": ["Team Alpha", "", expected["alpha"]],
                                           "default-group": ["Default group", "", expected["default"]]}
    assert ("Warning: the row group-42 (Team Alpha): pass --moodle WORKSHEET.csv (its Group column names the "
            "members)\nWarning: the row default-group (Default group): pass --moodle WORKSHEET.csv (its Group column "
            "names the members)\nWarning: 2 gradebook row(s) stand for a whole group, not one student; pass the "
            "LMS's roster (--moodle, --canvas-groups or --roster) to give each member a row.\n") in result.output
    summary = (tmp_path / "out" / "summary.html").read_text()
    assert "<b>2 rows stand for a whole group, not one student</b>" in summary
    assert "<li>group-42 (Team Alpha): pass --moodle WORKSHEET.csv (its Group column names the members)</li>" in summary
    # With it (gradingtable.php adds the Group column, col_team: the group's name or "Default group"):
    (tmp_path / "ws.csv").write_text(
        'Identifier,Full name,Email address,Status,Group,Grade,Maximum grade,Grade can be changed,'
        'Last modified (submission),Last modified (grade),Feedback comments\n'
        'Participant 501,Jane Doe,jane@example.edu,Submitted for grading,Team_Alpha,,10.00,Yes,-,-,\n'
        'Participant 502,Bob Smith,bob@example.edu,Submitted for grading,Team_Alpha,,10.00,Yes,-,-,\n'
        'Participant 503,Chloé Martin,chloe@example.edu,Submitted for grading,Default group,,10.00,Yes,-,-,\n'
        'Participant 504,Li Wei,li@example.edu,No submission,Default group,,10.00,Yes,-,-,\n')
    result = CliRunner().invoke(cli, ["batch", str(zip_tree(root, tmp_path / "t.zip")), "--course", str(fast_course),
                                      "--jobs", "1", "--out", str(tmp_path / "out2"), "--moodle", str(tmp_path / "ws.csv")])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    assert gradebook(tmp_path / "out2") == {
        "501": ["Jane Doe", "jane@example.edu", expected["alpha"]], "502": ["Bob Smith", "bob@example.edu", expected["alpha"]],
        "503": ["Chloé Martin", "chloe@example.edu", expected["default"]],
        "504": ["Li Wei", "li@example.edu", expected["default"]]}
    uploaded = moodle_upload((tmp_path / "out2" / "moodle.csv").read_text("utf-8"), 10.0)
    result = CliRunner().invoke(cli, ["batch", str(canvas_export(tmp_path)), "--course", str(fast_course),
                                      "--out", str(tmp_path / "out3"), "--moodle", str(tmp_path / "ws.csv")])
    assert result.exit_code == 2
    assert result.output.endswith(f"Error: --moodle {tmp_path / 'ws.csv'} is for a Moodle export, but "
                                  f"{tmp_path / 'canvas-download'} was read as a Canvas export\n"
                                  "Drop --moodle, or pass --layout moodle if the export is one.\n")
    assert uploaded == {p: round(float(expected[k]) / 50 * 10, 2) for p, k in
                        (("501", "alpha"), ("502", "alpha"), ("503", "default"), ("504", "default"))}


@settings(max_examples=300, deadline=None)
@given(full=st.text(alphabet=st.sampled_from("ab é_-'&0123456789"), min_size=1, max_size=20),
       number=st.integers(1, 10**9), plugin=st.sampled_from(["file", "onlinetext"]), old=st.booleans(),
       file=st.from_regex(r"[a-z][a-z_0-9]{0,8}\.py", fullmatch=True))
def test_moodle_names_read_back_whatever_the_full_name(full: str, number: int, plugin: str, old: bool,
                                                        file: str) -> None:
    """Any full name, folder (4.1+ or older) or file download: the participant id and the name come back."""
    from grader.classroom.layouts import moodle_name

    folder = moodle_folder(full, number, plugin, before_4_1=old)
    name = moodle_clean_filename(full.replace("_", " "))
    assert moodle_name(folder, is_dir=True) == (name, str(number), plugin, "")
    flat = moodle_folder(full, number, plugin) + "_" + file  # load_submissionplugin_filelist, downloadasfolders off
    assert moodle_name(flat, is_dir=False) == (name, str(number), plugin, file)


def test_moodle_ids_are_anchored_right_and_one_id_is_never_two_students(tmp_path: Path) -> None:
    root = tmp_path / "ids"
    # a full name that imitates a Moodle folder name (had Moodle not turned "_" into " ") cannot move the id
    write_paths(root, ["Bob Smith_1001_assignsubmission_file__777_assignsubmission_file/entropy.py",
                       f"{moodle_folder('Bob Smith', 1001)}/entropy.py"])
    assert {k: v[0] for k, v in found(root)[1].items()} == {"1001": "Bob Smith",
                                                           "777": "Bob Smith_1001_assignsubmission_file_"}
    write_paths(root, [f"{moodle_folder('Carol Jones', 1001, 'onlinetext')}/onlinetext.html"])
    with pytest.raises(InputError) as info:
        found(root)
    assert info.value.message == (f"{root}: participant 1001 is claimed by two names, 'Bob Smith' and 'Carol Jones' "
                                  "(Bob Smith_1001_assignsubmission_file, Carol Jones_1001_assignsubmission_onlinetext)")


# -- GitHub Classroom --------------------------------------------------------------------------------

def git_repo(repo: Path, scenario_name: str) -> Path:
    shutil.copytree(SCENARIOS / scenario_name / "submission", repo)
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / "README.md").write_text("# hw1\n")
    return repo


def classroom_parent(tmp_path: Path) -> Path:
    """gh classroom clone student-repos (github/gh-classroom cmd/gh-classroom/clone/student-repos/student-repos.go,
    NewCmdStudentRepo): <directory>/<assignment slug>-submissions/<repository name>, each repository
    <slug>-<login>."""
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
                         "Student ids are the repository names without 'hw1-' (gh classroom clone put them in "
                         "hw1-submissions/): hw1-alice → alice, hw1-bob-smith → bob-smith."]
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
                                    "Student ids are the repository names without 'hw1-' (--prefix): ")
    result = CliRunner().invoke(cli, ["batch", str(parent), "--course", str(fast_course), "--out",
                                      str(tmp_path / "o2"), "--layout", "canvas"])
    assert result.exit_code == 4
    assert result.output.startswith(f"Error: {parent} holds no file named as Canvas names them ")
    result = CliRunner().invoke(cli, ["batch", str(parent), "--course", str(fast_course), "--out",
                                      str(tmp_path / "o3"), "--layout", "moodle", "--prefix", "hw1-"])
    assert result.exit_code == 2
    assert result.output == ("Error: --prefix is for GitHub Classroom repositories\n"
                             "Drop --prefix, or use --layout classroom.\n")


def classroom_assistant(tmp_path: Path) -> Path:
    """Classroom Assistant (education/classroom-assistant app/lib/pathutils.js: getAssignmentFolder names the
    folder "<assignment>-<mm-dd-yyyy-hh-MM-ss>", getClonePath clones into <folder>/<sanitize(name)>, where
    submission-clone.js passes the roster identifier, else the username): no assignment prefix."""
    top = tmp_path / "hw1-12-07-2026-09-00-00"
    git_repo(top / "wang-li", "correct-numpy")
    git_repo(top / "wang-wei", "mistake-log10")
    return top


def test_classroom_assistant_folders_keep_their_names(plan: Plan, tmp_path: Path) -> None:
    top = classroom_assistant(tmp_path)
    expected = alone(plan, tmp_path, {"wang-li": files_of("correct-numpy"), "wang-wei": files_of("mistake-log10")})
    for source in (top, zip_tree(top, tmp_path / "assistant.zip")):
        book, lines = grade(plan, source, tmp_path / f"out{source.suffix}")
        assert {k: v[2] for k, v in book.items()} == expected
        assert lines[1] == ("Every repository starts with 'wang-', which was not stripped (Classroom Assistant names "
                            "folders by roster id or login, with no prefix); pass --prefix wang- if it is the "
                            "assignment's.")
    (tmp_path / "roster.csv").write_text('"identifier","github_username","github_id","name"\n'
                                         '"wang-li","lwang","101","Li Wang"\n"wang-wei","wwang","102","Wei Wang"\n')
    from grader.classroom.rosters import Rosters, read_classroom_roster

    rosters = Rosters(classroom=read_classroom_roster(tmp_path / "roster.csv"))
    assert {k: v[0] for k, v in found(top, rosters=rosters)[1].items()} == {"wang-li": "Li Wang", "wang-wei": "Wei Wang"}


def test_classroom_roster_decides_the_prefix_and_expands_teams(plan: Plan, tmp_path: Path) -> None:
    parent = tmp_path / "repos"  # not named <slug>-submissions: only the roster can tell
    git_repo(parent / "lab2-alice", "correct-numpy")
    git_repo(parent / "lab2-red-team", "mistake-log10")
    (tmp_path / "roster.csv").write_text("identifier,github_username,github_id,name,team\n"
                                         "s001,alice,1,Alice Ng,\ns002,bob,2,Bob Roe,red-team\n"
                                         "s003,carol,3,Carol Li,red-team\n")
    from grader.classroom.rosters import Rosters, read_classroom_roster

    rosters = Rosters(classroom=read_classroom_roster(tmp_path / "roster.csv"))
    assert found(parent)[1].keys() == {"lab2-alice", "lab2-red-team"}  # no roster, no folder name: kept
    expected = alone(plan, tmp_path, {"a": files_of("correct-numpy"), "team": files_of("mistake-log10")})
    book, lines = grade(plan, parent, tmp_path / "out", rosters=rosters)
    assert book == {"s001": ["Alice Ng", "", expected["a"]], "s002": ["Bob Roe", "", expected["team"]],
                    "s003": ["Carol Li", "", expected["team"]]}
    assert ("Student ids are the repository names without 'lab2-' (the names without it are in roster.csv): "
            "lab2-alice → alice, lab2-red-team → red-team.") in lines
    assert "Team red-team: graded for its 2 member(s): s002, s003." in lines
    # a roster's id names files in OUT: one that could leave it is refused, never written
    (tmp_path / "bad.csv").write_text("identifier,github_username,name\n../../evil,alice,Alice Ng\n")
    with open_submissions(parent, rosters=Rosters(classroom=read_classroom_roster(tmp_path / "bad.csv"))) as f:
        assert [s.student for s in f.students] == ["red-team"]
        assert [(d.entry, d.student) for d in f.dropped] == [("'../../evil' (Alice Ng)", True)]


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


@settings(max_examples=300, deadline=None)
@given(sortable=st.text(alphabet=st.sampled_from("abcdeé_ ,'-0123456789Ø"), max_size=16),
       user_id=st.integers(1, 10**12), attachment_id=st.integers(1, 10**12), late=st.booleans(),
       display=st.from_regex(r"[a-z][a-z_0-9]{0,8}\.(py|ipynb)", fullmatch=True))
def test_canvas_names_read_back_as_canvas_reads_them(sortable: str, user_id: int, attachment_id: int, late: bool,
                                                     display: str) -> None:
    """When no field of the sortable name is all digits (Canvas's writer and its own reader, app/models/assignment.rb
    infer_comment_context_from_filename, then agree), user id, name, LATE and file name come back as written;
    otherwise the name is still read, with the user id Canvas's reader finds (the first all-digit field) or the
    true one."""
    from grader.classroom.layouts import canvas_name

    name = canvas_upload(canvas_prefix(sortable, user_id, late=late), attachment_id, display)
    parsed = canvas_name(name)
    canvas_reader = [f for f in name.split("_") if re.fullmatch(r"\d+", f)][:2]
    assert parsed is not None and parsed[0] in (canvas_reader[0], str(user_id))
    users_name = canvas_prefix(sortable, user_id)[: -len(str(user_id)) - 1]
    if not any(re.fullmatch(r"\d+", f) or f.upper() == "LATE" for f in users_name.split("_")):
        assert parsed == (str(user_id), users_name, late, display, 0)


@settings(max_examples=200, deadline=None)
@given(anon=st.text(alphabet="123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", min_size=5, max_size=5),
       attachment_id=st.integers(1, 10**9), late=st.booleans())
def test_canvas_anonymous_ids_are_kept_as_they_are(anon: str, attachment_id: int, late: bool) -> None:
    from grader.classroom.layouts import canvas_name

    name = canvas_upload(canvas_prefix("", 0, anonymous_id=anon, late=late), attachment_id, "entropy.py")
    assert canvas_name(name, anonymous=True) == (f"anon_{anon}", "", late, "entropy.py", 0)


def test_canvas_names() -> None:
    from grader.classroom.layouts import canvas_name

    assert canvas_name("doejane_12345_67890_entropy.py") == ("12345", "doejane", False, "entropy.py", 0)
    assert canvas_name("smithalex_late_23456_78901_kl_sweep-2.py") == ("23456", "smithalex", True, "kl_sweep.py", 2)
    assert canvas_name("smithalex_LATE_23456_78901_kl_sweep.py") == ("23456", "smithalex", True, "kl_sweep.py", 0)
    assert canvas_name("de_souzaana_4810011_55_entropy.py") == ("4810011", "de_souzaana", False, "entropy.py", 0)
    assert canvas_name("anon_xK3pQ_55_entropy.py") == ("anon_xK3pQ", "", False, "entropy.py", 0)
    assert canvas_name("anon_48213_55_entropy.py") == ("48213", "anon", False, "entropy.py", 0)  # alone: unknown
    assert canvas_name("anon_48213_55_entropy.py", anonymous=True) == ("anon_48213", "", False, "entropy.py", 0)
    assert canvas_name("doejane_12345_link.html") == ("12345", "doejane", False, "link.html", 0)
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
