"""When two written answers may share one review decision: only when they say the same thing, written differently.

A character similarity cannot tell: "the loss decreases" and "the loss increases" are 98 % alike by
``fuzz.ratio``, and so are "0.36 nats" and "0.63 nats", or "it is likely" and "it is not likely". A reviewer's
decision for a group is applied to every answer in it, so an answer that says something different must never
be carried along in silence. Hence a rule on words, checked after the similarity has found a candidate:

- both answers are split into tokens: words, numbers and symbols (``- + * / = < > ^ % …``); other punctuation
  and spacing are not tokens, and a hyphen between two letters counts as a space ("one-hot" is "one hot");
  in a script written without spaces (Chinese, Japanese, Thai...) each character is a token;
- the two token lists must pair off from start to end, each step one of:

  * a token against the same token;
  * a word against a typo of it: same first letter, both at least ``MIN_TYPO_LETTERS`` long, and an edit
    distance (rapidfuzz's ``OSA``: insertions, deletions, substitutions and swapped neighbours) of at most one
    per ``LETTERS_PER_EDIT`` letters of the shorter word;
  * a run of words against a run with the same letters and the spacing moved ("data set" / "dataset",
    "cross entropy" / "crossentropy");

- and only the first step may pair a *strict* token: a number, a symbol, a word with a digit in it ("log2"),
  the word right after a number (its unit: "2 bits" / "2 nats"), or a negation or quantity word
  (``protected``). Nothing is paired with nothing: a word added or left out keeps the answers apart.

A word added or removed, a changed number, sign or unit, a word whose first letter changed, a negation put in
or taken out, an antonym: each keeps the answers apart. The rule errs towards separate groups (a typo inside
"decreases" is not forgiven), which costs a reviewer one more decision and never a wrong grade.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

#: A word shorter than this is never a typo of another ("is" / "it", "cat" / "car").
MIN_TYPO_LETTERS = 4
#: One edit allowed per this many letters of the shorter word (4 to 7 letters: one; 8 to 11: two; ...).
LETTERS_PER_EDIT = 4
#: Pairings the search may try per token before it gives up and calls the answers different (an answer is
#: hostile text: crafted repetitions must not stall the page; giving up only costs one more group).
STEPS_PER_TOKEN = 50

#: Negations, quantities, comparisons, directions and truth words, compared exactly (apostrophes removed).
_PROTECTED = """
    not no never none nothing nobody nowhere neither nor cannot without unless except hardly barely
    dont doesnt didnt isnt arent wasnt werent cant couldnt wont wouldnt shouldnt hasnt havent hadnt mustnt neednt
    aint shant mightnt
    all any some every each both either only always often sometimes rarely seldom usually mostly
    many much few fewer fewest several enough too very almost nearly
    up down above below over under before after plus minus times
    same different opposite
    true false right wrong correct incorrect positive negative
    zero one two three four five six seven eight nine ten eleven twelve hundred thousand million
    half twice once double triple
    first second third fourth fifth sixth seventh eighth ninth tenth last
"""
PROTECTED_WORDS = frozenset(_PROTECTED.split())
#: Word families compared exactly: a word starting with one of these ("increas" covers increase, increases,
#: increasing, increasingly) is protected.
PROTECTED_STEMS = ("increas", "decreas", "reduc", "rais", "ris", "rose", "fall", "fell", "drop", "grow", "grew",
                   "shrink", "shrank", "shrunk", "improv", "wors", "better", "best", "high", "low", "larg",
                   "small", "big", "great", "less", "least", "more", "most", "max", "min", "halv", "doubl",
                   "tripl", "gain", "lose", "lost", "negat", "posit", "wide", "narrow", "long", "short", "fast",
                   "slow", "strong", "weak", "hard", "easi", "certain", "uncertain", "likel", "unlikel")

_NUMBER = r"(?:\d+(?:[.,]\d+)*|[.,]\d+)(?:e[-+]?\d+)?"
#: Scripts written without spaces between words (Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar): each
#: character is a token of its own, so a changed character is a changed word, never a typo in a long "word".
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1780-\u17ff\u1000-\u109f"
_TOKEN = re.compile(
    rf"(?P<number>(?<![^\W\d_]){_NUMBER})"  # not straight after a letter: the 2 in "log2" belongs to the word
    rf"|(?P<char>[{_UNSPACED}])"
    rf"|(?P<word>(?:(?![{_UNSPACED}])[^\W_])+(?:'(?:(?![{_UNSPACED}])[^\W_])+)*)"
    r"|(?P<symbol>[-+*/=<>^%~≈≠≤≥×÷±√∞|$€£°‰])")
_JOINER = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")  # "one-hot": a hyphen between letters is a space
_CANONICAL = str.maketrans({"’": "'", "‘": "'", "−": "-", "–": "-", "—": "-"})


@dataclass(frozen=True, slots=True)
class Token:
    """One word, number or symbol of an answer, as compared (case folded, apostrophes removed)."""

    text: str
    strict: bool  # must be the same in both answers: a number, a unit, a symbol, a protected word


def protected(word: str) -> bool:
    """A negation or quantity word: changing it can reverse what the answer says."""
    bare = word.replace("'", "")
    return bare in PROTECTED_WORDS or bare.startswith(PROTECTED_STEMS)


@lru_cache(maxsize=256)
def tokens(text: str) -> tuple[Token, ...]:
    """``text``'s words, numbers and symbols, each marked strict or not (see the module docstring). Cached: a
    group's first answer is compared with every candidate for it (256 answers at most: about 170 kB each for
    an 8,000-character answer, so the cache stays within 45 MB)."""
    text = _JOINER.sub(" ", unicodedata.normalize("NFKC", text).casefold().translate(_CANONICAL))
    out: list[Token] = []
    after_number = False  # only spacing since the last number: this word is its unit
    end = 0
    for m in _TOKEN.finditer(text):
        gap = text[end:m.start()]
        end = m.end()
        if gap and not gap.isspace():
            after_number = False
        kind, value = m.lastgroup, m.group()
        if kind == "char":
            out.append(Token(value, after_number))  # one character: never a typo of another (too short)
            after_number = False
        elif kind == "word":
            out.append(Token(value.replace("'", ""), after_number or any(c.isdigit() for c in value) or protected(value)))
            after_number = False
        else:
            out.append(Token(value, True))
            after_number = kind == "number"
    return tuple(out)


def typo(a: str, b: str) -> bool:
    """``b`` could be ``a`` mistyped: the same first letter, long enough, a few edits at most (see the module)."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    if shorter < MIN_TYPO_LETTERS or a[0] != b[0] or not (a.isalpha() and b.isalpha()):
        return False
    return OSA.distance(a, b) <= shorter // LETTERS_PER_EDIT


def _spacing(ours: tuple[Token, ...], theirs: tuple[Token, ...], i: int, j: int) -> tuple[int, int] | None:
    """The shortest run from ``ours[i]`` and ``theirs[j]`` with the same letters and the spacing moved
    ("data set" / "dataset"): where both runs end, or None when there is none or a strict token is in it."""
    a, b, i2, j2 = ours[i].text, theirs[j].text, i + 1, j + 1
    if ours[i].strict or theirs[j].strict:
        return None
    while a != b:
        short, long_ = (a, b) if len(a) < len(b) else (b, a)
        if not long_.startswith(short):
            return None
        if len(a) < len(b):
            if i2 == len(ours) or ours[i2].strict:
                return None
            a, i2 = a + ours[i2].text, i2 + 1
        else:
            if j2 == len(theirs) or theirs[j2].strict:
                return None
            b, j2 = b + theirs[j2].text, j2 + 1
    return None if (i2, j2) == (i + 1, j + 1) else (i2, j2)


def alike(base: str, text: str) -> bool:
    """``text`` says what ``base`` says, give or take typos, case, spacing and punctuation: one decision may
    cover both. Symmetric; the group's first answer is passed as ``base``.

    A search over the two token lists, each step either one word against one (the same, or a typo when
    neither is strict) or one run of moved spacing; the answers are alike when a path reaches both ends.
    (An edit-distance alignment of the tokens picks one of several equally short paths, and with repeated
    words that one may split a spacing move in two; the search tries them all, in linear time in practice
    because a typo step needs two near-equal words, and calls the answers different after ``STEPS_PER_TOKEN``
    steps per token.)"""
    ours, theirs = tokens(base), tokens(text)
    todo: list[tuple[int, int]] = [(0, 0)]
    seen: set[tuple[int, int]] = set()
    budget = STEPS_PER_TOKEN * (len(ours) + len(theirs) + 1)
    while todo and len(seen) < budget:
        i, j = todo.pop()
        if (i, j) == (len(ours), len(theirs)):
            return True
        if (i, j) in seen or i == len(ours) or j == len(theirs):
            continue
        seen.add((i, j))
        x, y = ours[i], theirs[j]
        block = _spacing(ours, theirs, i, j)
        if block is not None:
            todo.append(block)
        if x.text == y.text or (not (x.strict or y.strict) and typo(x.text, y.text)):
            todo.append((i + 1, j + 1))
    return False
