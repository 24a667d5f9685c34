"""The answer sheet ``quiz.yaml``: written for one student by ``grader build``, read back by ``grader check``.

The sheet is the student's file, so reading it must survive anything: broken YAML, a binary file, a
symlink, a huge or deeply nested document. It is composed into YAML nodes (never constructed into
Python objects, so aliases cannot blow up) and walked two levels deep; every answer keeps its raw
text and its line.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from grader.spec.quiz.model import Question, Quiz
from grader.spec.quiz.variants import Variant, variant

if TYPE_CHECKING:
    import yaml

SHEET_FILE = "quiz.yaml"
MAX_SHEET_BYTES = 256 * 1024
WIDTH = 92
_NULL = "tag:yaml.org,2002:null"


# ---------------------------------------------------------------- writing


def _hint(q: Question) -> str:
    if q.type == "single":
        return "one choice"
    if q.type == "multiple":
        return "select all that apply"
    if q.type == "true_false":
        return "true or false"
    if q.type == "text":
        return f"in your own words{words_asked(q)}; read by your instructor"
    if q.unit == "none":
        return "a number"
    # the sheet's header says a unit may be written; a question that accepts fewer says so where it is asked
    only = f"; written in {' or '.join(q.accepts)} only" if q.accepts and set(q.accepts) != {"bits", "nats",
                                                                                            "hartleys"} else ""
    return f"a number, in {q.unit}{only}"


def words_asked(q: Question) -> str:
    """``, 20 to 150 words`` (or at least / at most), as the sheet and grader check say it."""
    low, high = q.min_words, q.max_words
    if low and high:
        return f", {low} to {high} words"
    if low:
        return f", at least {low} words"
    return f", at most {high} words" if high else ""


def _comment(text: str, first: str, rest: str) -> list[str]:
    """``text`` as comment lines: the first line after ``first``, continuations after ``rest``."""
    out = []
    for para in text.split("\n"):
        out += textwrap.wrap(para, WIDTH, initial_indent=first, subsequent_indent=rest) or [first.rstrip()]
        first = rest
    return out


def question_block(number: int, v: Variant) -> list[str]:
    q = v.question
    points = f"{q.points:g} point{'s' if q.points != 1 else ''}"
    lines = ["", f"  # {number}. [{points} · {_hint(q)}]"]
    lines += _comment(v.text, "  #    ", "  #    ")
    width = max((len(c.id) for c in v.choices), default=0)
    for c in v.choices:
        label = f"  #      [{c.id}]{' ' * (width - len(c.id))} "
        lines += _comment(c.text, label, "  #" + " " * (len(label) - 3))
    if q.type == "text":  # an empty block scalar: the answer goes on the indented lines below it
        lines += ["  #    Write your answer on the lines below the | , each indented by four spaces (or in a",
                  f"  #    Markdown cell of your notebook tagged {q.id}):",
                  f"  #      {q.id}: |", "  #        First sentence of your answer,", "  #        and the next.",
                  f"  {q.id}: |"]
        return lines
    lines.append(f"  {q.id}:")
    return lines


#: The header's example answers: generic on purpose, never a question id, value or choice id of a course
#: (tests/test_quiz_spec.py grades every question of the bundled course with each and finds none right).
EXAMPLE_KEY = "my_question"
EXAMPLES = {"number": "1.234 bits", "nats": "0.567 nats", "choice": "my_choice",
            "choices": "[choice_a, choice_c]"}


def build_sheet(quizzes: tuple[Quiz, ...], course_title: str, student: str) -> str:
    """The sheet for ``student``: every question with that student's numbers as comments, a blank under each."""
    if not student.strip() or not student.isprintable():
        raise ValueError(f"student id {student!r} must be printable text")
    head = [
        f"# Answer sheet · {course_title}",
        # the id stands alone: a folder called "student" read "This sheet is for student student"
        f"# Student id: {student}. Some numbers below were drawn for this id: another",
        "# student's sheet asks about different values, so answer the questions on your own sheet.",
        "#",
        f"# Write each answer after the colon under its question, for example   {EXAMPLE_KEY}: {EXAMPLES['number']}",
        f"#   one choice             the choice's id (the word in brackets) or its full text: {EXAMPLES['choice']}",
        f"#   select all that apply  a list of ids: {EXAMPLES['choices']}  (a wrong pick costs points; never below 0)",
        "#   true or false          true or false",
        "#   a number               a plain number is read in the question's unit (bits or nats);",
        f"#                          you may also write the unit: {EXAMPLES['number']}, {EXAMPLES['nats']}",
        "# Run  grader check .  to make sure every answer can be read; your instructor grades the quiz.",
        f"student: {json.dumps(student)}",
    ]
    body: list[str] = []
    for quiz in quizzes:
        total = f"{quiz.points:g} point{'s' if quiz.points != 1 else ''}"
        n = len(quiz.questions)
        body += ["", f"# ---- {quiz.title} · {n} question{'' if n == 1 else 's'} · {total}", f"{quiz.id}:"]
        for n, q in enumerate(quiz.questions, 1):
            body += question_block(n, variant(quiz, q, student))
    return "\n".join(head + body) + "\n"


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Entry:
    """One answer: raw text, a tuple of raw texts for a list, or None when blank."""

    raw: str | tuple[str, ...] | None
    line: int
    problem: str | None = None  # the answer's shape is wrong (a mapping, a nested list)


@dataclass
class Section:
    """One top-level key of the sheet: a quiz id (a mapping of answers), ``student``, or a stray key."""

    key: str
    line: int
    entries: dict[str, Entry] = field(default_factory=dict)
    repeated: dict[str, list[int]] = field(default_factory=dict)
    strays: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    scalar: str | None = None
    is_mapping: bool = False


@dataclass
class Sheet:
    """A student's answer sheet as read: its sections, or why it cannot be used at all."""

    present: bool
    fatal: str | None = None  # "quiz.yaml:3:5: ..." when the sheet cannot be used at all
    sections: dict[str, Section] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def student(self) -> str | None:
        s = self.sections.get("student")
        return s.scalar.strip() if s is not None and s.scalar and s.scalar.strip() else None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _entry(node: yaml.Node, line: int) -> Entry:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        if (node.tag == _NULL and node.style is None) or not node.value.strip():
            return Entry(None, line)
        return Entry(node.value, line)
    if isinstance(node, yaml.SequenceNode):
        items = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                return Entry(None, line, "a list of answers may only hold choice ids or texts, not nested lists "
                                         "or mappings")
            items.append(item.value)
        return Entry(tuple(items), line)
    return Entry(None, line, "this answer is a mapping (is the next line indented too far?); write the answer "
                             "after the colon")


def read_sheet(folder: Path) -> Sheet:
    """Parse ``folder/quiz.yaml``; never raises for anything the student can put in the file."""
    path = folder / SHEET_FILE
    if path.is_symlink():
        return Sheet(True, f"{SHEET_FILE}:1: is a symbolic link; the answer sheet must be a plain file")
    if not path.exists():
        return Sheet(False, f"{SHEET_FILE} is missing from the submission; ask for your sheet "
                            "(grader build --student ID) and answer in it")
    if not path.is_file():
        return Sheet(True, f"{SHEET_FILE}:1: is not a file")
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SHEET_BYTES + 1)
    except OSError as exc:
        return Sheet(True, f"{SHEET_FILE}:1: cannot be read ({exc.strerror or exc})")
    if len(raw) > MAX_SHEET_BYTES:
        return Sheet(True, f"{SHEET_FILE}:1: is larger than {MAX_SHEET_BYTES // 1024} KB; an answer sheet "
                           "is a few KB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return Sheet(True, f"{SHEET_FILE}:{line}: is not valid UTF-8 text; save it as UTF-8")
    import yaml  # here: a submission without a sheet, and every import of this module, need no PyYAML

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1"
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        hint = ""
        if "mapping values are not allowed" in what:  # "because: ..." inside an answer written on one line
            hint = ("; a colon and a space inside an answer start a new key: put the answer in quotes or, for an "
                    "answer in words, write it as a block (the question id, ': |', then the lines indented below it)")
        return Sheet(True, f"{SHEET_FILE}:{where}: invalid YAML: {what}{hint}; fix the file and check again")
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        return Sheet(True, f"{SHEET_FILE}:1: invalid YAML: {type(exc).__name__}")
    if root is None:
        return Sheet(True, f"{SHEET_FILE}:1: is empty; rebuild it with grader build --student ID")
    if not isinstance(root, yaml.MappingNode):
        return Sheet(True, f"{SHEET_FILE}:{_line(root)}: should hold 'student:' and one block of answers per "
                           "quiz, not a single value or a list")
    sheet = Sheet(True)
    for knode, vnode in root.value:
        line = _line(knode)
        if not isinstance(knode, yaml.ScalarNode):
            sheet.notes.append(f"{SHEET_FILE}:{line}: a key must be a plain word; ignored")
            continue
        key = knode.value
        if key in sheet.sections:
            sheet.notes.append(f"{SHEET_FILE}:{line}: {key!r} appears twice (first on line "
                               f"{sheet.sections[key].line}); only the first is read")
            continue
        section = Section(key, line)
        sheet.sections[key] = section
        if isinstance(vnode, yaml.ScalarNode):
            section.scalar = None if vnode.tag == _NULL and not vnode.value.strip() else vnode.value
            continue
        if not isinstance(vnode, yaml.MappingNode):
            continue
        section.is_mapping = True
        for qk, qv in vnode.value:
            qline = _line(qk)
            if not isinstance(qk, yaml.ScalarNode):
                section.strays.append((qline, "a question id must be a plain word; ignored"))
                continue
            if qk.value in section.entries:
                section.repeated.setdefault(qk.value, [section.entries[qk.value].line]).append(qline)
                continue
            section.entries[qk.value] = _entry(qv, qline)
    return sheet


def sheet_student(folder: Path) -> str | None:
    """The student id a sheet was built for, if it can be read."""
    return read_sheet(folder).student
