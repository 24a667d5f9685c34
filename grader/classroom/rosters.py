"""Who is who, and who is in which group: the roster files each LMS gives an instructor.

An export names a submission by a number or a folder; these files say whose it is, and, for a team
assignment, which students one group's submission belongs to:

- Moodle's grading worksheet (*Assignment > Download grading worksheet*, ``--moodle``). Its columns, as
  ``moodle/moodle:mod/assign/gradingtable.php`` (``assign_grading_table::__construct``, downloading) writes
  them: ``Identifier`` (``Participant N``: the participant id the download's folder names carry), ``Full name``,
  the identity fields (``Email address``, ``ID number``...), ``Status``, ``Group`` (team submissions),
  ``Grade``, ``Maximum grade``, ``Grade can be changed``, ``Last modified (submission)``, ``Last modified
  (grade)``, ``Feedback comments``. The same file goes back through *Upload grading worksheet*
  (grader.classroom.gradebook.write_moodle_worksheet).
- Canvas's export of a group set (*People > Groups > Export*, ``--canvas-groups``): one row per student,
  ``name, canvas_user_id, user_id, login_id, sections, group_name, canvas_group_id, group_id``
  (``instructure/canvas-lms:doc/api/group_category_csv.md``).
- GitHub Classroom's roster (*Students > Download*, ``--roster``): ``identifier, github_username, github_id,
  name``; a ``team`` column, which Classroom does not write, may be added by hand for team assignments.

Every reader refuses a file it cannot use with the file's name and what is missing, and never guesses.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import InputError

PARTICIPANT = re.compile(r"(\d+)\s*$")  # "Participant 501": Moodle's importer strips the words, keeps the number
MOODLE_REQUIRED = ("Identifier", "Grade", "Last modified (grade)")  # what assignfeedback_offline's importer needs


@dataclass(frozen=True)
class Person:
    id: str  # the id the gradebook uses: Moodle participant id, Canvas user id, Classroom login
    name: str = ""
    email: str = ""
    group: str = ""
    keys: tuple[str, ...] = ()  # other names the export may give this person (a roster identifier, a login)


@dataclass
class Roster:
    """People of one roster file, and its groups (name -> member ids, in the file's order)."""

    source: Path
    people: dict[str, Person] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    group_ids: dict[str, str] = field(default_factory=dict)  # an LMS group id -> its name

    def add(self, person: Person) -> None:
        self.people[person.id] = person
        if person.group:
            self.groups.setdefault(person.group, []).append(person.id)

    def find(self, key: str) -> Person | None:
        """The person whose id, or one of whose other keys, is ``key`` (case-insensitive for keys)."""
        if key in self.people:
            return self.people[key]
        folded = key.casefold()
        for person in self.people.values():
            if any(k.casefold() == folded for k in person.keys if k):
                return person
        return None

    def members(self, group: str) -> list[Person]:
        """The members of a group named as the export names it (Moodle writes ``_`` as a space)."""
        wanted = _group_key(group)
        for name, ids in self.groups.items():
            if _group_key(name) == wanted:
                return [self.people[i] for i in ids]
        return []


MOODLE_FILE_UNSAFE = re.compile(r"[\x00-\x1f\x7f&<>\"`|':\\/]")  # lib/moodlelib.php, clean_param(PARAM_FILE)


def _group_key(name: str) -> str:
    """A group's name as a folder name carries it: Moodle writes "_" as " " and drops what clean_filename drops."""
    return " ".join(MOODLE_FILE_UNSAFE.sub("", name.replace("_", " ")).split()).casefold()


def _rows(path: Path, what: str, hint: str) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist", hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} {path} cannot be read ({exc})", hint) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))  # quoted cells may hold line breaks (online text)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows = [{k: (v or "").strip() for k, v in rec.items() if isinstance(k, str)} for rec in reader]
    return header, rows


def read_moodle_worksheet(path: Path) -> Roster:
    """Moodle's grading worksheet: participant id -> full name, e-mail, ID number and group."""
    hint = ("Use the CSV from Moodle's Assignment > View all submissions > Grading action > Download grading "
            "worksheet, as it is (English column names).")
    header, rows = _rows(path, "Moodle grading worksheet", hint)
    missing = [c for c in (*MOODLE_REQUIRED, "Maximum grade") if c not in header]
    if missing == ["Maximum grade"] and "Scale" in header:
        raise InputError(f"Moodle grading worksheet {path} is for an assignment graded with a scale: Moodle takes "
                         "scale names back, and a score cannot say which one",
                         "Set the assignment's grade type to Point, or import gradebook.csv by hand.")
    if missing:  # checked before grading: Upload grading worksheet refuses a file without these columns
        raise InputError(f"Moodle grading worksheet {path} has no column {', '.join(map(repr, missing))}", hint)
    roster = Roster(path)
    for n, rec in enumerate(rows, start=2):
        m = PARTICIPANT.search(rec.get("Identifier", ""))
        if m is None:
            raise InputError(f"{path}:{n}: Identifier {rec.get('Identifier', '')!r} holds no participant number",
                             hint)
        # under blind marking the worksheet has no Full name (gradingtable.php): the id alone
        roster.add(Person(m.group(1), name=rec.get("Full name", ""), email=rec.get("Email address", ""),
                          group=rec.get("Group", ""), keys=(rec.get("ID number", ""),)))
    return roster


def read_canvas_groups(path: Path) -> Roster:
    """Canvas's export of a group set: Canvas user id -> name, login and group."""
    hint = "Use the CSV from Canvas's People > Groups > (the group set) > Export, as it is."
    header, rows = _rows(path, "Canvas group-set export", hint)
    missing = [c for c in ("canvas_user_id", "group_name") if c not in header]
    if missing:
        raise InputError(f"Canvas group-set export {path} has no column {', '.join(map(repr, missing))}", hint)
    roster = Roster(path)
    for rec in rows:
        if not rec.get("canvas_user_id"):
            continue
        roster.add(Person(rec["canvas_user_id"], name=rec.get("name", ""), group=rec.get("group_name", ""),
                          keys=(rec.get("login_id", ""), rec.get("user_id", ""))))
        if rec.get("canvas_group_id") and rec.get("group_name"):
            roster.group_ids[rec["canvas_group_id"]] = rec["group_name"]
    return roster


def read_classroom_roster(path: Path) -> Roster:
    """GitHub Classroom's roster: the id is the roster identifier, else the GitHub login."""
    hint = ("Use the CSV from GitHub Classroom's Students > Download roster (identifier, github_username, ...); "
            "for team assignments add a column team with each student's team name.")
    header, rows = _rows(path, "Classroom roster", hint)
    if "identifier" not in header and "github_username" not in header:
        raise InputError(f"Classroom roster {path} has neither an 'identifier' nor a 'github_username' column", hint)
    roster = Roster(path)
    for rec in rows:
        ident, login = rec.get("identifier", ""), rec.get("github_username", "")
        if not (ident or login):
            continue
        roster.add(Person(ident or login, name=rec.get("name", ""), group=rec.get("team", ""),
                          keys=(login, ident)))
    return roster


@dataclass(frozen=True)
class Rosters:
    """The roster files a batch was given (each optional)."""

    moodle: Roster | None = None
    canvas_groups: Roster | None = None
    classroom: Roster | None = None
