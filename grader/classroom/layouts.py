"""Reading each LMS's submissions export as it comes: who is who, and which files are whose.

- ``canvas``: flat files ``<login>[_late]_<user id>_<submission id>_<file>`` (a re-upload is ``<file>-N``);
  student id: the Canvas user id; name: the login.
- ``gradescope``: ``submission_<n>/`` folders and ``submission_metadata.yml``; id: e-mail, else sid; name, e-mail.
- ``moodle``: ``<Full Name>_<id>_assignsubmission_file_/`` folders (or files with that prefix); id: Moodle id; name.
- ``classroom``: one repository per student, ``<assignment>-<login>/``; id: the login (prefix stripped).
- ``folders``: one folder per student; id: the folder name.

A wrapper (one folder around the export, as an unzipped download has) is looked through, saying so; a
folder of folders that would grade a wrapper as a student is refused. A submission that is itself one folder
or one .zip is looked into, as Gradescope's autograder does. Files are grouped by copying them into a private
work folder: the export itself is never modified. Every message names paths as the user gave them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.classroom.layout_names import LAYOUTS, TITLE
from grader.errors import InputError, UsageError

GRADESCOPE_METADATA = "submission_metadata.yml"
JUNK = {"__MACOSX", "__pycache__", "Thumbs.db", "desktop.ini"}
MAX_LOOK_THROUGH = 3
MAX_NOTE_EXAMPLES = 5

CANVAS_FILE = re.compile(r"^(?P<login>[^_]+?)(?P<late>_late)?_(?P<uid>\d+)_"
                         r"(?:(?P<sub>\d+)_(?P<name>.+)|(?P<text>(?:online_)?text\.html))$", re.IGNORECASE)
REUPLOAD = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<ext>\.[A-Za-z0-9]+)?$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$")
CANVAS_HINT = "<login>[_late]_<user id>_<submission id>_<file name>"


@dataclass(frozen=True)
class Student:
    """One submission as the export names it; ``path`` is the folder to grade."""

    student: str
    path: Path
    name: str = ""
    email: str = ""


@dataclass
class Found:
    layout: str
    students: list[Student]
    where: str  # the folder the students were found in, as the user names it
    notes: list[str] = field(default_factory=list)

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
    canvas = [f for f in files if CANVAS_FILE.match(f)]
    if canvas and 2 * len(canvas) >= len(files):
        return "canvas"
    if any(MOODLE.match(name) for name in (*files, *dirs)):
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

    def __init__(self, folder: Path, shown: Shown, notes: list[str], unzip: Callable[[Path, Path], None]) -> None:
        self.folder, self.shown, self.notes, self.unzip = folder, shown, notes, unzip
        self.owned = shown.extracted  # files in there are our own copy: grouping may move them
        self._count = 0

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
                    self.notes.append(f"{student}: {self.shown(path / files[0])} was not unzipped ({exc.message}).")
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

def canvas_name(file_name: str) -> tuple[str, str, bool, str, int] | None:
    """``(user id, login, late, original file name, re-upload number)`` of a Canvas download's file."""
    m = CANVAS_FILE.match(file_name)
    if m is None:
        return None
    original = m["name"] or m["text"]
    upload = 0
    again = REUPLOAD.match(original)
    if again is not None:
        original, upload = again["stem"] + (again["ext"] or ""), int(again["n"])
    return m["uid"], m["login"], bool(m["late"]), original, upload


def read_canvas(root: Path, work: Work) -> list[Student]:
    groups: dict[str, dict[str, Any]] = {}
    strays = []
    for file in _files(root):
        parsed = canvas_name(file.name)
        if parsed is None:
            strays.append(file.name)
            continue
        uid, login, late, original, upload = parsed
        group = groups.setdefault(uid, {"login": login, "late": False, "files": {}})
        group["late"] |= late
        kept = group["files"].get(original)
        if kept is None or upload > kept[0]:  # the latest re-upload wins
            group["files"][original] = (upload, file)
    if strays:
        work.notes.append(f"{len(strays)} file(s) in {work.shown(root)} are not named as Canvas names them "
                          f"({CANVAS_HINT}) and were left out: {_examples(strays)}.")
    if _dirs(root):
        work.notes.append(f"folders in {work.shown(root)} were left out (a Canvas download is flat): "
                          f"{_examples([d.name for d in _dirs(root)])}.")
    if not groups:
        raise InputError(f"{work.shown(root)} holds no file named as Canvas names them ({CANVAS_HINT})",
                         "Pass the .zip from Canvas's Download Submissions as it is, or choose another --layout.")
    marked_late = sorted(uid for uid, g in groups.items() if g["late"])
    if marked_late:
        work.notes.append(f"Canvas marked {len(marked_late)} submission(s) late: {_examples(marked_late)}.")
    students = []
    for uid in sorted(groups, key=lambda u: (len(u), u)):
        dest = work.new("canvas")
        for original, (_n, file) in sorted(groups[uid]["files"].items()):
            _copy_into(file, dest, original, work.owned)
        students.append(Student(uid, work.look_into(dest, uid), name=groups[uid]["login"]))
    return students


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
    missing = sorted(set(folders) - set(submitters))
    if missing:
        work.notes.append(f"{len(missing)} folder(s) in {work.shown(root)} are not in {GRADESCOPE_METADATA} "
                          f"and were left out: {_examples(missing)}.")
    gone = sorted(k for k in submitters if k not in folders)
    if gone:
        work.notes.append(f"{GRADESCOPE_METADATA} lists {len(gone)} submission(s) with no folder: {_examples(gone)}.")
    students: list[Student] = []
    groups = []
    for key in sorted(set(submitters) & set(folders)):
        people = submitters[key]
        if not people:
            work.notes.append(f"{key} has no submitters in {GRADESCOPE_METADATA}; it was left out.")
            continue
        path = work.look_into(folders[key], key)
        if len(people) > 1:
            groups.append(f"{key} ({', '.join(p['email'] or p['sid'] or p['name'] for p in people)})")
        for person in people:
            sid = person["email"] or person["sid"]
            if not valid_student_id(sid):
                work.notes.append(f"{key}: a submitter has no usable e-mail or sid; graded as {key}.")
                sid = key
            students.append(Student(sid, path, name=person["name"], email=person["email"]))
    if groups:
        work.notes.append(f"{len(groups)} group submission(s), graded once per member: {_examples(groups)}.")
    return students


# -- Moodle ----------------------------------------------------------------------------------------

def read_moodle(root: Path, work: Work) -> list[Student]:
    groups: dict[str, dict[str, Any]] = {}
    strays = []
    for entry in _entries(root):
        m = MOODLE.match(entry.name)
        if m is None:
            strays.append(entry.name)
            continue
        group = groups.setdefault(m["id"], {"name": m["name"], "parts": []})
        group["parts"].append((entry, m["rest"]))
    if strays:
        work.notes.append(f"{len(strays)} entries in {work.shown(root)} are not named as Moodle names them "
                          f"(<Full Name>_<id>_assignsubmission_<plugin>_) and were left out: {_examples(strays)}.")
    if not groups:
        raise InputError(f"{work.shown(root)} holds no folder named as Moodle names them "
                         "(<Full Name>_<id>_assignsubmission_file_)",
                         "Pass the .zip from Moodle's Download all submissions as it is, or choose another --layout.")
    students = []
    for mid in sorted(groups, key=lambda u: (len(u), u)):
        parts = groups[mid]["parts"]
        folders = [e for e, rest in parts if e.is_dir() and not rest]
        if len(parts) == 1 and folders:
            path = folders[0]
        else:  # several plugins' folders, or files downloaded without folders: gather them in one
            path = work.new("moodle")
            for entry, rest in parts:
                if entry.is_dir():
                    for inner in _entries(entry):
                        _copy_into(inner, path, inner.name, work.owned)
                else:
                    _copy_into(entry, path, rest or entry.name, work.owned)
        students.append(Student(mid, work.look_into(path, mid), name=groups[mid]["name"]))
    return students


# -- GitHub Classroom and plain folders ------------------------------------------------------------

def common_prefix(names: list[str]) -> str:
    """The assignment prefix Classroom puts before each login (``hw1-``), when it is plain to see."""
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


def _refuse_wrappers(root: Path, folders: list[Path], work: Work) -> None:
    """A folder of folders graded as students would give each wrapper 0: refuse, saying what to pass."""
    listings = {f: _readable_names(f) for f in folders}
    for folder, (files, dirs) in listings.items():
        kind = _detect(folder, files, dirs)
        if kind is not None and (kind != "classroom" or len(dirs) >= 2):  # one repository inside: looked into
            raise InputError(f"{work.shown(folder)} looks like {TITLE[kind]}, not one student's folder",
                             f"Pass {work.shown(folder)} itself (or --layout {kind} with it).")
    full = [f for f, (files, dirs) in listings.items() if files or dirs]
    wrappers = [f for f in full if not listings[f][0] and len(listings[f][1]) >= 2]
    if full and len(wrappers) == len(full):
        first = wrappers[0]
        inside = ", ".join(d.name + "/" for d in _dirs(first)[:3])
        raise InputError(f"{work.shown(root)} holds {len(folders)} folder(s) that hold only folders "
                         f"(e.g. {work.shown(first)}: {inside}): no student could be identified",
                         f"Pass the folder that holds one folder per student (e.g. {work.shown(first)}), choose "
                         "the export's layout with --layout canvas|gradescope|moodle|classroom, or pass --layout "
                         "folders to grade these folders as students all the same.")


def read_folders(root: Path, work: Work, *, prefix: str | None = None, classroom: bool = False,
                 forced: bool = False) -> list[Student]:
    """One student per folder (``classroom``: repository names less the assignment prefix). Unless the layout was
    forced, a folder that looks like a wrapper is refused rather than graded as a student."""
    folders = _dirs(root)
    if not folders and any(f.suffix in (".py", ".ipynb") for f in _files(root)):
        raise InputError(f"{work.shown(root)} holds Python files or notebooks but no student folders",
                         "grader batch expects one folder per student (the folder name is the student id), or a "
                         "Canvas download (--layout canvas); to grade one submission run: grader check DIR")
    if not forced:
        _refuse_wrappers(root, folders, work)
    names = [f.name for f in folders]
    if classroom and prefix is None:
        prefix = common_prefix(names)
    students = []
    mapping, kept, bad = [], [], []
    for folder in folders:
        sid = folder.name
        if classroom and prefix:
            if sid.startswith(prefix) and len(sid) > len(prefix):
                sid = sid[len(prefix):]
                mapping.append(f"{folder.name} → {sid}")
            else:
                kept.append(folder.name)
        if not valid_student_id(sid):
            bad.append(folder.name)
            continue
        students.append(Student(sid, work.look_into(folder, sid)))
    if mapping:
        work.notes.append(f"Student ids are the repository names without {prefix!r}: {_examples(mapping)}.")
    if kept:
        work.notes.append(f"{len(kept)} repositories do not start with {prefix!r} and keep their names: "
                          f"{_examples(kept)}.")
    if bad:
        work.notes.append(f"{len(bad)} folder name(s) cannot be student ids and were left out: {_examples(bad)}.")
    return students


READERS: dict[str, Callable[..., list[Student]]] = {
    "canvas": read_canvas, "gradescope": read_gradescope, "moodle": read_moodle,
}


def read_export(root: Path, work_folder: Path, shown: Shown, unzip: Callable[[Path, Path], None], *,
                layout: str | None = None, prefix: str | None = None) -> Found:
    """The students of the export in ``root`` (``layout``: forced, else detected); ``unzip`` extracts a
    submission that is a .zip (safely: grader.classroom.submissions.extract_zip)."""
    if layout is not None and layout not in LAYOUTS:
        raise UsageError(f"--layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    notes: list[str] = []
    root = find_root(root, shown, notes)
    work = Work(work_folder, shown, notes, unzip)
    kind = layout or detect(root) or "folders"
    if kind in READERS:
        students = READERS[kind](root, work)
    else:
        students = read_folders(root, work, prefix=prefix, classroom=kind == "classroom", forced=layout is not None)
    unique: dict[str, Student] = {}
    for s in students:
        if s.student in unique:
            notes.append(f"student {s.student} appears twice; graded {unique[s.student].path.name} only.")
            continue
        unique[s.student] = s
    if not unique:
        held = f"{len(_dirs(root))} folder(s) and {len(_files(root))} file(s)"
        raise InputError(f"no student could be identified in {shown(root)} (read as {TITLE[kind]}; it holds {held})",
                         "Pass the folder or .zip your LMS gave you, or choose its layout with "
                         "--layout canvas|gradescope|moodle|classroom|folders.")
    ordered = sorted(unique.values(), key=lambda s: s.student)
    return Found(kind, ordered, shown(root), notes)
