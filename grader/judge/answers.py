"""Reading what a student wrote: numbers with units, choices by id or text, true/false.

Answers are read from the raw YAML text, not from what PyYAML makes of it, so ``yes`` stays
``yes`` and ``1e-3`` is a number. A parse failure is a sentence telling the student what to write.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from grader.spec.quiz.load import normalise
from grader.spec.quiz.model import Choice

UNITS = {
    "bits": ("bit", "bits", "b", "shannon", "shannons", "sh"),
    "nats": ("nat", "nats", "nit", "nits"),
    "hartleys": ("hartley", "hartleys", "ban", "bans", "dit", "dits"),
}
UNIT_OF = {alias: unit for unit, aliases in UNITS.items() for alias in aliases}
_NUMBER = re.compile(r"^(?P<num>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>[^\W\d_]+)?\.?$")
# Linear: the unit must start with a letter, so the digits before it cannot be split two ways (``\d+,\d+\s*\w*``
# backtracked quadratically: "1," then 60,000 ones then "!" took 22 s).
_COMMA_DECIMAL = re.compile(r"[-+]?\d+,\d+(?:\s*[^\W\d_]\w*)?")
#: Longest answer read, and most items in a list answer: a 256 KiB sheet could otherwise hold one answer that
#: every pattern here scans.
MAX_ANSWER_CHARS = 1000
MAX_ANSWER_ITEMS = 50
TRUE = ("true", "yes", "t", "y")
FALSE = ("false", "no", "f", "n")
SHOW = 60


class Unreadable(ValueError):
    """An answer that cannot be read; the message says what to write instead."""


def show(raw: str) -> str:
    """A student's text, quoted and cut short, for messages."""
    raw = " ".join(raw.split())
    return repr(raw if len(raw) <= SHOW else raw[: SHOW - 1] + "…")


@dataclass(frozen=True)
class Quantity:
    """A number a student wrote, with the unit they named, if any."""

    value: float
    unit: str | None  # bits | nats | hartleys, or None for a plain number

    def __str__(self) -> str:
        from grader.spec.tolerance import fmt

        return fmt(self.value) + (f" {self.unit}" if self.unit else "")


def check_length(raw: str | tuple[str, ...]) -> None:
    """Refuse an answer longer than any real one, before a pattern looks at it."""
    items = raw if isinstance(raw, tuple) else (raw,)
    if len(items) > MAX_ANSWER_ITEMS:
        raise Unreadable(f"this answer lists {len(items)} items; a list answer has at most {MAX_ANSWER_ITEMS}")
    size = sum(len(item) for item in items)
    if size > MAX_ANSWER_CHARS:
        raise Unreadable(f"this answer is {size} characters long; an answer is at most {MAX_ANSWER_CHARS} "
                         "(a number, a choice or true/false)")


def parse_number(raw: str, unit: str) -> Quantity:
    """``2.585``, ``2.585 bits``, ``1.79 nats``; ``unit`` is the question's (bits, nats or none)."""
    text = raw.strip().replace("\u2212", "-")
    m = _NUMBER.match(text)
    if m is None:
        if _COMMA_DECIMAL.fullmatch(text):
            raise Unreadable(f"{show(raw)} is not a number: write decimals with a dot, e.g. "
                             f"{text.replace(',', '.', 1)}")
        if re.search(r"log|ln|\*\*|\^|/|\(|sqrt|exp", text):
            raise Unreadable(f"{show(raw)} is a formula: work it out and write the number (e.g. 1.234)")
        raise Unreadable(f"{show(raw)} is not a number; write a number such as 1.234"
                         + (f" or '1.234 {unit}'" if unit != "none" else ""))
    value = float(m.group("num"))
    if not math.isfinite(value):
        raise Unreadable(f"{show(raw)} is not a finite number")
    word = m.group("unit")
    if word is None:
        return Quantity(value, None)
    found = UNIT_OF.get(word.casefold())
    if found is None:
        raise Unreadable(f"{show(raw)}: {word!r} is not a unit I know; write bits or nats, or a plain number")
    if unit == "none":
        raise Unreadable(f"{show(raw)}: the answer to this question is a plain number without a unit; "
                         f"write {m.group('num')}")
    return Quantity(value, found)


def match_choice(raw: str, choices: tuple[Choice, ...]) -> Choice:
    """A choice by its id or its text (case and spacing ignored); also ``b) its text`` copied from the sheet."""
    text = raw.strip()
    by_id = {c.id.casefold(): c for c in choices}
    if text.casefold() in by_id:
        return by_id[text.casefold()]
    norm = normalise(text)
    for c in choices:
        if normalise(c.text) == norm:
            return c
    m = re.match(r"^\[?(\w[\w-]*)[\])]\s*(.+)$", text)
    if m and m.group(1).casefold() in by_id:
        c = by_id[m.group(1).casefold()]
        if normalise(m.group(2)) == normalise(c.text):
            return c
    ids = ", ".join(c.id for c in choices)
    raise Unreadable(f"{show(raw)} is not one of the choices; write a choice id ({ids}) or a choice's full text")


def parse_choices(raw: str | tuple[str, ...], choices: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """A list ``[a, c]``, or one line ``a, c``; each item an id or a text. Repeats count once."""
    if isinstance(raw, tuple):
        items = raw
    else:
        try:
            return (match_choice(raw, choices),)  # one choice, whose text may contain commas
        except Unreadable:
            items = tuple(part.strip() for part in raw.strip().strip("[]").split(",") if part.strip())
    picked: list[Choice] = []
    bad = []
    for item in items:
        try:
            c = match_choice(item, choices)
        except Unreadable:
            bad.append(item)
            continue
        if c not in picked:
            picked.append(c)
    if bad:
        ids = ", ".join(c.id for c in choices)
        which = ", ".join(show(b) for b in bad)
        raise Unreadable(f"{which} {'is' if len(bad) == 1 else 'are'} not among the choices; "
                         f"write a list of choice ids such as [{choices[0].id}, {choices[-1].id}] (ids: {ids})")
    return tuple(picked)


def parse_bool(raw: str) -> bool:
    word = raw.strip().casefold().rstrip(".")
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise Unreadable(f"{show(raw)} is not true or false; write true or false")
