"""Gradebook CSVs: our own (student, each item, total) and one Canvas can import.

Every text cell people we do not control choose (student ids from folder names, names, e-mails) goes through
``guard_cell``: a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula. Numbers are written as numbers and never guarded, and neither are the Canvas and SIS ids
of the instructor's roster in canvas.csv: Canvas matches students by them, character for character.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from grader.errors import InputError, Problem, SpecError
from grader.spec.yamlspec import load_yaml, schema_problems

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CANVAS_INFO = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "    Points Possible"  # Canvas's own export writes the row label like this


def guard_cell(value: Any) -> Any:
    """A text cell a spreadsheet will show as text: a leading quote defuses a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def number(value: float | None) -> str:
    """A score as a spreadsheet reads it: ``8.5``, ``10``, or blank when there is none."""
    if value is None:
        return ""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _writer(fh: TextIO) -> Any:
    return csv.writer(fh, lineterminator="\r\n")


def write_gradebook(fh: TextIO, items: list[dict[str, Any]], rows: Iterable[dict[str, Any]], *,
                    pending: bool = False) -> int:
    """``student, name, email, <item ids...>, total``: one row per student, in the order given (name and
    e-mail as the LMS export gave them, blank when it has none). ``pending`` adds a last column, the points of
    written answers awaiting review: the items and total hold graded points only, so pending is never lost."""
    w = _writer(fh)
    w.writerow(["student", "name", "email", *[guard_cell(it["id"]) for it in items], "total",
                *(["pending"] if pending else [])])
    count = 0
    for row in rows:
        scores = row.get("items", {})
        who = [guard_cell(row["student"]), guard_cell(row.get("name") or ""), guard_cell(row.get("email") or "")]
        w.writerow([*who, *[number(scores.get(it["id"])) for it in items], number(row["score"]),
                    *([number(row.get("pending", 0.0))] if pending else [])])
        count += 1
    return count


# -- Canvas ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CanvasStudent:
    name: str
    id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


@dataclass(frozen=True)
class CanvasMap:
    """What the Canvas CSV needs that our results do not hold: who is who, and which assignment is which."""

    assignments: dict[str, tuple[str, int]]  # our item id (or "total") -> (Canvas title, assignment id)
    students: dict[str, CanvasStudent] = field(default_factory=dict)
    section: str = ""
    points_possible: bool = True


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _read_roster(path: Path, match: str, where: Problem) -> dict[str, CanvasStudent]:
    """Students from a Canvas gradebook export, keyed by the column that equals our folder names."""
    column = {"sis_login_id": "SIS Login ID", "sis_user_id": "SIS User ID", "id": "ID", "name": "Student"}[match]
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SpecError([Problem(where.file, where.line, where.column, f"cannot read roster {path}: {exc}")]) from None
    with fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("Student", "ID", column) if c not in (reader.fieldnames or [])]
        if missing:
            raise SpecError([Problem(where.file, where.line, where.column,
                                     f"roster {path.name} has no column {', '.join(map(repr, missing))}; "
                                     "use the CSV that Canvas's Grades > Export gives")])
        out = {}
        for rec in reader:
            key = (rec.get(column) or "").strip()
            if not key or "Points Possible" in (rec.get("Student") or ""):
                continue
            out[key] = CanvasStudent(name=rec["Student"], id=rec.get("ID") or "", sis_user_id=rec.get("SIS User ID") or "",
                                     sis_login_id=rec.get("SIS Login ID") or "", section=rec.get("Section") or "")
        return out


def load_canvas_map(path: Path) -> CanvasMap:
    """Read and validate a Canvas map (YAML); errors name the file, line and key."""
    if not path.is_file():
        raise InputError(f"Canvas map {path} does not exist", "See the README's 'Canvas' section for its format.")
    doc = load_yaml(path, path.parent)
    problems = schema_problems(doc, "canvas")
    if problems:
        raise SpecError(problems, "See the README's 'Canvas' section for the map's format.")
    data = doc.data
    assignments = {key: (str(a["title"]), int(a["id"])) for key, a in data["assignments"].items()}
    students: dict[str, CanvasStudent] = {}
    if "roster" in data:
        line, col = doc.where(["roster"])
        students.update(_read_roster(path.parent / data["roster"], data.get("match", "sis_login_id"),
                                     Problem(doc.display, line, col, "")))
    for sid, s in (data.get("students") or {}).items():
        students[str(sid)] = CanvasStudent(name=_text(s.get("name", sid)), id=_text(s.get("id")),
                                           sis_user_id=_text(s.get("sis_user_id")),
                                           sis_login_id=_text(s.get("sis_login_id")), section=_text(s.get("section")))
    return CanvasMap(assignments=assignments, students=students, section=_text(data.get("section")),
                     points_possible=bool(data.get("points_possible", True)))


def canvas_header(cmap: CanvasMap, items: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The header row and the item ids behind its assignment columns (in course order, total last)."""
    keys = [it["id"] for it in items if it["id"] in cmap.assignments]
    if "total" in cmap.assignments:
        keys.append("total")
    header = [*CANVAS_INFO, *[f"{cmap.assignments[k][0]} ({cmap.assignments[k][1]})" for k in keys]]
    return [guard_cell(h) for h in header], keys


def is_anonymous(student: str) -> bool:
    """A Canvas anonymous id (``anon_<5 base58 characters>``, lib/anonymity.rb), never a user id."""
    return student.startswith("anon_")


def anonymous_refusal(student: str) -> tuple[str, str]:
    return (f"canvas.csv cannot hold {student}: Canvas does not import anonymous ids, only user ids",
            "Grade again after the assignment is de-anonymised (Canvas then names files by user id), or give "
            f"each anonymous id its Canvas ID in the --canvas map (students: {{{student}: {{name: ..., id: ...}}}}).")


def write_canvas(fh: TextIO, cmap: CanvasMap, items: list[dict[str, Any]], max_total: float,
                 rows: Iterable[dict[str, Any]], *, canvas_ids: bool = False) -> tuple[int, list[str]]:
    """Write the Canvas CSV; returns the rows written and the students the map does not know.

    ``canvas_ids``: the student ids are Canvas user ids (a Canvas download): a student is matched in the
    map by its ``id`` too, and one the map lacks still gets its Canvas ID, which is what Canvas matches first.
    """
    by_canvas_id = {s.id: s for s in cmap.students.values() if s.id} if canvas_ids else {}
    header, keys = canvas_header(cmap, items)
    w = _writer(fh)
    w.writerow(header)
    if cmap.points_possible:
        maxima = {it["id"]: it["max_score"] for it in items}
        maxima["total"] = max_total
        w.writerow([POINTS_POSSIBLE, "", "", "", "", *[number(maxima[k]) for k in keys]])
    unknown = []
    count = 0
    for row in rows:
        sid = row["student"]
        person = cmap.students.get(sid) or by_canvas_id.get(sid)
        if person is None and canvas_ids and is_anonymous(sid):
            raise InputError(*anonymous_refusal(sid))
        if person is None and canvas_ids:
            person = CanvasStudent(name=row.get("name") or sid, id=sid)
        if person is None:
            unknown.append(sid)
            person = CanvasStudent(name=row.get("name") or sid)
        scores = {**row.get("items", {}), "total": row["score"]}
        # Ids come from the instructor's roster or map, and Canvas matches students by them: written as they are
        # (a guarded SIS id '-0042' would match nobody). Names and sections are text a spreadsheet shows.
        info = [guard_cell(person.name), person.id, person.sis_user_id, person.sis_login_id,
                guard_cell(person.section or cmap.section)]
        w.writerow([*info, *[number(scores.get(k)) for k in keys]])
        count += 1
    return count, unknown


# -- Moodle ----------------------------------------------------------------------------------------

def write_moodle_worksheet(fh: TextIO, worksheet: Path, rows: Iterable[dict[str, Any]]) -> tuple[int, list[str]]:
    """Moodle's grading worksheet as downloaded, with each graded participant's Grade filled in; returns the
    rows filled and the students the worksheet does not hold.

    What Moodle's *Upload grading worksheet* reads (moodle/moodle:mod/assign/feedback/offline/importgradeslib.php,
    ``assignfeedback_offline_grade_importer::init`` and ``next``; locallib.php, ``process_import_grades``): the
    columns ``Identifier`` (``Participant N``, the number after the words), ``Grade`` and ``Last modified
    (grade)``, found by their names; a grade above the assignment's maximum, or whose row's ``Last modified
    (grade)`` is older than the grade in Moodle, is skipped. So every column and row is written back as it came,
    Last modified included (a grade changed in Moodle since the download is not overwritten), and the score is
    scaled to the row's ``Maximum grade`` (our total as a share of the course's maximum).
    """
    from grader.classroom.rosters import MOODLE_REQUIRED, PARTICIPANT

    text = worksheet.read_text("utf-8-sig")
    table = list(csv.reader(io.StringIO(text, newline="")))  # online text may hold line breaks
    if not table:
        raise InputError(f"Moodle grading worksheet {worksheet} is empty")
    header = [h.strip() for h in table[0]]
    missing = [c for c in MOODLE_REQUIRED if c not in header]
    if missing:
        raise InputError(f"Moodle grading worksheet {worksheet} has no column {', '.join(map(repr, missing))}, "
                         "which Moodle's Upload grading worksheet needs",
                         "Download the grading worksheet again (Grading action > Download grading worksheet).")
    ident, grade, modified = (header.index(c) for c in MOODLE_REQUIRED)
    maximum = header.index("Maximum grade") if "Maximum grade" in header else None
    # Cells the importer reads (the three columns, and the feedback columns after Last modified) stay as they
    # are; names and other text a spreadsheet would show are guarded like every other gradebook's.
    read = {ident, grade, modified, *range(modified + 1, len(header))}
    scores = {row["student"]: (row["score"], row["max_score"]) for row in rows}
    w = _writer(fh)
    w.writerow(table[0])
    filled = 0
    seen = set()
    for rec in table[1:]:
        rec = rec + [""] * (len(header) - len(rec))
        m = PARTICIPANT.search(rec[ident])
        pid = m.group(1) if m else None
        if pid in scores:
            score, max_score = scores[pid]
            seen.add(pid)
            top = _float(rec[maximum]) if maximum is not None else None
            value = score if top is None or not max_score else score / max_score * top
            rec[grade] = number(round(value, 2))
            filled += 1
        # Moodle's own "-" (nothing yet) and numbers are no formula; names, e-mails and online text are guarded.
        w.writerow([cell if i in read or cell == "-" or _float(cell) is not None else guard_cell(cell)
                    for i, cell in enumerate(rec)])
    return filled, sorted(set(scores) - seen)


def _float(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None
