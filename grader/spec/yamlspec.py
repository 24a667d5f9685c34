"""Read YAML spec files with line numbers, and validate them against the packaged JSON Schemas.

PyYAML silently accepts duplicate keys and YAML 1.1 surprises (``on:`` becomes ``True``); both are
rejected here, and every problem is reported as ``file:line:column`` so an editor can jump to it.

A file that validated once is not validated again while its text and the schema are unchanged (the
digests are kept as JSON in the grader's cache, ``grader.spec.cache``), so jsonschema is imported and
run only for a new or edited file: it costs more than the rest of loading a course. Likewise a file parsed
once is read back from that cache (its data and the line of every value, as JSON, keyed by the SHA-256 of
its bytes), so PyYAML is imported only for a new or edited file: importing it alone takes longer than
reading every cached file of a course.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import __version__
from grader.errors import Problem, SpecError, did_you_mean
from grader.spec import cache as disk_cache

if TYPE_CHECKING:  # imported on use: only a file that is new or changed since it last validated needs them
    import yaml
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry


@dataclass(frozen=True)
class Located:
    """A parsed YAML document that still knows where each value came from.

    ``lines`` mirrors ``data``: each value is ``[line, column, children]`` (1-based), where a mapping's
    children map each key to ``[key line, key column, value]`` and a sequence's children list its values;
    a scalar's children are None. Plain JSON, so it is cached with the data.
    """

    path: Path
    display: str
    data: Any
    lines: Any
    digest: str = ""  # SHA-256 of the text: a file validated once is trusted while it is unchanged

    def where(self, keys: tuple[Any, ...] | list[Any], *, key: str | None = None) -> tuple[int, int]:
        """Line and column (1-based) of the value at ``keys``, or of the key ``key`` inside it."""
        node = self.lines
        if node is None:
            return 1, 1
        best = (node[0], node[1])
        for k in keys:
            kids = node[2]
            if isinstance(kids, dict) and isinstance(k, str) and k in kids:
                node = kids[k][2]
            elif isinstance(kids, list) and isinstance(k, int) and 0 <= k < len(kids):
                node = kids[k]
            else:
                break
            best = (node[0], node[1])
        if key is not None and isinstance(node[2], dict) and key in node[2]:
            best = (node[2][key][0], node[2][key][1])
        return best

    def problem(self, keys: tuple[Any, ...] | list[Any], message: str, *, key: str | None = None) -> Problem:
        line, col = self.where(keys, key=key)
        return Problem(self.display, line, col, message)


def _lines(node: yaml.Node) -> list[Any]:
    import yaml

    mark = node.start_mark
    if isinstance(node, yaml.MappingNode):
        kids: Any = {}
        for knode, vnode in node.value:
            if isinstance(knode.value, str) and knode.value not in kids:
                kids[knode.value] = [knode.start_mark.line + 1, knode.start_mark.column + 1, _lines(vnode)]
    elif isinstance(node, yaml.SequenceNode):
        kids = [_lines(item) for item in node.value]
    else:
        kids = None
    return [mark.line + 1, mark.column + 1, kids]


# Values YAML gives that JSON has no type for, kept in the cache as (path, kind, ISO text).
_DATED = {"date": date.fromisoformat, "datetime": datetime.fromisoformat}


def _dates(data: Any, path: list[Any], out: list[Any]) -> bool:
    """Collect the dates in ``data``; False if it holds any other value JSON cannot keep as it is."""
    stack = [(data, path)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                return False
            stack.extend((v, [*at, k]) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, [*at, i]) for i, v in enumerate(value))
        elif isinstance(value, datetime):
            out.append([at, "datetime", value.isoformat()])
        elif isinstance(value, date):
            out.append([at, "date", value.isoformat()])
        elif value is not None and type(value) not in (str, int, float, bool):
            return False
    return True


def _from_cache(entry: Any) -> tuple[Any, Any] | None:
    if not isinstance(entry, dict) or entry.get("version") != __version__:
        return None
    data = entry.get("data")
    try:
        for at, kind, text in entry.get("dates", []):
            value = _DATED[kind](text)
            if not at:
                data = value
                continue
            holder: Any = data
            for k in at[:-1]:
                holder = holder[k]
            holder[at[-1]] = value
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return data, entry.get("lines")


def display_path(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            pass
    return str(path)


def parse_yaml(text: str, path: Path, display: str, digest: str) -> Located:
    """Parse ``text`` (whose bytes have the SHA-256 ``digest``); raise SpecError for syntax errors, duplicate keys
    and non-string keys."""
    import yaml

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # one parse: the node tree gives the lines
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        raise SpecError([Problem(display, line, col, f"invalid YAML: {what}{yaml_hint(text, exc)}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(display, 1, 1, f"invalid YAML: {exc}")]) from None
    problems: list[Problem] = []
    if root is not None:
        _check_keys(root, display, problems)
    if problems:
        raise SpecError(problems)
    return Located(path, display, data, _lines(root) if root is not None else None, digest)


def yaml_hint(text: str, exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's wording ("did not find expected key") in plain words, for the common slips."""
    problem = f"{exc.context or ''} {exc.problem or ''}"
    mark = exc.problem_mark
    lines = text.splitlines()
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if "\\t" in problem or "'\t'" in problem or line[: len(line) - len(line.lstrip())].count("\t"):
        return "; YAML does not allow tabs for indentation: indent with spaces (2 per level)"
    if "mapping values are not allowed" in problem:
        return ("; a value that contains ': ' must be quoted (text: \"a: b\"), or this line is indented "
                "deeper than the key above it")
    if any(words in problem for words in ("did not find expected key", "expected <block end>",
                                          "did not find expected '-' indicator", "could not find expected ':'")):
        return ("; check the indentation of this line and the lines above it: keys of one mapping start in the "
                "same column, and a value's own keys are indented further than it")
    return ""


def _check_keys(node: yaml.Node, display: str, problems: list[Problem]) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for knode, vnode in node.value:
            mark = knode.start_mark
            if not (isinstance(knode, yaml.ScalarNode) and knode.tag == "tag:yaml.org,2002:str"):
                problems.append(
                    Problem(display, mark.line + 1, mark.column + 1,
                            f"key {knode.value!r} must be a string; quote it (YAML reads it as "
                            f"{knode.tag.rsplit(':', 1)[-1]})")
                )
            elif knode.value in seen:
                problems.append(
                    Problem(display, mark.line + 1, mark.column + 1,
                            f"duplicate key {knode.value!r} (first defined on line {seen[knode.value]}); "
                            "keep only one")
                )
            else:
                seen[knode.value] = mark.line + 1
            _check_keys(vnode, display, problems)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_keys(item, display, problems)


def load_yaml(path: Path, base: Path | None = None) -> Located:
    display = display_path(path, base)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError([Problem(display, 1, 1, "file not found")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecError([Problem(display, line, 1, "not valid UTF-8; save the file as UTF-8")]) from None
    digest = hashlib.sha256(raw).hexdigest()
    key = f"specs/yaml-{digest[:40]}"
    cached = _from_cache(disk_cache.load(key))
    if cached is not None:
        return Located(path, display, cached[0], cached[1], digest)
    doc = parse_yaml(text, path, display, digest)
    dates: list[Any] = []
    if _dates(doc.data, [], dates):
        data = json.loads(json.dumps(doc.data, default=lambda v: v.isoformat())) if dates else doc.data
        disk_cache.store(key, {"version": __version__, "data": data, "lines": doc.lines, "dates": dates})
    return doc


@cache
def schema_file(name: str) -> Path:
    """The packaged JSON Schema ``name`` (course, exercise, quiz...) as a file, for editors' modelines."""
    return Path(__file__).resolve().parent / "schemas" / f"{name}.schema.json"


def modeline_target(folder: Path, name: str) -> str:
    """The ``$schema=`` path that reaches schema ``name`` from a YAML file in ``folder`` (the YAML language
    server resolves it relative to the file): ``../grader/spec/schemas/exercise.schema.json`` for a course
    beside the grader's source."""
    import os

    return Path(os.path.relpath(schema_file(name), folder.resolve())).as_posix()


def schema(name: str) -> dict[str, Any]:
    """A packaged JSON Schema by short name (``course``, ``exercise``, ``quiz``, ``result``)."""
    text = resources.files("grader.spec").joinpath("schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


SCHEMAS = ("course", "exercise", "quiz", "result")


@cache
def _registry() -> Registry:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    pairs = []
    for name in SCHEMAS:
        try:
            doc = schema(name)
        except FileNotFoundError:
            continue
        pairs.append((doc["$id"], Resource.from_contents(doc, default_specification=DRAFT202012)))
    return Registry().with_resources(pairs)


@cache
def _validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(name), registry=_registry())


@cache
def _schema_digest(name: str) -> str:
    """The schema's text: a changed schema (a new grader checkout) re-validates every file."""
    text = resources.files("grader.spec").joinpath("schemas").joinpath(f"{name}.schema.json").read_bytes()
    return hashlib.sha256(text).hexdigest()


def schema_problems(doc: Located, name: str) -> list[Problem]:
    """Every schema violation in ``doc``, located and phrased for a course author."""
    trust = f"{name}:{_schema_digest(name)[:16]}:{doc.digest}" if doc.digest else ""
    if trust and disk_cache.is_validated(trust):
        return []
    problems = []
    for err in sorted(_validator(name).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        problems.extend(_explain(doc, err))
    problems.sort(key=lambda p: (p.line, p.column))
    if trust and not problems:
        disk_cache.mark_validated(trust)
    return problems


def _label(path: list[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "top level"


def _explain(doc: Located, err: ValidationError) -> list[Problem]:
    path = list(err.absolute_path)
    where = _label(path)
    schema = err.schema if isinstance(err.schema, dict) else {}
    value: Any = err.validator_value  # what the schema's keyword asked for (a list for enum and type)
    allowed = sorted(schema.get("properties", {}))
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        props = schema.get("properties", {})
        out = []
        for key in err.instance:
            if key not in props:
                msg = f"unknown key {key!r} in {where}; allowed keys: {', '.join(allowed)}{did_you_mean(key, props)}"
                out.append(doc.problem(path, msg, key=key))
        return out
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return [doc.problem(path, f"{where}: missing required key {missing!r}")]
    if err.validator == "enum":
        options = ", ".join(repr(v) for v in value)
        near = did_you_mean(str(err.instance), [str(v) for v in value])
        return [doc.problem(path, f"{where}: {err.instance!r} is not allowed; use one of {options}{near}")]
    if err.validator == "pattern" and path and path[-1] == "implementation":
        return [doc.problem(path, f"{where}: {err.instance!r} must be FILE.py:FUNCTION, e.g. "
                                  "reference/mistakes/entropy.py:entropy_keeps_zeros")]
    if err.validator == "type":
        want = value if isinstance(value, str) else " or ".join(value)
        return [doc.problem(path, f"{where}: expected {want}, got {_yaml_type(err.instance)} {err.instance!r}"
                                  f"{_number_hint(err.instance, value)}")]
    if err.validator in ("oneOf", "anyOf") and err.context:
        best = min(err.context, key=lambda e: len(list(e.absolute_path)) * -1)
        return _explain(doc, best)
    return [doc.problem(path, f"{where}: {err.message}")]


def _number_hint(instance: Any, wanted: Any) -> str:
    """YAML 1.1 (PyYAML) reads ``1e-5`` as a string: its floats need a dot. Say how to write the number."""
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    if not isinstance(instance, str) or not {"number", "integer"} & set(wanted):
        return ""
    text = instance.strip()
    try:
        float(text)
    except ValueError:
        return ""
    mantissa, e, exponent = text.lower().partition("e")
    if not e or ("." in mantissa and exponent.startswith(("+", "-"))):
        return "; quoted, it is text: write the number without quotes"
    # PyYAML's float needs a dot in the mantissa and a sign in the exponent: 1e-5 -> 1.0e-5, 2e3 -> 2.0e+3
    fixed = (mantissa if "." in mantissa else f"{mantissa}.0") + "e" + \
        (exponent if exponent.startswith(("+", "-")) else f"+{exponent}")
    return f"; YAML reads {text} as text, not a number (a YAML float needs a dot, and a sign after e): write {fixed}"


def _yaml_type(value: Any) -> str:
    return {
        bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "mapping",
        type(None): "null",
    }.get(type(value), type(value).__name__)
