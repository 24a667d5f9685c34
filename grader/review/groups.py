"""Grouping answers so that one decision covers many students, and the hints a reviewer sees on a group.

First answers that are the same after normalising case and spacing (the hash the record keeps), then
near-identical ones: a group's representative is compared with rapidfuzz's ``fuzz.ratio`` (normalised
Indel similarity, 0 to 100) and an answer joins the first group at ``NEAR`` or above. Largest groups
first, so the common answers come first on the page.

Suggestions are the rubric's ``suggest`` words found in the answer: shown, pre-ticked, and confirmed by a
person; never a grade on their own. The integrity badge marks identical long answers shared by several
students; it is shown and never acted on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.judge.written import normalise_text
from grader.review.answers import Answer
from grader.spec.quiz.model import Question

#: fuzz.ratio at or above which two answers are near-identical (typos, a changed word, punctuation).
NEAR = 90.0
#: An identical answer this long (in words), shared by several students, gets the integrity badge.
LONG_WORDS = 25


@dataclass
class Variant:
    """Answers identical after normalisation: one hash, one text (the first student's), several students."""

    hash: str
    text: str
    words: int
    students: list[str] = field(default_factory=list)


@dataclass
class Group:
    """Answers close enough to decide together; ``variants[0]`` is the most common, shown first."""

    variants: list[Variant]
    suggestions: dict[str, list[str]] = field(default_factory=dict)  # rubric item id -> the words found

    @property
    def id(self) -> str:
        return self.variants[0].hash

    @property
    def text(self) -> str:
        return self.variants[0].text

    @property
    def students(self) -> list[str]:
        return [s for v in self.variants for s in v.students]

    @property
    def size(self) -> int:
        return sum(len(v.students) for v in self.variants)

    @property
    def hashes(self) -> list[str]:
        return [v.hash for v in self.variants]

    @property
    def integrity(self) -> bool:
        """Several students handed in the same long answer: worth a look by a person, nothing more."""
        return any(len(v.students) >= 2 and v.words >= LONG_WORDS for v in self.variants)


def _phrase(word: str) -> re.Pattern[str]:
    # at the start of a word, so "penalis" finds "penalises" but "rate" does not find "accurate"
    return re.compile(r"(?<!\w)" + re.escape(word))


def suggest(question: Question, text: str) -> dict[str, list[str]]:
    """The rubric items whose suggest words occur in ``text`` (normalised), with the words that did."""
    norm = normalise_text(text)
    found: dict[str, list[str]] = {}
    for item in question.rubric:
        hits = [w for w in item.suggest if _phrase(w).search(norm)]
        if hits:
            found[item.id] = hits
    return found


def exact(answers: list[Answer]) -> list[Variant]:
    """Answers by hash, most students first (ties by first appearance)."""
    by_hash: dict[str, Variant] = {}
    for a in answers:
        v = by_hash.get(a.hash)
        if v is None:
            v = by_hash[a.hash] = Variant(a.hash, a.text, a.words)
        v.students.append(a.student)
    return sorted(by_hash.values(), key=lambda v: -len(v.students))


def group_answers(question: Question, answers: list[Answer], near: float = NEAR) -> list[Group]:
    """Identical answers together, then near-identical variants joined to the first group they resemble."""
    from rapidfuzz import fuzz, process

    groups: list[Group] = []
    reps: list[str] = []  # each group's representative, normalised
    for v in exact(answers):
        norm = normalise_text(v.text)
        match = process.extractOne(norm, reps, scorer=fuzz.ratio, score_cutoff=near) if reps and near <= 100 else None
        if match is not None:
            groups[match[2]].variants.append(v)
            continue
        groups.append(Group([v]))
        reps.append(norm)
    for g in groups:
        g.suggestions = suggest(question, g.text)
    return sorted(groups, key=lambda g: -g.size)
