"""Reading each LMS's submissions export as it comes: who is who, and which files are whose.

Each layout follows the naming code of the LMS itself (docs/batch.md cites it file by file):

- ``canvas``: flat files ``<sortable name>[_LATE]_<user id>_<attachment id>_<file>`` (a re-upload is
  ``<file>-N``), ``..._text.html`` and ``..._link.html``; under anonymous grading ``anon_<id>`` replaces
  name and user id. Student id: the Canvas user id (or ``anon_<id>``, kept as it is); name: the sortable name.
- ``gradescope``: ``submission_<n>/`` folders and ``submission_metadata.yml``; id: e-mail, else sid; name, e-mail.
- ``moodle``: ``<Full Name>_<participant id>_assignsubmission_<plugin>[_]/`` folders (or files with that
  prefix), team submissions ``<Group>_<group id>_assignsubmission_<plugin>/``; id: the participant id (the
  grading worksheet, ``--moodle``, gives names, e-mails and each group's members).
- ``classroom``: one repository per student (or team), ``<assignment>-<login>/`` from ``gh classroom clone``
  (prefix stripped) or ``<roster identifier>/`` from Classroom Assistant.
- ``folders``: one folder per student; id: the folder name.

A wrapper (one folder around the export, as an unzipped download has) is looked through, saying so; a
folder of folders that would grade a wrapper as a student is refused. A submission that is itself one folder
or one .zip is looked into, as Gradescope's autograder does. Files are grouped by copying them into a private
work folder: the export itself is never modified. Every message names paths as the user gave them, and every
entry of the export that is not graded is listed in ``Found.dropped`` with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from grader.classroom.layout_names import LAYOUTS, TITLE
from grader.classroom.rosters import Roster, Rosters
from grader.errors import InputError, UsageError

GRADESCOPE_METADATA = "submission_metadata.yml"
JUNK = {"__MACOSX", "__pycache__", "Thumbs.db", "desktop.ini"}
MAX_LOOK_THROUGH = 3
MAX_NOTE_EXAMPLES = 5

REUPLOAD = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<ext>\.[A-Za-z0-9]+)?$")
DIGITS = re.compile(r"^[0-9]+$")
# lib/anonymity.rb (Anonymity.generate_short_id): SecureRandom.base58(5)
BASE58_ID = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{5}$")
CANVAS_HINT = "<sortable name>[_LATE]_<user id>_<attachment id>_<file name>"
# mod/assign/classes/downloader.php (get_student_prefix, load_submissionplugin_filelist): the prefix is
# clean_filename(<name with '_' as ' '>_<participant or group id>), then _<subtype>_<type> ("assignsubmission_file");
# 4.1+ folders end there, older folders add "_", and a download as files adds "_<file name>". The id is anchored
# at the right end of a folder name: a name never decides where the id is. "Default group" has no id.
MOODLE_DIR = re.compile(r"^(?P<name>.*)_(?P<id>[0-9]+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
MOODLE_DIR_NO_ID = re.compile(r"^(?P<name>[^_]*)_assignsubmission_(?P<plugin>[a-z]+)_?$")
MOODLE_FILE = re.compile(r"^(?P<name>[^_]*)_(?P<id>[0-9]+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.+)$")
MOODLE_FILE_NO_ID = re.compile(r"^(?P<name>[^_]*)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.+)$")
MOODLE_HINT = "<Full Name>_<participant id>_assignsubmission_<plugin>"


@dataclass(frozen=True)
class Student:
    """One submission as the export names it; ``path`` is the folder to grade."""

    student: str
    path: Path
    name: str = ""
    email: str = ""
    problem: str = ""  # why this submission cannot be graded (charged to this student alone; "" when it can)
    group: str = ""  # the group whose submission this is (a member's row, or a row standing for the group)
    is_group: bool = False  # the row stands for a whole group: no roster said who is in it
    accept: tuple[str, ...] = ()  # group members: a quiz sheet built for any of them is this student's too


@dataclass(frozen=True)
class Dropped:
    """An entry of the export that is not graded, and why. ``student``: it looks like someone's submission."""

    entry: str
    reason: str
    student: bool = False


@dataclass
class Found:
    layout: str
    students: list[Student]
    where: str  # the folder the students were found in, as the user names it
    notes: list[str] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # rows that stand for a whole group, and how to expand them

    def headline(self) -> str:
        count = len(self.students)
        return f"Found {count} student{'s' if count != 1 else ''} in {TITLE[self.layout]} ({self.where})."


class Shown:
    """Names a path the way the user knows it: inside their .zip, or inside the folder they gave."""

    def __init__(self, source: Path, extracted: Path | None) -> None:
        self.source, self.extracted = source, extracted

    def __call__(self, path: Path) -> str:
        if self.extracted is not None:
            try:
                rel = path.relative_to(self.extracted)
            except ValueError:
                return str(path)
            return str(self.source) if rel == Path(".") else f"{self.source}/{rel.as_posix()}"
        return str(path)


def _names(folder: Path | str) -> tuple[list[str], list[str]]:
    """(file names, folder names) an export really holds: no hidden files, OS litter or links. One scandir, whose
    entries know their type, so a class of thousands is listed without a stat (or a Path) per file.

    A folder that cannot be listed is an InputError that names it: read as empty, an unreadable export would be
    reported as one in which "no student could be identified"."""
    files: list[str] = []
    dirs: list[str] = []
    try:
        with os.scandir(folder) as it:
            for e in it:
                if e.name.startswith(".") or e.name in JUNK or e.is_symlink():
                    continue
                if e.is_dir(follow_symlinks=False):
                    dirs.append(e.name)
                elif e.is_file(follow_symlinks=False):
                    files.append(e.name)
    except OSError as exc:
        raise InputError(f"{folder} cannot be read ({exc.strerror or type(exc).__name__})",
                         "Check that the grader may read it and everything in it, then run the command again.") from None
    files.sort()
    dirs.sort()
    return files, dirs


def _listing(folder: Path) -> tuple[list[Path], list[Path]]:
    files, dirs = _names(folder)
    return [folder / f for f in files], [folder / d for d in dirs]


def _entries(folder: Path) -> list[Path]:
    files, dirs = _listing(folder)
    return sorted(files + dirs)


def _files(folder: Path) -> list[Path]:
    return _listing(folder)[0]


def _dirs(folder: Path) -> list[Path]:
    return _listing(folder)[1]


def valid_student_id(name: str) -> bool:
    """Usable as a file name in OUT (no separators, not hidden, printable)."""
    return (0 < len(name) <= 200 and not name.startswith(".") and "/" not in name and "\\" not in name
            and name not in JUNK and name.isprintable())


def detect(folder: Path) -> str | None:
    """The LMS layout of ``folder``, or None when it is not an export we recognise."""
    return _detect(folder, *_names(folder))


def _detect(folder: Path, files: list[str], dirs: list[str]) -> str | None:
    if GRADESCOPE_METADATA in files:
        return "gradescope"
    canvas = [f for f in files if canvas_name(f) is not None]
    if canvas and 2 * len(canvas) >= len(files):
        return "canvas"
    if any(moodle_name(name, is_dir=False) for name in files) or any(moodle_name(name, is_dir=True) for name in dirs):
        return "moodle"
    if any(os.path.lexists(os.path.join(folder, d, ".git")) for d in dirs):
        return "classroom"
    return None


def _has_work(folder: Path) -> bool:
    """Holds files a student hands in, directly (not in subfolders)."""
    return any(f.suffix.lower() in (".py", ".ipynb", ".yaml", ".yml", ".zip") for f in _files(folder))


def find_root(root: Path, shown: Shown, notes: list[str]) -> Path:
    """Look through wrapper folders: one folder, and nothing else, around the export."""
    for _ in range(MAX_LOOK_THROUGH):
        entries = _entries(root)
        if len(entries) != 1 or not entries[0].is_dir() or entries[0].name.startswith("."):
            return root
        inner = entries[0]
        if detect(root) is not None or not (detect(inner) is not None or (not _has_work(inner) and _dirs(inner))):
            return root
        notes.append(f"{shown(root)} holds only the folder {inner.name}/: looked inside it.")
        root = inner
    return root


class Work:
    """The private folder where grouped and unzipped submissions are assembled."""

    def __init__(self, folder: Path, shown: Shown, notes: list[str], unzip: Callable[[Path, Path], None],
                 rosters: Rosters | None = None) -> None:
        self.folder, self.shown, self.notes, self.unzip = folder, shown, notes, unzip
        self.rosters = rosters or Rosters()
        self.owned = shown.extracted  # files in there are our own copy: grouping may move them
        self._count = 0
        self.problems: dict[str, str] = {}  # student -> why their submission cannot be graded
        self.dropped: list[Dropped] = []
        self.groups: list[str] = []

    def drop(self, entry: Path | str, reason: str, *, student: bool = False) -> None:
        """List an entry that is not graded (``student``: it looks like a submission, so the batch fails)."""
        self.dropped.append(Dropped(self.shown(entry) if isinstance(entry, Path) else entry, reason, student))

    def new(self, kind: str) -> Path:
        self._count += 1
        path = self.folder / kind / str(self._count)
        path.mkdir(parents=True)
        return path

    def look_into(self, path: Path, student: str) -> Path:
        """A submission that is one folder, or one .zip, is graded from inside it."""
        for _ in range(MAX_LOOK_THROUGH):
            try:
                files, dirs = _names(path)
            except InputError as exc:  # one student's folder: the others are still graded
                self.notes.append(f"{student}: {exc.message}; graded as it is (its files will be missing).")
                return path
            if len(files) == 1 and not dirs and files[0].lower().endswith(".zip"):
                dest = self.new("unzipped")
                try:
                    self.unzip(path / files[0], dest)
                except InputError as exc:
                    why = f"{self.shown(path / files[0])} was not unzipped ({exc.message})"
                    self.notes.append(f"{student}: {why}.")
                    self.problems[student] = why
                    return path
                path = dest
                continue
            if not files and len(dirs) == 1:
                path = path / dirs[0]
                continue
            break
        return path


def _copy_into(src: Path, dest: Path, name: str, owned: Path | None = None) -> None:
    """Put ``src`` into ``dest`` as ``name``: moved when it is our own copy (inside ``owned``, the extracted zip),
    else copied, so the user's export is never modified."""
    target = dest / name
    if owned is not None and src.is_relative_to(owned):
        os.replace(src, target)
    elif src.is_dir():
        shutil.copytree(src, target, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copyfile(src, target)


def _examples(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NOTE_EXAMPLES])
    return shown + (f" and {len(names) - MAX_NOTE_EXAMPLES} more" if len(names) > MAX_NOTE_EXAMPLES else "")


# -- Canvas ----------------------------------------------------------------------------------------
#
# instructure/canvas-lms lib/content_zipper.rb: ContentZipper#get_filename joins [users_name, "LATE" when late,
# user_id or "anon_<anonymous_id>"] with "_" and keeps word characters only (sanitize_file_name), where users_name is
# the sortable name, lower-cased, with "_<digits>_" closed up (sanitize_user_name) and left out under anonymous
# grading; add_upload_submission appends "_<attachment id>_<display name>", add_text_or_url "_text.html" or
# "_link.html". Canvas reads such a name back (app/models/assignment.rb, infer_comment_context_from_filename) by
# splitting on "_" and taking the first two all-digit fields as user id and attachment id; so do we.

def canvas_name(file_name: str, anonymous: bool | None = None) -> tuple[str, str, bool, str, int] | None:
    """``(student id, sortable name, late, original file name, re-upload number)`` of a Canvas download's file.

    The student id is the user id, or ``anon_<id>`` under anonymous grading. ``anonymous``: whether the export is
    anonymous (None: unknown; then ``anon_`` followed by five digits is read as a user named "anon", since only
    the other files of the export can tell).
    """
    fields = file_name.split("_")
    late = False
    start = 0
    if len(fields) > 1 and fields[0].upper() == "LATE" and fields[1] == "anon":
        late, start = True, 1
    if (len(fields) > start + 2 and fields[start] == "anon" and BASE58_ID.match(fields[start + 1])
            and (anonymous or (anonymous is None and not DIGITS.match(fields[start + 1])))):
        sid, login, rest = f"anon_{fields[start + 1]}", "", fields[start + 2:]
    else:
        # Canvas's reader takes the first all-digit field; where what follows it cannot be a file's tail (a
        # sortable name like "0" before LATE), the next all-digit field that can is the user id.
        for first in (k for k, f in enumerate(fields) if DIGITS.match(f)):
            if _canvas_tail(fields[first + 1:]) is not None:
                break
        else:
            return None
        head, sid, rest = fields[:first], fields[first], fields[first + 1:]
        if head and head[-1].upper() == "LATE":
            late, head = True, head[:-1]
        login = "_".join(head)
    original = _canvas_tail(rest)
    if original is None:
        return None
    upload = 0
    again = REUPLOAD.match(original)
    if again is not None:
        original, upload = again["stem"] + (again["ext"] or ""), int(again["n"])
    return sid, login, late, original, upload


def _canvas_tail(rest: list[str]) -> str | None:
    """The file name after the user id: "<attachment id>_<display name>", or text.html / link.html."""
    tail = "_".join(rest)
    if tail in ("text.html", "online_text.html", "link.html"):
        return tail
    if len(rest) >= 2 and DIGITS.match(rest[0]) and rest[1:] != [""]:
        return "_".join(rest[1:])
    return None


def _anon_id(name: str) -> str | None:
    """The field after ``anon_`` (or ``LATE_anon_``) at the start of a name, if there is one."""
    fields = name.split("_")
    start = 1 if len(fields) > 1 and fields[0].upper() == "LATE" else 0
    return fields[start + 1] if len(fields) > start + 1 and fields[start] == "anon" else None


def _canvas_anonymous(names: list[str]) -> bool:
    """Canvas anonymises a whole assignment: it is anonymous when some file's ``anon_`` id is not all digits
    (no user id is), or when every Canvas-named file starts with ``anon_``."""
    ids = [i for i in map(_anon_id, names) if i is not None and BASE58_ID.match(i)]
    if not ids:
        return False
    return any(not DIGITS.match(i) for i in ids) or len(ids) == sum(canvas_name(n) is not None for n in names)


def _looks_canvas(name: str) -> bool:
    """A file named like a submission (``_<digits>_`` or ``anon_``) that still does not parse: someone's work."""
    return bool(re.search(r"_[0-9]+_", name)) or name.startswith(("anon_", "LATE_anon_"))


def read_canvas(root: Path, work: Work) -> list[Student]:
    files = _files(root)
    anonymous = _canvas_anonymous([f.name for f in files])
    groups: dict[str, dict[str, Any]] = {}
    for file in files:
        parsed = canvas_name(file.name, anonymous)
        if parsed is None:
            work.drop(file, f"not named as Canvas names a submission ({CANVAS_HINT})", student=_looks_canvas(file.name))
            continue
        sid, login, late, original, upload = parsed
        group = groups.setdefault(sid, {"login": login, "late": False, "files": {}})
        group["late"] |= late
        kept = group["files"].get(original)
        if kept is None or upload > kept[0]:  # the latest re-upload wins
            if kept is not None:
                work.drop(kept[1], f"an older upload of {original} (Canvas's re-upload -{upload} is graded)")
            group["files"][original] = (upload, file)
        else:
            work.drop(file, f"an older upload of {original} (Canvas's re-upload -{kept[0]} is graded)")
    for folder in _dirs(root):
        work.drop(folder, "a folder, and a Canvas download is flat", student=_looks_canvas(folder.name))
    if not groups:
        raise InputError(f"{work.shown(root)} holds no file named as Canvas names them ({CANVAS_HINT})",
                         "Pass the .zip from Canvas's Download Submissions as it is, or choose another --layout.")
    if anonymous:
        work.notes.append(f"Canvas anonymous grading: {len(groups)} student(s) are known by their anonymous id "
                          "(anon_<id>), kept as it is.")
    marked_late = sorted(sid for sid, g in groups.items() if g["late"])
    if marked_late:
        work.notes.append(f"Canvas marked {len(marked_late)} submission(s) late: {_examples(marked_late)}.")
    students = []
    for sid in sorted(groups, key=lambda u: (len(u), u)):
        dest = work.new("canvas")
        for original, (_n, file) in sorted(groups[sid]["files"].items()):
            _copy_into(file, dest, original, work.owned)
        students.append(Student(sid, work.look_into(dest, sid), name=groups[sid]["login"]))
    return _canvas_teams(students, work)


def _canvas_teams(students: list[Student], work: Work) -> list[Student]:
    """A group assignment's download holds one file set per group, under one member's user id
    (app/models/assignment.rb, ``representatives``). With the group set's export, every member gets a row."""
    roster = work.rosters.canvas_groups
    if roster is None:
        return students
    out: list[Student] = []
    expanded = []
    for s in students:
        person = roster.find(s.student)
        if person is None or not person.group:
            out.append(s)
            continue
        members = roster.members(person.group)
        ids = tuple(m.id for m in members)
        for m in members:
            out.append(Student(m.id, s.path, name=m.name or (s.name if m.id == s.student else ""), group=person.group,
                               accept=ids))
        expanded.append(f"{person.group} ({', '.join(ids)})")
    if expanded:
        work.notes.append(f"{len(expanded)} group submission(s), graded for every member "
                          f"({roster.source.name}): {_examples(expanded)}.")
    return out


# -- Gradescope ------------------------------------------------------------------------------------

class _LenientLoader(yaml.SafeLoader):
    """Gradescope writes its metadata from Ruby: ``:symbol`` keys, times, sometimes ``!ruby/...`` tags."""


def _plain(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_LenientLoader.add_multi_constructor("!", _plain)
_LenientLoader.add_constructor("tag:yaml.org,2002:timestamp",
                               lambda loader, node: loader.construct_scalar(node))  # type: ignore[arg-type]


def _key(data: Any, name: str) -> Any:
    if not isinstance(data, dict):
        return None
    return data.get(f":{name}", data.get(name))


def read_gradescope_metadata(path: Path, shown: Shown) -> dict[str, list[dict[str, str]]]:
    """submission folder name -> its submitters (name, email, sid), as ``submission_metadata.yml`` lists them."""
    try:
        data = yaml.load(path.read_text("utf-8", errors="replace"), Loader=_LenientLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown(path)}:{mark.line + 1}" if mark is not None else shown(path)
        raise InputError(f"{where}: cannot read Gradescope's submission metadata: {exc}") from None
    except RecursionError:
        raise InputError(f"{shown(path)}: cannot read Gradescope's submission metadata: it is nested too deeply",
                         "Pass the export as Gradescope wrote it.") from None
    if not isinstance(data, dict):
        raise InputError(f"{shown(path)} is not a mapping of submissions to their submitters")
    out = {}
    for key, value in data.items():
        people = _key(value, "submitters")
        if not isinstance(people, list):  # none, or not a list of people: the folder is left out, with a note
            people = []
        out[str(key)] = [{k: "" if _key(p, k) is None else str(_key(p, k)).strip() for k in ("name", "email", "sid")}
                         for p in people if isinstance(p, dict)]
    return out


def read_gradescope(root: Path, work: Work) -> list[Student]:
    meta = root / GRADESCOPE_METADATA
    if not meta.is_file():
        raise InputError(f"{work.shown(root)} has no {GRADESCOPE_METADATA}, so no student can be identified",
                         "Pass the .zip (or its unzipped folder) from Gradescope's Export Submissions as it is, "
                         "or --layout folders to grade each folder under its own name.")
    submitters = read_gradescope_metadata(meta, work.shown)
    folders = {d.name: d for d in _dirs(root)}
    for key in sorted(set(folders) - set(submitters)):
        work.drop(folders[key], f"not listed in {GRADESCOPE_METADATA}, so nobody's", student=True)
    for key in sorted(k for k in submitters if k not in folders):
        who = ", ".join(p["email"] or p["sid"] or p["name"] for p in submitters[key]) or "no submitter"
        work.drop(f"{key} ({who})", f"listed in {GRADESCOPE_METADATA} but the export has no such folder",
                  student=bool(submitters[key]))
    for file in _files(root):
        if file.name != GRADESCOPE_METADATA:
            work.drop(file, "a file beside the submission folders")
    students: list[Student] = []
    groups = []
    for key in sorted(set(submitters) & set(folders)):
        people = submitters[key]
        if not people:
            work.drop(folders[key], f"has no submitters in {GRADESCOPE_METADATA}", student=True)
            continue
        path = work.look_into(folders[key], key)
        ids = []
        for person in people:
            sid = person["email"] or person["sid"]
            if not valid_student_id(sid):
                work.notes.append(f"{key}: a submitter has no usable e-mail or sid; graded as {key}.")
                sid = key
            ids.append(sid)
        if len(people) > 1:
            groups.append(f"{key} ({', '.join(ids)})")
        # a group's quiz sheet was built for one member: it is accepted for each (the numbers are that member's)
        accept = tuple(dict.fromkeys(k for person, sid in zip(people, ids, strict=True)
                                     for k in (sid, person["email"], person["sid"]) if k)) if len(people) > 1 else ()
        for person, sid in zip(people, ids, strict=True):
            students.append(Student(sid, path, name=person["name"], email=person["email"],
                                    group=key if len(people) > 1 else "", accept=accept))
    if groups:
        work.notes.append(f"{len(groups)} group submission(s), graded once per member: {_examples(groups)}.")
    return students


# -- Moodle ----------------------------------------------------------------------------------------

def moodle_name(name: str, *, is_dir: bool) -> tuple[str, str | None, str, str] | None:
    """``(name, id or None, plugin, file name)`` of an entry of a Moodle download (file name "" for a folder);
    the id is None for the "Default group" of a team assignment, which Moodle names without one."""
    if is_dir:
        m = MOODLE_DIR.match(name) or MOODLE_DIR_NO_ID.match(name)
        return (m["name"], m.groupdict().get("id"), m["plugin"], "") if m else None
    m = MOODLE_FILE.match(name) or MOODLE_FILE_NO_ID.match(name)
    return (m["name"], m.groupdict().get("id"), m["plugin"], m["rest"]) if m else None


def read_moodle(root: Path, work: Work) -> list[Student]:
    entries = _moodle_entries(root, work)
    if not entries:
        raise InputError(f"{work.shown(root)} holds no folder named as Moodle names them ({MOODLE_HINT})",
                         "Pass the .zip from Moodle's Download all submissions as it is, or choose another --layout.")
    roster = work.rosters.moodle
    if roster is None:
        work.notes.append("Moodle's numbers are participant ids of this assignment, not user ids: pass --moodle "
                          "WORKSHEET.csv (Download grading worksheet) for names, e-mails, team members and a "
                          "worksheet to upload the grades back.")
    # Moodle names a team submission's folder after the group (downloader.php, get_student_prefix), and the
    # members of no group after "Default group", with no id: that folder, or the worksheet's Group column, says so.
    teams = any(mid is None for _name, mid, _parts in entries.values())
    students = []
    for key in sorted(entries, key=lambda k: (len(k), k)):
        name, mid, parts = entries[key]
        path = _moodle_folder(parts, work)
        if not _moodle_team(name, mid, teams, roster):
            person = roster.people.get(mid) if roster is not None and mid is not None else None
            if roster is not None and person is None:
                work.notes.append(f"participant {mid} ({name}) is not in {roster.source.name}; graded under that id.")
            students.append(Student(str(mid), work.look_into(path, str(mid)), name=person.name if person else name,
                                    email=person.email if person else ""))
            continue
        members = roster.members(name) if roster is not None else []
        if not members:
            sid = f"group-{mid}" if mid is not None else "default-group"
            students.append(Student(sid, work.look_into(path, sid), name=name, group=name, is_group=True))
            how = ("pass --moodle WORKSHEET.csv (its Group column names the members)" if roster is None
                   else f"{roster.source.name} lists nobody in group {name!r}")
            work.groups.append(f"{sid} ({name}): {how}")
            continue
        ids = tuple(m.id for m in members)
        for m in members:
            students.append(Student(m.id, work.look_into(path, m.id), name=m.name, email=m.email, group=name,
                                    accept=ids))
        work.notes.append(f"Moodle team {name!r}: graded for its {len(ids)} member(s): {_examples(list(ids))}.")
    return students


def _moodle_entries(root: Path, work: Work) -> dict[str, tuple[str, str | None, list[tuple[Path, str]]]]:
    """Entries grouped by participant (or group) id; two names claiming one id are refused, never merged."""
    entries: dict[str, tuple[str, str | None, list[tuple[Path, str]]]] = {}
    for entry in _entries(root):
        parsed = moodle_name(entry.name, is_dir=entry.is_dir())
        if parsed is None:
            work.drop(entry, f"not named as Moodle names a submission ({MOODLE_HINT})",
                      student="_assignsubmission_" in entry.name)
            continue
        name, mid, _plugin, rest = parsed
        key = mid if mid is not None else f"\0{name}"
        known = entries.get(key)
        if known is not None and known[0] != name:
            raise InputError(f"{work.shown(root)}: participant {mid} is claimed by two names, {known[0]!r} and "
                             f"{name!r} ({known[2][0][0].name}, {entry.name})",
                             "Moodle gives each participant one id; download the submissions again rather than "
                             "grade one student's files as another's.")
        entries.setdefault(key, (name, mid, []))[2].append((entry, rest))
    return entries


def _moodle_folder(parts: list[tuple[Path, str]], work: Work) -> Path:
    """The folder to grade: the one plugin folder as it is, else every plugin's files gathered in one."""
    folders = [e for e, rest in parts if e.is_dir()]
    if len(parts) == 1 and folders:
        return folders[0]
    path = work.new("moodle")
    for entry, rest in parts:
        if entry.is_dir():
            for inner in _entries(entry):
                _copy_into(inner, path, inner.name, work.owned)
        else:
            _copy_into(entry, path, rest or entry.name, work.owned)
    return path


def _moodle_team(name: str, mid: str | None, teams: bool, roster: Roster | None) -> bool:
    """Whether an entry is a team's: the default group, any entry of a download that has one, or a name the
    worksheet's Group column holds whose id is no participant's."""
    if mid is None or (teams and (roster is None or mid not in roster.people)):
        return True
    return roster is not None and bool(roster.members(name)) and mid not in roster.people


# -- GitHub Classroom and plain folders ------------------------------------------------------------

def common_prefix(names: list[str]) -> str:
    """The part every name shares up to its last ``-`` (``hw1-``), or "" when there is none."""
    if len(names) < 2:
        return ""
    prefix = os.path.commonprefix(names)  # noqa: RUF071 (names, not paths: character by character is meant)
    prefix = prefix[: prefix.rfind("-") + 1]
    return prefix if prefix and all(len(n) > len(prefix) for n in names) else ""


def _readable_names(folder: Path) -> tuple[list[str], list[str]]:
    """``_names``, or nothing for a student's folder that cannot be read (Work.look_into notes it)."""
    try:
        return _names(folder)
    except InputError:
        return [], []


def classroom_prefix(root: Path, names: list[str], roster: Roster | None) -> tuple[str, str]:
    """The assignment prefix to strip from repository names, and why ("" when none).

    ``gh classroom clone student-repos`` (github/gh-classroom cmd/gh-classroom/clone/student-repos/student-repos.go)
    clones ``<slug>-<login>`` repositories into ``<slug>-submissions/``: the folder's own name says the prefix.
    Classroom Assistant (education/classroom-assistant app/lib/pathutils.js, getClonePath) names each folder after
    the roster identifier or the username, with no prefix at all, so a word the logins happen to share
    (``wang-li``, ``wang-wei``) is no prefix. With a roster, a prefix is stripped only when the names without it
    are roster ids and the names with it are not.
    """
    prefix = common_prefix(names)
    if not prefix:
        return "", ""
    if roster is not None:
        kept = [n for n in names if roster.find(n) is not None]
        stripped = [n for n in names if roster.find(n[len(prefix):]) is not None]
        if len(stripped) > len(kept):
            return prefix, f"the names without it are in {roster.source.name}"
        return "", ""
    if root.name == prefix + "submissions":
        return prefix, f"gh classroom clone put them in {root.name}/"
    return "", ""


def _refuse_wrappers(root: Path, folders: list[Path], work: Work) -> dict[Path, str]:
    """A folder of folders graded as students would give each wrapper 0: refuse, saying what to pass. A few
    student folders that look like a whole export among ordinary ones (a ``submission_metadata.yml`` handed in)
    are not the class's problem: they are returned with the reason, and charged to those students alone."""
    listings = {f: _readable_names(f) for f in folders}
    exports: dict[Path, str] = {}
    for folder, (files, dirs) in listings.items():
        kind = _detect(folder, files, dirs)
        if kind is not None and (kind != "classroom" or len(dirs) >= 2):  # one repository inside: looked into
            exports[folder] = kind
    full = [f for f, (files, dirs) in listings.items() if files or dirs]
    if exports and len(exports) == len(full):
        folder, kind = next(iter(exports.items()))
        raise InputError(f"{work.shown(folder)} looks like {TITLE[kind]}, not one student's folder",
                         f"Pass {work.shown(folder)} itself (or --layout {kind} with it).")
    wrappers = [f for f in full if not listings[f][0] and len(listings[f][1]) >= 2]
    if full and len(wrappers) == len(full):
        first = wrappers[0]
        inside = ", ".join(d.name + "/" for d in _dirs(first)[:3])
        raise InputError(f"{work.shown(root)} holds {len(folders)} folder(s) that hold only folders "
                         f"(e.g. {work.shown(first)}: {inside}): no student could be identified",
                         f"Pass the folder that holds one folder per student (e.g. {work.shown(first)}), choose "
                         "the export's layout with --layout canvas|gradescope|moodle|classroom, or pass --layout "
                         "folders to grade these folders as students all the same.")
    return {folder: f"{work.shown(folder)} looks like {TITLE[kind]}, not one student's folder; not graded"
            for folder, kind in exports.items()}


def read_folders(root: Path, work: Work, *, prefix: str | None = None, classroom: bool = False,
                 forced: bool = False) -> list[Student]:
    """One student per folder (``classroom``: repository names less the assignment prefix). Unless the layout was
    forced, a folder that looks like a wrapper is refused rather than graded as a student."""
    folders = _dirs(root)
    if not folders and any(f.suffix in (".py", ".ipynb") for f in _files(root)):
        raise InputError(f"{work.shown(root)} holds Python files or notebooks but no student folders",
                         "grader batch expects one folder per student (the folder name is the student id), or a "
                         "Canvas download (--layout canvas); to grade one submission run: grader check DIR")
    refused = _refuse_wrappers(root, folders, work) if not forced else {}
    for file in _files(root):
        work.drop(file, "a file beside the student folders")
    names = [f.name for f in folders]
    roster = work.rosters.classroom
    why = "--prefix"
    if classroom and prefix is None:
        prefix, why = classroom_prefix(root, names, roster)
        shared = common_prefix(names)
        if not prefix and shared:
            work.notes.append(f"Every repository starts with {shared!r}, which was not stripped (Classroom Assistant "
                              f"names folders by roster id or login, with no prefix); pass --prefix {shared} if it "
                              "is the assignment's.")
    students = []
    mapping, kept = [], []
    for folder in folders:
        sid = folder.name
        if classroom and prefix:
            if sid.startswith(prefix) and len(sid) > len(prefix):
                sid = sid[len(prefix):]
                mapping.append(f"{folder.name} → {sid}")
            else:
                kept.append(folder.name)
        if not valid_student_id(sid):
            work.drop(folder, "its name cannot be a student id (hidden, too long, or not printable)", student=True)
            continue
        if folder in refused:
            students.append(Student(sid, folder, problem=refused[folder]))
            continue
        students.extend(_classroom_rows(sid, work.look_into(folder, sid), roster, work))
    if mapping:
        work.notes.append(f"Student ids are the repository names without {prefix!r} ({why}): {_examples(mapping)}.")
    if kept:
        work.notes.append(f"{len(kept)} repositories do not start with {prefix!r} and keep their names: "
                          f"{_examples(kept)}.")
    return students


def _classroom_rows(sid: str, path: Path, roster: Roster | None, work: Work) -> list[Student]:
    """A folder's rows: the student's own, or, for a team repository the roster knows, one per member."""
    if roster is None:
        return [Student(sid, path)]
    person = roster.find(sid)
    if person is not None:
        return [Student(person.id, path, name=person.name)]
    members = roster.members(sid)
    if not members:
        work.notes.append(f"{sid} is not in {roster.source.name}; graded under its folder name.")
        return [Student(sid, path)]
    ids = tuple(m.id for m in members)
    work.notes.append(f"Team {sid}: graded for its {len(ids)} member(s): {_examples(list(ids))}.")
    return [Student(m.id, path, name=m.name, group=m.group, accept=ids) for m in members]


READERS: dict[str, Callable[..., list[Student]]] = {
    "canvas": read_canvas, "gradescope": read_gradescope, "moodle": read_moodle,
}


def read_export(root: Path, work_folder: Path, shown: Shown, unzip: Callable[[Path, Path], None], *,
                layout: str | None = None, prefix: str | None = None, rosters: Rosters | None = None) -> Found:
    """The students of the export in ``root`` (``layout``: forced, else detected); ``unzip`` extracts a
    submission that is a .zip (safely: grader.classroom.submissions.extract_zip); ``rosters`` say who is who."""
    if layout is not None and layout not in LAYOUTS:
        raise UsageError(f"--layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    notes: list[str] = []
    root = find_root(root, shown, notes)
    work = Work(work_folder, shown, notes, unzip, rosters)
    kind = layout or detect(root) or "folders"
    if kind in READERS:
        students = READERS[kind](root, work)
    else:
        students = read_folders(root, work, prefix=prefix, classroom=kind == "classroom", forced=layout is not None)
    students = [replace(s, problem=work.problems[s.student]) if s.student in work.problems and not s.problem else s
                for s in students]
    unique: dict[str, Student] = {}
    for s in students:
        if not valid_student_id(s.student):  # a roster's id names files in OUT: no separators, never hidden
            work.drop(f"{s.student!r} ({s.name or 'no name'})", "cannot be a student id (a separator, a leading "
                      "dot, too long or not printable): fix it in the roster", student=True)
            continue
        if s.student in unique:
            work.drop(f"a second submission for {s.student}", "the export holds two submissions under this id; the "
                      "first one read was graded", student=True)
            continue
        unique[s.student] = s
    if not unique:
        held = f"{len(_dirs(root))} folder(s) and {len(_files(root))} file(s)"
        raise InputError(f"no student could be identified in {shown(root)} (read as {TITLE[kind]}; it holds {held})",
                         "Pass the folder or .zip your LMS gave you, or choose its layout with "
                         "--layout canvas|gradescope|moodle|classroom|folders.")
    if work.groups:
        notes.append(f"{len(work.groups)} row(s) stand for a whole group, not one student: "
                     f"{_examples(work.groups)}.")
    if work.dropped:
        looks = sum(d.student for d in work.dropped)
        notes.append(f"{len(work.dropped)} entr{'y' if len(work.dropped) == 1 else 'ies'} of the export not graded"
                     + (f", {looks} of them looking like a student's" if looks else "") + ": "
                     + _examples([f"{d.entry} ({d.reason})" for d in work.dropped]) + ".")
    ordered = sorted(unique.values(), key=lambda s: s.student)
    return Found(kind, ordered, shown(root), notes, work.dropped, work.groups)
