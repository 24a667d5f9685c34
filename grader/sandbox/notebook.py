"""A student's Jupyter notebook as a Python module, built in the grader's process as data; never executed here.

nbformat reads and validates the notebook; the code cells a grading needs are joined into one module that
the sandbox runs like a student's ``.py`` file, and a line map sends every line of that module back to
``entropy.ipynb``, cell N, line M. IPython magics (``%``, ``%%``) and shell lines (``!``) do not run in the
grader: they are replaced by ``pass`` (so line numbers and blocks stay intact) and listed in notes. Outputs are
skipped as the notebook streams in (ijson), before anything is validated: a notebook full of embedded images
costs only its reading, and one built to be expensive to parse is refused at a cap on its lists, objects and depth.

Cells are counted from 1 at the top of the notebook, markdown cells included, as a student scrolls.
"""

from __future__ import annotations

import ast
import json
import os
import re
import warnings
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Largest notebook read; above it the notebook is refused with this explanation (README "Jupyter notebooks").
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
#: Largest module the code cells may make, as for a ``.py`` file (grader.sandbox.client.MAX_FILE_BYTES).
MAX_CODE_BYTES = 1024 * 1024
#: Most cells read, and most magic lines noted one by one in a cell (the rest are counted).
MAX_CELLS = 5000
#: Lists and objects in a notebook's JSON, and how deep they nest: checked before it is parsed.
MAX_JSON_CONTAINERS = 200_000
MAX_JSON_DEPTH = 64
MAX_ESCAPES = 2_000_000
MAX_MAGIC_LINES = 20
FALLBACK_PARSES = 5
#: A cell with this tag is part of every exercise's module (imports, helpers shared by several functions).
SETUP_TAG = "setup"
#: Cell magics whose body is ordinary Python that Jupyter runs in the notebook's namespace: the body is kept.
PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun")
#: What a notebook has that a module has not: ``display`` is a builtin in Jupyter, so printing stands in for it.
PREAMBLE = "def display(*objs, **kwargs):\n    print(*objs)\n"

_JSON_HINT = ("restore it from Jupyter's checkpoint (File > Revert Notebook to Checkpoint) "
              "or copy your cells into a new notebook")
_MAGIC_LINE = re.compile(r"^\s*(?:[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*)?[!%]")
_HELP_LINE = re.compile(r"^\s*\??[A-Za-z_][\w.]*\?\??\s*$")


class NotebookError(ValueError):
    """The notebook cannot be graded; the message says why and what to do, in the student's terms."""


@dataclass(frozen=True)
class Notebook:
    """A validated notebook, outputs dropped: ``cells`` are (cell number, cell type, source, tags)."""

    name: str
    cells: tuple[tuple[int, str, str, frozenset[str]], ...]


@dataclass
class Module:
    """The code cells one exercise grades, as a module, and how to point back into the notebook."""

    notebook: str
    source: str
    places: list[tuple[int, int] | None]  # line of the module - 1 -> (cell, line in the cell); None: the preamble
    notes: list[str] = field(default_factory=list)
    defined_in: dict[str, list[int]] = field(default_factory=dict)  # top-level name -> the cells that bind it

    def place(self, line: int | None) -> tuple[int, int] | None:
        if line is None or not 1 <= line <= len(self.places):
            return None
        return self.places[line - 1]

    def where(self, line: int | None) -> str:
        """``entropy.ipynb, cell 3, line 2`` for a line of the module (the notebook alone if it is not a cell's)."""
        place = self.place(line)
        return f"{self.notebook}, cell {place[0]}, line {place[1]}" if place else self.notebook


def notebook_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """The notebooks at the top of a submission folder: regular files only (no links), sorted by name."""
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.suffix == ".ipynb" and not path.name.startswith(".") and not path.is_symlink() and path.is_file():
            yield path.name, path


def read_notebook(path: Path) -> Notebook:
    """Read and validate ``path`` with nbformat (v4 only); raise NotebookError with a clear reason otherwise."""
    import nbformat

    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(
                f"{name} is {size / 2**20:.1f} MiB, more than the {MAX_NOTEBOOK_BYTES // 2**20} MiB the grader reads; "
                "clear its outputs (Jupyter: Edit > Clear Outputs of All Cells; or "
                f"jupyter nbconvert --clear-output --inplace {name}) and submit it again")
        _scan(path, name)
        node = _stream(path, name)
    except UnicodeDecodeError:
        raise NotebookError(f"{name} is not UTF-8 text, so it is not a notebook; save it again from Jupyter") from None
    except OSError as exc:
        raise NotebookError(f"{name} cannot be read ({exc.strerror})") from None
    except _TooBig as exc:
        raise NotebookError(str(exc)) from None
    except NotebookError:
        raise
    except Exception as exc:  # ijson's errors for a file that is not JSON (its error classes vary by backend)
        import ijson

        if not isinstance(exc, (ijson.JSONError, ValueError)):
            raise
        text = path.read_bytes()[:MAX_NOTEBOOK_BYTES].decode("utf-8")  # parsed up to the error: caps held that far
        raise NotebookError(f"{name} is not valid JSON{_json_where(text)}, so Jupyter cannot open it either; "
                            f"{_JSON_HINT} (NotJSONError)") from None
    if not isinstance(node, dict) or ("cells" not in node and "worksheets" not in node):
        raise NotebookError(f"{name} is JSON but not a Jupyter notebook (it has no cells); "
                            "submit the .ipynb file that Jupyter saves")
    major, _ = nbformat.reader.get_version(node)
    if major != 4:
        hint = (f"upgrade it with: jupyter nbconvert --to notebook --nbformat 4 {name} (or open it in a current "
                "Jupyter and save it)" if isinstance(major, int) and major < 4 else "save it from a current Jupyter")
        raise NotebookError(f"{name} is a notebook of format version {major!r}; the grader reads version 4: {hint}")
    cells = node.get("cells")
    if isinstance(cells, list) and len(cells) > MAX_CELLS:
        raise NotebookError(f"{name} has {len(cells)} cells, more than the {MAX_CELLS} the grader reads")
    if isinstance(cells, list):
        for cell in cells:  # outputs are never graded: drop them before validating (they may be most of the file)
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                cell["outputs"] = []
                cell["execution_count"] = None
    try:
        with warnings.catch_warnings():  # nbformat's advice to its callers (missing cell ids), not to a student
            warnings.simplefilter("ignore", FutureWarning)
            nbformat.validate(node, version=4)
    except nbformat.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) if getattr(exc, "absolute_path", None) else "the top"
        raise NotebookError(f"{name} is not a valid notebook (at {where}: {str(exc.message)[:200]}); "
                            "open it in Jupyter and save it again") from None
    except RecursionError:
        raise NotebookError(f"{name} is nested too deeply to be a notebook") from None
    except Exception:  # nbformat tidies cells before it checks them, and fails on a cell that is not an object
        raise NotebookError(f"{name} is not a valid notebook ({_schema_problem(node)}); "
                            "open it in Jupyter and save it again") from None
    out = []
    for number, cell in enumerate(node["cells"], start=1):
        tags = cell.get("metadata", {}).get("tags", [])
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        out.append((number, cell["cell_type"], source, frozenset(t for t in tags if isinstance(t, str))))
    return Notebook(name, tuple(out))


class _TooBig(Exception):
    """The streamed notebook broke a cap; the message says which."""


def _stream(path: Path, name: str) -> Any:
    """The notebook's JSON, read as a stream (ijson) with the code cells' outputs skipped as they pass, so a
    notebook costs memory for its cells, not for its outputs or its size. Before any of it is kept, each list
    and object is counted and its depth checked: 60 MiB of ``[],`` is 20 million lists, which a full parse
    turned into 1.5 GiB. Raises ``_TooBig`` with the reason, or ijson's error for a file that is not JSON."""
    import ijson

    stack: list[Any] = []  # containers being built; a skipped output is represented by None
    keys: list[Any] = []  # the key under which each open container goes (None in a list)
    key: Any = None
    containers = 0
    skipping = 0  # depth inside a skipped "outputs" list (0: not skipping)
    root: Any = None

    def add(value: Any) -> None:
        nonlocal root
        if not stack:
            root = value
        elif isinstance(stack[-1], list):
            stack[-1].append(value)
        else:
            stack[-1][key] = value

    with open(path, "rb") as fh:
        # Read 1 MiB at a time: yajl hands over the events of a whole read at once (a read of 64 MiB of `[],` was
        # 2.8 GiB of events), and re-scans a string that spans reads once per read (the escapes counted in
        # _scan bound that: 2 million of them in a 60 MB string cost 1.6 s).
        for event, value in ijson.basic_parse(fh, use_float=True, buf_size=1 << 20):
            if event in ("start_map", "start_array"):
                containers += 1
                if containers > MAX_JSON_CONTAINERS:
                    raise _TooBig(f"{name} holds more than {MAX_JSON_CONTAINERS} JSON lists and objects; clear its "
                                  "outputs (Jupyter: Edit > Clear Outputs of All Cells) and submit it again")
                if len(stack) + skipping >= MAX_JSON_DEPTH:
                    raise _TooBig(f"{name} is nested more than {MAX_JSON_DEPTH} levels deep, which no notebook is; "
                                  "open it in Jupyter and save it again")
                if skipping:
                    skipping += 1
                    continue
                if key == "outputs" and len(stack) == 3 and keys[1:2] == ["cells"] and event == "start_array":
                    skipping = 1  # cells[i].outputs: never graded
                    add([])
                    continue
                container: Any = {} if event == "start_map" else []
                add(container)
                keys.append(key)
                stack.append(container)
                key = None
            elif event in ("end_map", "end_array"):
                if skipping:
                    skipping -= 1
                    continue
                stack.pop()
                key = keys.pop()
            elif skipping:
                continue
            elif event == "map_key":
                key = value
            else:
                add(value)
    return root


def _scan(path: Path, name: str) -> None:
    """Check, in pieces and keeping nothing, that the file is UTF-8 text with at most ``MAX_ESCAPES`` backslashes
    (escapes are what makes a long string slow to stream)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    escapes = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            decoder.decode(chunk)
            escapes += chunk.count(b"\\")
            if escapes > MAX_ESCAPES:
                raise _TooBig(f"{name} holds more than {MAX_ESCAPES} escaped characters; clear its outputs "
                              "(Jupyter: Edit > Clear Outputs of All Cells) and submit it again")
    decoder.decode(b"", final=True)


def _schema_problem(node: dict[str, Any]) -> str:
    """Where a notebook that nbformat could not even check breaks the v4 schema of its minor version, checked
    with jsonschema alone (a cell without an id is left out: nbformat adds ids)."""
    import nbformat
    from jsonschema import Draft4Validator
    from jsonschema.exceptions import best_match

    minor = node.get("nbformat_minor")
    minor = minor if type(minor) is int and 0 <= minor <= 5 else 5
    try:
        schema = json.loads((Path(nbformat.__file__).parent / "v4" / f"nbformat.v4.{minor}.schema.json").read_text("utf-8"))
        errors = (e for e in Draft4Validator(schema).iter_errors(node) if e.validator != "required"
                  or "'id'" not in e.message)
        error = best_match(errors)
        cell = error.instance if error is not None and error.validator in ("oneOf", "anyOf") else None
        if isinstance(cell, dict) and list(error.absolute_path)[:1] == ["cells"]:  # which kind of cell it fails
            kind = cell.get("cell_type")
            if kind not in ("code", "markdown", "raw"):
                where = "/".join(str(p) for p in error.absolute_path)
                return f"at {where}: the cell_type is {str(kind)[:40]!r}, not 'code', 'markdown' or 'raw'"
            inner = best_match(Draft4Validator({**schema, **schema["definitions"][f"{kind}_cell"]}).iter_errors(cell))
            if inner is not None:
                where = "/".join(str(p) for p in [*error.absolute_path, *inner.absolute_path])
                return f"at {where}: {str(inner.message)[:200]}"
    except (OSError, ValueError, KeyError, RecursionError):
        error = None
    if error is None:
        return "its structure cannot be read"
    where = "/".join(str(p) for p in error.absolute_path) or "the top"
    return f"at {where}: {str(error.message)[:200]}"


def _json_where(text: str) -> str:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f" (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    except (ValueError, RecursionError):
        pass
    return ""


def _strip_magics(cell: int, source: str, notes: list[str]) -> tuple[str, ast.Module | None]:
    """``source`` with its magic and shell lines replaced by ``pass`` (same indentation), and its syntax tree.

    Only lines where Python itself stops are candidates: a ``%`` or ``!`` line inside a string, or in a cell
    that is valid Python as it is, stays as it is. A syntax error on any other line is left for the sandbox's
    import to report, at its cell and line (the tree is then None).

    A bounded number of parses, whatever the number of magics (one parse per magic line was quadratic: 21
    ``%time`` lines under 440 KB of code took 31 s): the cell as it is; then with every candidate line replaced
    at once; then, if some replaced lines turn out not to be statements of their own (inside a string, say),
    with those put back. When replacing them all breaks the cell, the lines are replaced one at a time where
    Python stops, for at most ``FALLBACK_PARSES`` parses.
    """
    try:
        return source, ast.parse(source)
    except SyntaxError:
        pass
    except (ValueError, RecursionError, MemoryError):
        return source, None
    lines = source.split("\n")
    candidates = [i for i, text in enumerate(lines) if _MAGIC_LINE.match(text) or _HELP_LINE.match(text)]
    original = {i: lines[i] for i in candidates}
    for i in candidates:
        lines[i] = _as_pass(lines[i])
    tree: ast.Module | None = None
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # A replaced line was part of a statement (``x = (1`` then ``% 2)``), or the cell has a real error: one
        # line at a time where Python stops, as a reader would, for at most FALLBACK_PARSES parses.
        replaced_all, all_candidates = lines, candidates
        lines = source.split("\n")
        candidates = []
        for _ in range(FALLBACK_PARSES):
            try:
                tree = ast.parse("\n".join(lines))
                break
            except SyntaxError as exc:
                i = (exc.lineno or 0) - 1
                if i not in original or i in candidates:
                    break
                candidates.append(i)
                lines[i] = _as_pass(lines[i])
            except (ValueError, RecursionError, MemoryError):
                break
        if tree is None:  # a real error: with every magic gone, the sandbox reports that error, not a magic
            lines, candidates = replaced_all, all_candidates
    if tree is not None:
        statements = {node.lineno - 1 for node in ast.walk(tree) if isinstance(node, ast.Pass)}
        inside = [i for i in candidates if i not in statements]  # in a string or an expression: not a magic
        if inside:
            for i in inside:
                lines[i] = original[i]
            try:
                tree = ast.parse("\n".join(lines))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tree = None
            candidates = [i for i in candidates if i in statements]
    for i in candidates[:MAX_MAGIC_LINES]:
        notes.append(f"cell {cell}, line {i + 1}: removed {_show(original[i])} (IPython magics and shell commands "
                     "do not run in the grader)")
    if len(candidates) > MAX_MAGIC_LINES:
        notes.append(f"cell {cell}: removed {len(candidates) - MAX_MAGIC_LINES} more magic or shell lines")
    return "\n".join(lines), tree


def _as_pass(text: str) -> str:
    return text[: len(text) - len(text.lstrip())] + "pass"


def _show(text: str, limit: int = 60) -> str:
    text = text.strip()
    return "`" + (text if len(text) <= limit else text[: limit - 1] + "…") + "`"


def _bindings(tree: ast.Module) -> Iterator[tuple[str, int, bool]]:
    """(name, line, is a def) for each name a cell binds at its top level."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name, node.lineno, not isinstance(node, ast.ClassDef)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                yield (alias.asname or alias.name).split(".")[0], node.lineno, False
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        yield sub.id, node.lineno, False


def build_module(nb: Notebook, functions: Collection[str], known_tags: Collection[str]) -> Module:
    """The module for an exercise whose functions are ``functions``.

    When any code cell carries a tag in ``known_tags`` (every function of the course, and ``setup``), only
    the cells tagged with one of ``functions`` or ``setup`` are taken; otherwise every code cell, in order.
    Raise NotebookError when nothing is left to grade.
    """
    code = [c for c in nb.cells if c[1] == "code"]
    if sum(len(c[2]) for c in code) > 4 * MAX_CODE_BYTES:  # refused before any parsing (a character: up to 4 bytes)
        raise NotebookError(f"the code cells of {nb.name} hold more than {MAX_CODE_BYTES // 1024} KiB of code")
    if not any(src.strip() for _, _, src, _ in code):
        raise NotebookError(f"{nb.name} has no code cells with code in them; write your functions in code cells")
    notes: list[str] = []
    known = set(known_tags) | {SETUP_TAG}
    if any(tags & known for *_, tags in code):
        wanted = set(functions) | {SETUP_TAG}
        chosen = [c for c in code if c[3] & wanted]
        skipped = [c[0] for c in code if not c[3] and c[2].strip()]
        if skipped:
            notes.append(f"{nb.name}: untagged code cell{'s' if len(skipped) > 1 else ''} "
                         f"{', '.join(map(str, skipped))} not graded (the grader takes the cells tagged with a "
                         f"function's name or '{SETUP_TAG}')")
        if not chosen:
            raise NotebookError(f"{nb.name} has no code cell tagged {', '.join(sorted(functions))} or {SETUP_TAG}")
    else:
        chosen = code
    parts = [PREAMBLE]
    places: list[tuple[int, int] | None] = [None] * PREAMBLE.count("\n")
    defined: dict[str, list[tuple[int, int]]] = {}
    defined_in: dict[str, list[int]] = {}
    for number, _, source, _ in chosen:
        body = source
        first = body.lstrip().split("\n", 1)[0]
        if first.startswith("%%"):
            magic = first[2:].split(None, 1)[0] if first[2:].strip() else ""
            offset = len(body) - len(body.lstrip())
            head_line = body[:offset].count("\n") + 1
            if magic in PYTHON_CELL_MAGICS:
                notes.append(f"cell {number}, line {head_line}: removed {_show(first)}; the cell's code is graded")
                lines = body.split("\n")
                lines[head_line - 1] = ""
                body = "\n".join(lines)
            else:
                notes.append(f"cell {number}: not graded, it is a {_show(first.split()[0])} cell "
                             "(cell magics do not run in the grader)")
                continue
        body, tree = _strip_magics(number, body, notes)
        if tree is not None:
            for name, line, is_def in _bindings(tree):
                defined_in.setdefault(name, [])
                if number not in defined_in[name]:
                    defined_in[name].append(number)
                if is_def and name in functions:
                    defined.setdefault(name, []).append((number, line))
        cell_lines = body.split("\n")
        parts.append("\n".join(cell_lines) + "\n")
        places.extend((number, i) for i in range(1, len(cell_lines) + 1))
    for name, sites in defined.items():
        if len(sites) > 1:
            shown = "; ".join(f"cell {c}, line {line}" for c, line in sites)
            notes.append(f"{name}() is defined {len(sites)} times ({shown}); the last one (cell {sites[-1][0]}) is "
                         "graded, as when the notebook runs from top to bottom")
    source = "".join(parts)
    if len(source.encode("utf-8", "surrogatepass")) > MAX_CODE_BYTES:
        raise NotebookError(f"the code cells of {nb.name} hold more than {MAX_CODE_BYTES // 1024} KiB of code")
    return Module(nb.name, source, places, notes, defined_in)


def explain_name_error(module: Module, message: str, line: int | None) -> str | None:
    """Why ``name 'x' is not defined`` at ``line`` when a later cell defines x: the cells ran out of order."""
    found = re.search(r"name '([^']+)' is not defined", message or "")
    place = module.place(line)
    if not found or place is None:
        return None
    later = [c for c in module.defined_in.get(found.group(1), []) if c > place[0]]
    if not later:
        return None
    return (f"{found.group(1)} is defined only in cell {later[0]}, further down: the notebook worked when that cell "
            f"had run first, but the grader runs the cells from top to bottom. Move cell {later[0]} above cell "
            f"{place[0]} and check with Kernel > Restart & Run All")


def write_module(module: Module, dest: Path) -> None:
    """Write the module into the sandbox copy (``dest`` is the grader's private folder, never the student's)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", errors="surrogatepass") as fh:
        fh.write(module.source)
    os.replace(tmp, dest)

