"""reviews.yaml: a readable copy of the decisions, to version, edit by hand, and load back.

Export writes every decision with the answer's first words beside it, for the person reading the file.
Import checks every entry before it writes anything (the question is a text question of the course, the
items are in its rubric, the hash has the right form), and names each problem at ``file:line``; then it
saves all entries in one transaction.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from grader.errors import Problem, SpecError
from grader.files import write_atomic
from grader.review import store
from grader.review.answers import collect, text_questions
from grader.spec.course import Course
from grader.spec.yamlspec import load_yaml

HASH = re.compile(r"^[0-9a-f]{16}$")
EXCERPT = 80
KEYS = {"question", "answer", "student", "items", "comment", "reviewer", "decided_at", "excerpt"}


def _quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def export(out: Path, course: Course, dest: Path) -> int:
    conn = store.connect(out)
    try:
        decisions = store.load(conn)
    finally:
        conn.close()
    texts = {(key, a.hash): a.text for key, qa in collect(out, course).items() for a in qa.answers}
    lines = ["# Review decisions of a grader batch (grader review OUT --export). Edit, then load back with",
             "# grader review OUT --import FILE. answer: the answer's hash; student: that student's answer only;",
             "# items: rubric item ids; excerpt is for reading and is ignored on import.", "decisions:"]
    for d in decisions:
        excerpt = " ".join(texts.get((d.question, d.answer_hash), "").split())
        excerpt = excerpt if len(excerpt) <= EXCERPT else excerpt[: EXCERPT - 1] + "…"
        lines += [f"  - question: {d.question}", f"    answer: \"{d.answer_hash}\""]
        if d.student:
            lines.append(f"    student: {_quote(d.student)}")
        lines.append(f"    items: [{', '.join(d.items)}]")
        if d.comment:
            lines.append(f"    comment: {_quote(d.comment)}")
        if d.reviewer:
            lines.append(f"    reviewer: {_quote(d.reviewer)}")
        lines.append(f"    decided_at: \"{d.decided_at}\"")
        if excerpt:
            lines.append(f"    excerpt: {_quote(excerpt)}")
    if not decisions:
        lines[-1] = "decisions: []"
    write_atomic(dest, "\n".join(lines) + "\n")
    return len(decisions)


def _entry(doc: Any, i: int, entry: Any, rubrics: dict[str, set[str]], problems: list[Problem]) -> store.Decision | None:
    where = ["decisions", i]

    def bad(message: str, key: str | None = None) -> None:
        problems.append(doc.problem(where, f"decisions[{i}]: {message}", key=key))

    if not isinstance(entry, dict):
        bad("each decision is a mapping with question, answer and items")
        return None
    for key in entry:
        if key not in KEYS:
            bad(f"unknown key {key!r}; a decision has {', '.join(sorted(KEYS))}", key=str(key))
    question = entry.get("question")
    if question not in rubrics:
        bad(f"question {question!r} is not a text question of the course; the text questions are "
            f"{', '.join(sorted(rubrics)) or 'none'}", key="question")
        return None
    answer = str(entry.get("answer", ""))
    if not HASH.match(answer):
        bad("answer must be the answer's hash: 16 hexadecimal digits, as --export writes it", key="answer")
    items = entry.get("items", [])
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        bad("items must be a list of rubric item ids", key="items")
        return None
    unknown = [x for x in items if x not in rubrics[question]]
    if unknown:
        bad(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not in the rubric of {question} "
            f"({', '.join(sorted(rubrics[question]))})", key="items")
    texts = {k: entry.get(k, "") for k in ("student", "comment", "reviewer", "decided_at")}
    for k, v in texts.items():
        if not isinstance(v, str):
            bad(f"{k} must be text", key=k)
            return None
    return store.Decision(question, answer, tuple(items), texts["comment"], texts["reviewer"], texts["student"],
                          texts["decided_at"])


def import_file(out: Path, course: Course, path: Path) -> int:
    """Check every entry of ``path``; save them all in one transaction, or raise SpecError with every problem."""
    doc = load_yaml(path, path.parent)
    rubrics = {f"{quiz.id}/{q.id}": {it.id for it in q.rubric} for quiz, q in text_questions(course)}
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("decisions"), list):
        raise SpecError([doc.problem([], "a reviews file holds 'decisions:', a list (grader review OUT --export "
                                         "writes one)")])
    problems: list[Problem] = []
    decisions = [d for i, e in enumerate(data["decisions"]) if (d := _entry(doc, i, e, rubrics, problems)) is not None]
    if problems:
        raise SpecError(problems)
    conn = store.connect(out)
    try:
        store.save(conn, decisions)
    finally:
        conn.close()
    return len(decisions)
