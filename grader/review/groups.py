"""Grouping answers so that one decision covers many students, and the hints a reviewer sees on a group.

First answers that are the same after normalising case and spacing (the hash the record keeps), then
near-identical ones: a group's representative is compared with rapidfuzz's ``fuzz.ratio`` (normalised
Indel similarity, 0 to 100), and an answer joins the most similar group at ``NEAR`` or above whose first
answer it is ``alike`` to: every word that differs is a typo or a spacing variant, and numbers, units,
symbols, negations and quantity words are the same (``grader.review.alike``). "The loss decreases" and "the
loss increases" are 98 % alike and stay two groups, since one group decision gives every answer in it the
same points. Largest groups first, so the common answers come first on the page.

Each variant is still shown beside the group's first answer with the words that differ marked (``diff``),
so the reviewer sees the typos a decision covers.

Suggestions are the rubric's ``suggest`` words found in the answer: shown, pre-ticked, and confirmed by a
person; never a grade on their own. The integrity badge marks identical long answers shared by several
students; it is shown and never acted on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from grader.judge.written import normalise_text
from grader.review.alike import alike
from grader.review.answers import Answer
from grader.spec.quiz.model import Question

#: fuzz.ratio at or above which two answers are candidates for one group (``alike`` then decides).
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
    diff: list[tuple[str, str]] = field(default_factory=list)  # (text, "same" | "changed" | "removed"), against variants[0]


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


def word_diff(base: str, text: str) -> list[tuple[str, str]]:
    """``text`` as runs of words and spaces, each word marked ``changed`` when it is not in ``base`` at that place,
    with ``removed`` entries for words of ``base`` it lacks; compared after normalisation, shown as written."""
    import difflib

    tokens = re.findall(r"\S+|\s+", text)
    words = [i for i, t in enumerate(tokens) if not t.isspace()]
    ours = [normalise_text(tokens[i]) for i in words]
    theirs = [normalise_text(w) for w in base.split()]
    marks = ["same"] * len(tokens)
    removed: dict[int, list[str]] = {}  # before which of our words the base's missing words go
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, theirs, ours, autojunk=False).get_opcodes():
        if op in ("replace", "insert"):
            for j in range(b1, b2):
                marks[words[j]] = "changed"
        if op in ("replace", "delete"):
            removed.setdefault(b1, []).extend(base.split()[a1:a2])
    out: list[tuple[str, str]] = []
    for position, i in enumerate(words):
        for gone in removed.get(position, []):
            out.append((gone, "removed"))
        out.append((tokens[i], marks[i]))
        if i + 1 < len(tokens) and tokens[i + 1].isspace():
            out.append((tokens[i + 1], "same"))
    out += [(gone, "removed") for gone in removed.get(len(words), [])]
    return out


def exact(answers: list[Answer]) -> list[Variant]:
    """Answers by hash, most students first (ties by first appearance)."""
    by_hash: dict[str, Variant] = {}
    for a in answers:
        v = by_hash.get(a.hash)
        if v is None:
            v = by_hash[a.hash] = Variant(a.hash, a.text, a.words)
        v.students.append(a.student)
    return sorted(by_hash.values(), key=lambda v: -len(v.students))


def group_answers(question: Question, answers: list[Answer], near: float = NEAR,
                  same: Callable[[str, str], bool] = alike) -> list[Group]:
    """Identical answers together, then each near-identical variant joined to the most similar group whose
    first answer it is ``alike`` to; a variant alike to none starts its own group. (``same`` is for the
    benchmark, which counts what the similarity alone would have joined.)"""
    groups: list[Group] = []
    reps: list[str] = []  # each group's representative, normalised
    for v in exact(answers):
        norm = normalise_text(v.text)
        home = _home(norm, reps, near, same)
        if home is not None:
            groups[home].variants.append(v)
            continue
        groups.append(Group([v]))
        reps.append(norm)
    for g in groups:
        g.suggestions = suggest(question, g.text)
        for v in g.variants[1:]:
            v.diff = word_diff(g.text, v.text)
    return sorted(groups, key=lambda g: -g.size)


def _home(norm: str, reps: list[str], near: float, same: Callable[[str, str], bool]) -> int | None:
    """The group ``norm`` joins: the most similar representative at ``near`` or above that it is alike to."""
    from rapidfuzz import fuzz, process

    if not reps or near > 100:
        return None
    for _, _, index in process.extract(norm, reps, scorer=fuzz.ratio, score_cutoff=near, limit=None):
        if same(reps[index], norm):
            return int(index)
    return None
