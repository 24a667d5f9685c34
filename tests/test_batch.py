"""grader batch and grader merge: a small class with correct, mistaken, hostile and empty submissions.

The course is a copy with short time limits, so the infinite loop costs half a second, not two.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from grader.classroom.batch import GRADEBOOK, MANIFEST, RESULTS, SUMMARY, merge, reports_enabled, run_batch
from grader.classroom.gradebook import (
    CANVAS_INFO,
    CanvasMap,
    CanvasStudent,
    guard_cell,
    load_canvas_map,
    write_canvas,
)
from grader.classroom.submissions import extract_zip, parse_shard, shard_of
from grader.cli import cli
from grader.errors import InputError, SpecError, UsageError
from grader.judge.grade import Plan
from grader.record import GradeResult
from grader.spec.course import load_course
from grader.spec.expected import reference_outputs
from grader.spec.yamlspec import schema
from tests.quiz_helpers import right_answers, write_sheet

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one
SCENARIOS = ROOT / "tests" / "scenarios"
FORMULA_ID = "=HYPERLINK(1)"
CLASS = {  # student id -> scenario (None: an empty folder)
    "alice": "correct-numpy",
    "bob": "mistake-log10",
    "carol": "hostile-infinite-loop",
    "dave": "hostile-sys-exit",
    "erin": None,
    "frank": "mistake-kl-swapped",
    "grace": "correct-loops",
    FORMULA_ID: "correct-math",
}


@pytest.fixture(scope="module")
def plan(fast_course: Path) -> Plan:
    course = load_course(fast_course)
    return Plan.build(course, "course", reference_outputs(course))


def perfect_sheet(folder: Path, student: str) -> None:
    """A quiz sheet with every answer right (as in test_quiz_grading)."""
    write_sheet(folder, student, right_answers(student))


def make_class(root: Path, students: dict[str, str | None] = CLASS) -> Path:
    """One folder per student; alice also answers the quiz perfectly, the others hand in no sheet."""
    root.mkdir(parents=True, exist_ok=True)
    for student, scenario in students.items():
        if scenario is None:
            (root / student).mkdir()
        else:
            shutil.copytree(SCENARIOS / scenario / "submission", root / student)
    if "alice" in students:
        perfect_sheet(root / "alice", "alice")
    return root


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


def gradebook(out: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((out / GRADEBOOK).read_text(encoding="utf-8"))))


def manifest_students(out: Path) -> list[str]:
    """Students with a complete row (a hard stop may leave half a line, which the next run drops)."""
    students = []
    for line in (out / MANIFEST).read_text().splitlines():
        try:
            students.append(json.loads(line)["student"])
        except ValueError:
            pass
    return students


def without_durations(data: object) -> object:
    if isinstance(data, dict):
        return {k: without_durations(v) for k, v in data.items() if k not in ("duration", "execution_time")}
    if isinstance(data, list):
        return [without_durations(v) for v in data]
    return data


FORMATS = ("junit", "gradescope")  # every extra per-student view, so that merge is shown to carry them all


@pytest.fixture(scope="module")
def graded(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The whole class graded once, shared by the tests that only read the outputs."""
    base = tmp_path_factory.mktemp("graded")
    klass = make_class(base / "class")
    before = snapshot(klass)
    state = run_batch(plan, klass, base / "out", jobs=2, progress=False, formats=FORMATS)
    assert not state.interrupted and state.graded == len(CLASS)
    assert snapshot(klass) == before, "the submissions folder must not change"
    return klass, base / "out"


def test_class_gradebook(graded: tuple[Path, Path]) -> None:
    _, out = graded
    rows = gradebook(out)
    assert rows[0] == ["student", "name", "email", "entropy", "cross_entropy", "kl_sweep", "information_theory", "total"]
    by_student = {r[0]: [r[0], *r[3:]] for r in rows[1:]}
    assert all(r[1:3] == ["", ""] for r in rows[1:])  # folders carry no names
    assert len(rows) - 1 == len(by_student) == len(CLASS)
    assert [r[0] for r in rows[1:]] == sorted(guard_cell(s) for s in CLASS)
    assert by_student["alice"][1:] == ["10", "10", "10", "20", "50"]
    assert by_student["grace"][1:] == ["10", "10", "10", "0", "30"]
    assert by_student["bob"][1] != "10" and by_student["bob"][2:4] == ["10", "10"]
    assert by_student["erin"][1:] == ["0", "0", "0", "0", "0"]
    assert float(by_student["carol"][-1]) < 30 and float(by_student["dave"][-1]) < 30
    assert "'" + FORMULA_ID in by_student, "a student id that looks like a formula is defused"


def test_results_keep_the_check_contract(graded: tuple[Path, Path]) -> None:
    _, out = graded
    validator = Draft202012Validator(schema("result"))
    for student in CLASS:
        data = json.loads((out / RESULTS / f"{student}.json").read_text())
        assert not list(validator.iter_errors(data)), student
        assert GradeResult.from_dict(data).student == student
    carol = json.loads((out / RESULTS / "carol.json").read_text())
    messages = [c["message"] for ex in carol["exercises"] for c in ex["checks"]]
    assert any("time limit exceeded" in m for m in messages)
    dave = json.loads((out / RESULTS / "dave.json").read_text())
    assert any("tried to stop the grader early" in c["message"] or "exited" in c["message"]
               for ex in dave["exercises"] for c in ex["checks"])


def test_summary_lists_problems_and_timing(graded: tuple[Path, Path]) -> None:
    _, out = graded
    html = (out / SUMMARY).read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    # one script, the table sort, and only it may run (its hash in the CSP); nothing is loaded
    from grader.classroom.summary import SCRIPT_HASH, SORT_SCRIPT

    assert html.count("<script") == 1 and f"<script>{SORT_SCRIPT}</script>" in html
    assert f"script-src '{SCRIPT_HASH}'" in html and "default-src 'none'" in html
    problems = html[html.index("<h2>Submissions that errored or timed out</h2>"):html.index("<h2>Timing</h2>")]
    assert "<p>3 submissions:\n1 with crash; 3 with error; 1 with timeout.</p>" in problems
    # each listed student with the kinds of problem its row names, and the first problem (the kind is the
    # grader's reading of it: an infinite loop is a timeout, sys.exit a crash, a missing file an error)
    rows = re.findall(r"<tr><td>([^<]*)</td><td>(.*?)</td>\s*<td class=\"num\">([^<]*)</td>\s*<td>(.*?)</td></tr>",
                      problems)
    assert [(student, re.findall(r'<span class="kind kind-[a-z-]+">([a-z ]+)</span>', kinds), score,
             re.sub(r" <span.*", "", first)) for student, kinds, score, first in rows] == [
        ("carol", ["timeout", "error"], "23 / 50",
         "<b>entropy: four-sided die</b>: time limit exceeded: entropy() ran for more than 0.5 s"),
        ("dave", ["crash", "error"], "16 / 50",
         "<b>kl_divergence: KL(P‖Q) for P=[0.7,0.2,0.1], Q=[0.33,0.33,0.34]</b>: the process exited with status 0 "
         "(sys.exit or os._exit in student code ends grading early) while running kl_divergence()"),
        ("erin", ["error"], "0 / 50", "<b>entropy: four-sided die</b>: entropy.py is missing from the submission"),
    ]
    assert "Checks, hardest first" in html and "<h2>Timing</h2>" in html
    run = json.loads((out / "run.json").read_text())
    assert run["runs"][0]["graded"] == len(CLASS) and run["runs"][0]["wall_seconds"] > 0
    # what graded the run: the environment and the confinement the kernel offered (this machine has both layers)
    conf = run["runs"][0]["confinement"]
    assert run["runs"][0]["environment"]["seed_scheme"].startswith("v1")
    assert conf["runner"] == "confined" and conf["missing"] == [] and conf["kernel"]["landlock"] is True


def test_reports(graded: tuple[Path, Path]) -> None:
    if not reports_enabled():
        pytest.skip("the html report format is not on this branch yet")
    _, out = graded
    for student in CLASS:
        assert (out / "reports" / f"{student}.html").is_file()


def test_resume_after_lost_and_altered_outputs(plan: Plan, graded: tuple[Path, Path], tmp_path: Path) -> None:
    klass, first = graded
    out = tmp_path / "out"
    shutil.copytree(first, out)
    (out / RESULTS / "bob.json").unlink()  # lost
    (out / RESULTS / "alice.json").write_text("{}")  # altered
    with (out / MANIFEST).open("a") as fh:
        fh.write('{"student": "half a line')  # a hard stop in the middle of a write
    (out / GRADEBOOK).unlink()
    state = run_batch(plan, klass, out, jobs=2, progress=False)
    assert (state.graded, state.skipped) == (2, len(CLASS) - 2)
    assert gradebook(out) == gradebook(first)
    assert manifest_students(out) == sorted(CLASS)
    # A changed submission is regraded; a changed course spec regrades everyone.
    changed = tmp_path / "class"
    shutil.copytree(klass, changed)
    shutil.copytree(SCENARIOS / "correct-numpy" / "submission", changed / "bob", dirs_exist_ok=True)
    write_sheet(changed / "alice", "alice")  # a blank quiz sheet this time
    state = run_batch(plan, changed, out, jobs=1, progress=False)
    assert state.graded == 2
    book = {r[0]: r for r in gradebook(out)}
    assert book["bob"][-1] == "30" and book["alice"][-2:] == ["0", "30"]


def interrupt(cmd: list[str], env: dict[str, str], out: Path, rows: int, signals: int) -> str:
    """Start the batch, wait until the manifest holds ``rows`` rows, then press Ctrl-C ``signals`` times."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (out / MANIFEST).exists() and (out / MANIFEST).read_text().count("\n") >= rows:
            break
        time.sleep(0.02)
    for _ in range(signals):
        proc.send_signal(signal.SIGINT)
        time.sleep(0.02)
    _, err = proc.communicate(timeout=60)
    if signals == 1:
        assert proc.returncode == 130, err
        assert "Run the same command again" in err
    else:  # the second Ctrl-C may land after the first one's clean stop, while Python exits
        assert proc.returncode in (130, -signal.SIGINT), err
    assert not (out / GRADEBOOK).exists()
    return err


def test_interrupt_then_resume(fast_course: Path, tmp_path: Path) -> None:
    total = len(CLASS) + 16
    klass = make_class(tmp_path / "class", {**CLASS, **{f"s{i:02d}": "correct-numpy" for i in range(16)}})
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "grader", "batch", str(klass), "--out", str(out), "--course", str(fast_course),
           "--jobs", "1"]
    interrupt(cmd, env, out, rows=2, signals=1)  # finishes the submission under way, then stops
    assert 2 <= len(set(manifest_students(out))) < total
    interrupt(cmd, env, out, rows=len(manifest_students(out)) + 2, signals=2)  # stops at once
    done = set(manifest_students(out))
    assert len(done) < total
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(done)} unchanged since the last run were kept" in rerun.stdout
    students = manifest_students(out)
    assert students == sorted(students) and len(students) == len(set(students)) == total
    assert len(gradebook(out)) == total + 1


def test_zip_input(plan: Plan, graded: tuple[Path, Path], tmp_path: Path) -> None:
    klass, first = graded
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(klass.rglob("*")):
            zf.write(path, "download/" + str(path.relative_to(klass)))  # an LMS wraps everything in a folder
    before = archive.read_bytes()
    run_batch(plan, archive, tmp_path / "out", jobs=2, progress=False)
    assert archive.read_bytes() == before
    assert gradebook(tmp_path / "out") == gradebook(first)


@pytest.mark.parametrize(("name", "words"), [
    ("../evil.py", "leaves its folder"),
    ("/etc/evil.py", "absolute path"),
    ("a/../../evil.py", "leaves its folder"),
], ids=["dotdot", "absolute", "nested-dotdot"])
def test_zip_refuses_paths_outside(tmp_path: Path, name: str, words: str) -> None:
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("alice/entropy.py", "x = 1\n")
        zf.writestr(name, "x = 1\n")
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(InputError, match=words):
        extract_zip(archive, dest)
    assert not (tmp_path / "evil.py").exists()


def test_zip_refuses_links(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("alice/entropy.py")
        info.external_attr = (0o120777 << 16)  # a symbolic link
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="link or special file"):
        extract_zip(archive, tmp_path)


def test_an_encrypted_or_damaged_zip_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    """Both made `grader batch` say the grader itself crashed (RuntimeError from zipfile; zlib.error)."""
    encrypted = tmp_path / "encrypted.zip"
    with zipfile.ZipFile(encrypted, "w") as zf:
        zf.writestr("alice/entropy.py", "x = 1\n")
    data = bytearray(encrypted.read_bytes())  # set the "encrypted" flag bit, as a password-protected entry has it
    data[data.find(b"PK\x03\x04") + 6] |= 0x1  # local header
    data[data.find(b"PK\x01\x02") + 8] |= 0x1  # central directory
    encrypted.write_bytes(bytes(data))
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(damaged, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("alice/entropy.py", "x=1\n" * 100)
    data = bytearray(damaged.read_bytes())
    start = data.find(b"alice/entropy.py") + len("alice/entropy.py")  # the deflate stream follows the local header
    data[start + 2] ^= 0xFF
    data[start + 3] ^= 0xFF
    damaged.write_bytes(bytes(data))
    # The encrypted member leaves no student at all (an input error); the damaged one is charged to alice, whose
    # folder it was in: she is listed as not graded with the reason, and the batch exits 5 (issue 22).
    for archive, words, code in ((encrypted, "is encrypted ('alice/entropy.py' needs a password)", 4),
                                 (damaged, "cannot extract 'alice/entropy.py' from the zip: Error -3 while "
                                           "decompressing", 5)):
        result = CliRunner().invoke(cli, ["batch", str(archive), "--course", str(COURSE),
                                          "--out", str(tmp_path / archive.stem)])
        assert result.exit_code == code, result.output
        assert words in result.output and "crashed" not in result.output, result.output


def tree(out: Path) -> dict[str, bytes]:
    """Every file of a batch's output folder, by its path there."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


#: Files of a batch's output whose bytes carry its timings (compared without them) or its shards (compared apart).
TIMED = {"manifest.jsonl", "run.json", "summary.html"}


def test_shard_and_merge_equal_a_single_run(plan: Plan, graded: tuple[Path, Path], tmp_path: Path) -> None:
    klass, single = graded
    shards = []
    for k in (1, 2, 3):
        out = tmp_path / f"shard{k}"
        run_batch(plan, klass, out, jobs=1, shard=(k, 3), progress=False, formats=FORMATS)
        shards.append(out)
    parts = [set(manifest_students(s)) for s in shards]
    assert sum(len(p) for p in parts) == len(CLASS) and set.union(*parts) == set(CLASS)
    merged = tmp_path / "merged"
    before = [snapshot(s) for s in shards]
    count, _ = merge(shards, merged)
    assert count == len(CLASS)
    assert [snapshot(s) for s in shards] == before, "merge must not change its inputs"
    # The whole output tree: the same files (every view of every student), the same bytes apart from timings.
    mine, theirs = tree(merged), tree(single)
    assert sorted(mine) == sorted(theirs)
    assert {f.split("/")[0] for f in mine} == {".lock", GRADEBOOK, MANIFEST, "run.json", SUMMARY, "summary.json", RESULTS,
                                             "reports", *FORMATS}
    for name in sorted(set(mine) - TIMED):
        if name == "summary.json":  # the class summary's data: equal but for its timing section
            assert ({k: v for k, v in json.loads(mine[name]).items() if k != "timing"}
                    == {k: v for k, v in json.loads(theirs[name]).items() if k != "timing"})
        elif name.startswith((RESULTS + "/", "gradescope/")):
            assert without_durations(json.loads(mine[name])) == without_durations(json.loads(theirs[name])), name
        elif name.startswith("junit/"):
            untimed = [re.sub(rb' (time|timestamp)="[^"]*"', b"", x) for x in (mine[name], theirs[name])]
            assert untimed[0] == untimed[1], name
        elif name.startswith("reports/"):
            untimed = [re.sub(rb"Graded in [0-9.]+ s", b"", x) for x in (mine[name], theirs[name])]
            assert untimed[0] == untimed[1], name
        else:
            assert mine[name] == theirs[name], name
    # the manifest's rows alike, but for the hash of each record's bytes (which hold its timings): that hash must
    # be of the record merge wrote beside it, or the next run would regrade the student
    rows, single_rows = ([without_durations(json.loads(line)) for line in files[MANIFEST].decode().splitlines()]
                         for files in (mine, theirs))
    for row in rows:
        assert row.pop("result_sha") == hashlib.sha256(mine[f"{RESULTS}/{row['student']}.json"]).hexdigest()[:32]
    assert rows == [{k: v for k, v in row.items() if k != "result_sha"} for row in single_rows]
    html = (merged / SUMMARY).read_text()
    assert all(f"{k}/3" in html for k in (1, 2, 3))


@pytest.mark.parametrize(("damage", "words"), [
    (lambda out: (out / "run.json").write_text((out / "run.json").read_text()[:-40]), "/run.json cannot be read ("),
    (lambda out: (out / "run.json").write_text(json.dumps({**json.loads((out / "run.json").read_text()),
                                                          "items": 5})),
     "/run.json is not a finished batch's run.json (at items: 5 is not of type 'array')"),
    (lambda out: (out / "manifest.jsonl").write_text("garbage\n" + "\n".join(
        (out / "manifest.jsonl").read_text().splitlines()[1:]) + "\n"),
     f"/manifest.jsonl holds {len(CLASS) - 1} student(s), but its run.json says its run graded {len(CLASS)}: "
     "the file is damaged"),
], ids=["run-cut-short", "run-wrong-shape", "manifest-row-damaged"])
def test_merge_refuses_a_damaged_shard(graded: tuple[Path, Path], tmp_path: Path, damage, words: str) -> None:
    """Found by fuzzing: a damaged run.json crashed merge (JSONDecodeError, TypeError), and a damaged manifest row
    made its student vanish from the merged gradebook without a word."""
    _, single = graded
    out = tmp_path / "shard"
    shutil.copytree(single, out)
    damage(out)
    with pytest.raises(InputError) as info:
        merge([out], tmp_path / "merged")
    assert words in info.value.message, info.value.message
    assert info.value.hint == f"Rerun the same grader batch command for {out}; it " + (
        "regrades what it cannot read." if "manifest" in words else "resumes where it stopped.")


def test_merge_refuses_an_unfinished_shard(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    with pytest.raises(InputError, match="did not finish"):
        merge([tmp_path / "a"], tmp_path / "out")


def test_shards_are_stable() -> None:
    assert [shard_of(s, 4) for s in ("alice", "bob", "carol", "dave")] == [
        shard_of(s, 4) for s in ("alice", "bob", "carol", "dave")]
    assert shard_of("alice", 1) == 1
    counts = [0, 0, 0, 0]
    for i in range(4000):
        counts[shard_of(f"student{i}", 4) - 1] += 1
    assert min(counts) > 900
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "x", "1/0"):
        with pytest.raises(UsageError):
            parse_shard(bad)


CANVAS_MAP = """\
section: Section A
assignments:
  entropy: {title: "Exercise 1: entropy", id: 4711}
  kl_sweep: {title: KL sweep, id: 4713}
  total: {title: Information theory lab, id: 4714}
students:
  alice: {name: "Doe, Alice", id: 1234, sis_user_id: S001, sis_login_id: adoe}
  "=HYPERLINK(1)": {name: "=HYPERLINK(\\"http://x\\")", id: 99, section: "@B"}
"""


def test_canvas_csv_header_and_guard(graded: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = graded
    (tmp_path / "canvas.yaml").write_text(CANVAS_MAP)
    merged = tmp_path / "merged"
    _, unknown = merge([out], merged, load_canvas_map(tmp_path / "canvas.yaml"))
    rows = list(csv.reader(io.StringIO((merged / "canvas.csv").read_text(encoding="utf-8"))))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "Exercise 1: entropy (4711)", "KL sweep (4713)", "Information theory lab (4714)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "10", "10", "50"]
    by_id = {r[1]: r for r in rows[2:]}
    assert by_id["1234"] == ["Doe, Alice", "1234", "S001", "adoe", "Section A", "10", "10", "50"]
    assert by_id["99"][0] == "'=HYPERLINK(\"http://x\")" and by_id["99"][4] == "'@B"
    assert set(unknown) == set(CLASS) - {"alice", FORMULA_ID}
    assert len(rows) == 2 + len(CLASS)


def test_canvas_map_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "canvas.yaml"
    path.write_text("assignments:\n  entropy: {title: E1}\n")
    with pytest.raises(SpecError) as info:
        load_canvas_map(path)
    assert str(info.value.problems[0]).startswith("canvas.yaml:2:")


def test_canvas_roster(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,Exercise 1 (4711)\n"
        "    Points Possible,,,,,10\n"
        '"Doe, Alice",1234,S001,alice,Section A,\n', encoding="utf-8")
    (tmp_path / "canvas.yaml").write_text("roster: export.csv\nassignments:\n  entropy: {title: Exercise 1, id: 4711}\n")
    cmap = load_canvas_map(tmp_path / "canvas.yaml")
    buf = io.StringIO()
    items = [{"id": "entropy", "max_score": 10.0}]
    _, unknown = write_canvas(buf, cmap, items, 10.0, [{"student": "alice", "score": 7.5, "items": {"entropy": 7.5}},
                                                       {"student": "zed", "score": 1, "items": {"entropy": 1}}])
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert tuple(rows[0][:5]) == CANVAS_INFO
    assert rows[2] == ["Doe, Alice", "1234", "S001", "alice", "Section A", "7.5"]
    assert unknown == ["zed"]


def test_canvas_sis_ids_are_written_as_canvas_matches_them() -> None:
    """A roster id such as -0042 is the instructor's, and Canvas matches it exactly: never '-0042."""
    cmap = CanvasMap(assignments={"total": ("Lab", 4714)},
                     students={"s1": CanvasStudent(name="-Doe, Jo", id="77", sis_user_id="-0042", sis_login_id="+jo")})
    buf = io.StringIO()
    write_canvas(buf, cmap, [], 50.0, [{"student": "s1", "score": 40, "items": {}}])
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows[2] == ["'-Doe, Jo", "77", "-0042", "+jo", "", "40"]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_guard(text: str) -> None:
    assert guard_cell(text) == "'" + text
    assert guard_cell("alice") == "alice" and guard_cell(-1.5) == -1.5 and guard_cell("") == ""


def test_cli_batch_and_merge(fast_course: Path, tmp_path: Path) -> None:
    klass = make_class(tmp_path / "class", {"alice": "correct-numpy", "erin": None})
    runner = CliRunner()
    args = ["batch", str(klass), "--course", str(fast_course), "--jobs", "1"]
    for k in (1, 2):
        result = runner.invoke(cli, [*args, "--out", str(tmp_path / f"s{k}"), "--shard", f"{k}/2"])
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"Found 2 students in one folder per student ({klass}).\nGraded ")
    result = runner.invoke(cli, ["merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "all")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Merged 2 students from 2 folders.")
    result = runner.invoke(cli, [*args, "--out", str(tmp_path / "x"), "--shard", "3/2"])
    assert result.exit_code == 2
    assert result.output == "Error: --shard '3/2': K must be between 1 and N\nWrite e.g. --shard 2/4.\n"
    result = runner.invoke(cli, [*args, "--out", str(klass / "out")])
    assert result.exit_code == 2 and "is inside" in result.output


def test_the_example_canvas_map_is_valid() -> None:
    cmap = load_canvas_map(ROOT / "examples" / "canvas.yaml")
    assert cmap.assignments["entropy"] == ("Exercise 1: entropy", 4711)
    assert cmap.students["jdoe"].name == "Doe, Jane" and cmap.students["asmith"].section == ""


def test_summary_escapes_what_students_control(plan: Plan) -> None:
    from grader.classroom.batch import course_meta
    from grader.classroom.summary import Summary, render_summary

    meta = course_meta(plan)
    summary = Summary(meta)
    evil = "<script>alert(1)</script>"
    summary.add({"student": evil, "score": 0.0, "max_score": meta["max_score"], "passed": False, "items": {},
                 "checks": "e" * len(meta["checks"]), "misconceptions": [evil],
                 "problems": [{"kind": "timeout", "check": evil, "message": evil}], "duration": 0.5})
    html = render_summary(summary, [{"shard": None, "started": "now", "jobs": 1, "students": 1, "graded": 1,
                                     "skipped": 0, "wall_seconds": 1.0}])
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_batch_writes_junit_per_student_and_adds_it_on_a_rerun(fast_course: Path, tmp_path: Path) -> None:
    from lxml import etree

    klass = make_class(tmp_path / "class", {"alice": "correct-numpy", "erin": "broken-exception"})
    out = tmp_path / "out"
    args = ["batch", str(klass), "--course", str(fast_course), "--jobs", "1", "--out", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert not (out / "junit").exists()
    result = CliRunner().invoke(cli, [*args, "--format", "junit"])  # asking for a new view regrades
    assert result.exit_code == 0, result.output
    schema = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "specs" / "junit-10.xsd")))
    for student in ("alice", "erin"):
        doc = etree.parse(str(out / "junit" / f"{student}.xml"))
        assert schema.validate(doc), schema.error_log
    assert "<error " in (out / "junit" / "erin.xml").read_text()  # its kl_divergence raises


def test_one_student_attacks_the_other_in_a_batch_with_two_jobs(plan: Plan, tmp_path: Path) -> None:
    """hostile-batch-neighbour vandalises everything it can name while alice is graded beside it (issue 11):
    alice's result is the one she gets alone, and nothing outside the sandboxes changes or survives."""
    alone = tmp_path / "alone"
    run_batch(plan, make_class(alone / "class", {"alice": "correct-numpy"}), alone / "out", jobs=1, progress=False)
    want = json.loads((alone / "out" / RESULTS / "alice.json").read_text())

    klass = make_class(tmp_path / "class", {"alice": "correct-numpy", "mallory": "hostile-batch-neighbour"})
    (tmp_path / "class" / "gradebook-draft.csv").write_text("student,total\n")
    before = snapshot(klass)
    course_before = snapshot(plan.course.root)
    out = tmp_path / "out"
    state = run_batch(plan, klass, out, jobs=2, progress=False)
    assert not state.interrupted and state.graded == 2
    got = json.loads((out / RESULTS / "alice.json").read_text())
    assert without_durations(got) == without_durations(want)
    mallory = GradeResult.from_dict(json.loads((out / RESULTS / "mallory.json").read_text()))
    assert mallory.grader_error is None
    assert next(e for e in mallory.exercises if e.file == "entropy.py").score < 10  # no attack got through
    assert snapshot(klass) == before
    assert snapshot(plan.course.root) == course_before
    assert sorted(manifest_students(out)) == ["alice", "mallory"]
    assert [row[0] for row in gradebook(out)[1:]] == ["alice", "mallory"]
    time.sleep(3.5)  # the daemon would strike 3 s after it was planted
    assert sorted(manifest_students(out)) == ["alice", "mallory"]
    assert not list(out.rglob("PWNED")) and not list(klass.rglob("PWNED"))
    assert [row[0] for row in gradebook(out)[1:]] == ["alice", "mallory"]


def test_the_progress_bar_starts_no_thread():
    """A worker that dies is replaced by fork while the bar is shown: the grading process has one thread then
    (tqdm's monitor thread would be a second; Python 3.12+ warns that fork with threads may deadlock)."""
    import threading

    from grader.classroom.batch import _bar

    before = set(threading.enumerate())
    bar = _bar(10, True)
    try:
        bar.update(1)
        time.sleep(0.05)
        bar.update(1)
        assert set(threading.enumerate()) == before
    finally:
        bar.close()


def test_a_submission_that_cannot_be_hashed_is_graded_and_says_so(plan: Plan, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Its manifest row has no hash (it held the sentinel "unreadable", which two shards could share), and its
    report says why it is graded again on every run."""
    from grader.classroom import batch

    def broken(path: Path) -> str:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(batch, "submission_hash", broken)
    klass = make_class(tmp_path / "class", {"bob": "correct-numpy"})
    for attempt in (1, 2):
        state = run_batch(plan, klass, tmp_path / "out", jobs=1, progress=False)
        assert (state.graded, state.total) == (1, 1), attempt  # graded again, never skipped as unchanged
    [row] = [json.loads(line) for line in (tmp_path / "out" / MANIFEST).read_text().splitlines()]
    assert row["submission_hash"] is None
    record = json.loads((tmp_path / "out" / RESULTS / "bob.json").read_text())
    assert record["warnings"] == ["The submission's files could not be hashed (OSError: [Errno 5] Input/output "
                                  "error), so this submission is graded again on every run of the batch."]
