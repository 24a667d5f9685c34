"""``grader new exercise ID``: the skeleton of an exercise, so a course author starts from something that loads.

It writes ``exercises/ID.yaml`` (schema modeline, functions, one public and one hidden case per function,
tolerance, intuition, a commented misconception), ``reference/ID.py`` (the signatures, bodies to fill in)
and the ``course.yaml`` entry, inserted as text so the file's comments and layout stay as they are.
Once the reference bodies are written, ``grader validate`` passes on the skeleton as written.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from grader.errors import InputError, UsageError
from grader.files import write_atomic
from grader.spec.yamlspec import load_yaml, modeline_target

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SIGNATURE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\((.*)\))?\s*$")
#: Arguments of the skeleton's cases: distributions, since the course is about them. Edit them to fit.
PUBLIC_ARG = [0.5, 0.25, 0.25]
HIDDEN_ARG = [0.7, 0.2, 0.1]


@dataclass(frozen=True)
class Signature:
    name: str
    params: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Signature:
        """``perplexity(probs)`` or ``perplexity`` (one parameter, ``probs``)."""
        m = _SIGNATURE.match(text)
        if m is None:
            raise UsageError(f"--function {text!r} is not a signature", "Write it as NAME(PARAM, ...), e.g. "
                                                                        "--function 'perplexity(probs)'.")
        params = tuple(p.strip() for p in (m.group(2) or "probs").split(",") if p.strip())
        for name in (m.group(1), *params):
            if not name.isidentifier() or keyword.iskeyword(name):
                raise UsageError(f"--function {text!r}: {name!r} is not a Python name",
                                 "Use letters, digits and _, e.g. --function 'perplexity(probs)'.")
        if not params:
            raise UsageError(f"--function {text!r} has no parameter", "A graded function takes at least one.")
        return cls(m.group(1), params)


def _flow(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()


def exercise_yaml(ex_id: str, title: str, functions: list[Signature],
                  schema: str = "../grader/spec/schemas/exercise.schema.json") -> str:
    head = [(f"id: {ex_id}", "must match the id in course.yaml"), (f"title: {_flow(title)}", ""),
            (f"file: {ex_id}.py", "the student's file"),
            (f"reference: reference/{ex_id}.py", "the reference solution, same function names"),
            ("intuition: >-", "the idea behind the exercise, in your own words; reports show it")]
    width = max(len(text) for text, _ in head) + 2
    lines = [
        f"# yaml-language-server: $schema={schema}",
        *[f"{text:<{width}}# {note}" if note else text for text, note in head],
        "  TODO: say in two sentences what a student should understand after this exercise.",
        "tolerance: {rtol: 1.0e-5, atol: 1.0e-6, nan: fail}   # as pytest.approx; optional",
        "",
        "functions:",
    ]
    for fn in functions:
        lines += [
            f"  {fn.name}:",
            f"    params: {_flow(list(fn.params))}",
            "    returns: float               # float | int | array",
            "    doc: |                       # becomes the docstring of the student's stub",
            f"      TODO: what {fn.name}() returns, in which unit, and what its arguments are.",
            "    intuition: >-                # shown next to a failure of this function",
            f"      TODO: the idea a student who gets {fn.name}() wrong has missed.",
        ]
    lines += ["", "cases:",
              "  # args: one entry per parameter; expected: is optional (the reference computes it), and a",
              "  # pinned value must agree with the reference to half a unit of its last decimal."]
    for fn in functions:
        public = _flow([list(PUBLIC_ARG) for _ in fn.params])  # copies: one shared list would dump as an anchor
        hidden = _flow([list(HIDDEN_ARG) for _ in fn.params])
        lines += [
            f"  - {{name: {fn.name} on a small example, call: {fn.name}, args: {public}, visibility: public, points: 1}}",
            f"  - {{name: {fn.name} on another input, call: {fn.name}, args: {hidden}, visibility: hidden, points: 1}}",
        ]
    first = functions[0]
    lines += [
        "",
        "# Known wrong variants, named in the feedback when a student's answers match one (see README).",
        "# misconceptions:",
        "#   - id: natural-log                   # stable: instructors count these across a class",
        f"#     functions: [{first.name}]",
        '#     transform: {scale: "ln(2)"}        # or {negate: true}, {swap: [p, q]}, or instead:',
        f"#     # implementation: reference/mistakes/{ex_id}.py:{first.name}_wrong   (replaces one function)",
        "#     explanation: Your values are 0.693 times the right ones, as the natural log gives.",
        "#     idea: The base of the logarithm names the unit; bits need log2.",
    ]
    return "\n".join(lines) + "\n"


def reference_py(ex_id: str, functions: list[Signature]) -> str:
    out = [f'"""Reference solution of the exercise {ex_id}: the grader computes every expected value with it."""',
           "", "import numpy as np", ""]
    for fn in functions:
        out += ["", f"def {fn.name}({', '.join(fn.params)}):",
                f'    raise NotImplementedError("write the reference {fn.name}() here")', ""]
    return "\n".join(out).rstrip() + "\n"


def course_entry(course_text: str, course_path: Path, ex_id: str, points: int) -> str:
    """course.yaml with ``- {id, file, points}`` added after the last exercise, comments kept."""
    root = yaml.compose(course_text)
    seq = next((v for k, v in root.value if k.value == "exercises"), None) if isinstance(root, yaml.MappingNode) \
        else None
    if not isinstance(seq, yaml.SequenceNode) or not seq.value:
        raise InputError(f"{course_path}: no exercises: list to add {ex_id} to",
                         "Add an exercises: list to course.yaml first.")
    entry = f"{{id: {ex_id}, file: exercises/{ex_id}.yaml, points: {points}}}"
    if seq.flow_style:
        raise InputError(f"{course_path}: exercises: is written on one line", f"Add {entry} to it by hand.")
    lines = course_text.splitlines(keepends=True)
    last = seq.value[-1]
    end_line = last.end_mark.line if last.end_mark.column == 0 else last.end_mark.line + 1
    indent = " " * (seq.value[0].start_mark.column - 2)
    if not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.insert(end_line, f"{indent}- {entry}\n")
    return "".join(lines)


def new_exercise(root: Path, ex_id: str, *, title: str | None = None, functions: list[str] | None = None,
                 force: bool = False) -> list[Path]:
    """Write the skeleton; returns the files written. Refuses to overwrite unless ``force``."""
    if not _ID.match(ex_id):
        raise UsageError(f"exercise id {ex_id!r} is not allowed",
                         "Use lower-case letters, digits and _, starting with a letter, e.g. perplexity.")
    sigs = [Signature.parse(f) for f in (functions or [f"{ex_id}(probs)"])]
    if len({s.name for s in sigs}) != len(sigs):
        raise UsageError("two --function options have the same name", "Give each function once.")
    course_path = root / "course.yaml"
    doc = load_yaml(course_path, root)
    listed = {item.get("id") for key in ("exercises", "quizzes") for item in (doc.data or {}).get(key, []) or []
              if isinstance(item, dict)}
    if ex_id in listed and not force:
        raise InputError(f"course.yaml already lists {ex_id!r}", "Pick another id, edit its files, or pass --force "
                                                                 "to rewrite them from the skeleton.")
    spec_path, ref_path = root / "exercises" / f"{ex_id}.yaml", root / "reference" / f"{ex_id}.py"
    existing = [p for p in (spec_path, ref_path) if p.exists()]
    if existing and not force:
        raise InputError(f"{existing[0].relative_to(root)} already exists", "Pass --force to replace it.")
    text = course_path.read_text("utf-8")
    if ex_id not in listed:
        text = course_entry(text, course_path, ex_id, 2 * len(sigs))
    try:
        yaml.safe_load(text)
    except yaml.YAMLError:  # never leave course.yaml broken
        raise InputError("course.yaml could not be extended safely",
                         f"Add - {{id: {ex_id}, file: exercises/{ex_id}.yaml, points: {2 * len(sigs)}}} "
                         "under exercises: by hand.") from None
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    ref_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(spec_path, exercise_yaml(ex_id, title or f"Exercise: {ex_id.replace('_', ' ')}", sigs,
                                             modeline_target(spec_path.parent, "exercise")))
    write_atomic(ref_path, reference_py(ex_id, sigs))
    if ex_id in listed:
        return [spec_path, ref_path]
    write_atomic(course_path, text)
    return [spec_path, ref_path, course_path]
