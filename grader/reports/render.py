"""Every report is rendered from the one result record by a Jinja2 template (StrictUndefined, autoescape).

Jinja2 and the views are imported on first use, so a command that only names the formats (the CLI's
``--format`` choices) does not pay for them; compiled templates are kept in the grader's cache folder
(checked against each template's source and the Python version), so a fresh process does not compile
the report template again.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

    from grader.record import GradeResult

from grader.errors import InputError
from grader.spec.provenance import templates_dir

# Templates render the human formats; machine formats (grader/reports/formats/) are views of the same record.
MACHINE_FORMATS = ("junit", "gradescope")
FORMATS = ("text", "md", "html", "json", *MACHINE_FORMATS)
_TEMPLATE_OF = {"text": "report.txt.j2", "md": "report.md.j2", "html": "report.html.j2"}


class _Ansi(str):
    """A colour code of our own: the only control characters a report may carry raw."""


_ANSI = {k: _Ansi(v) for k, v in {"green": "\033[32m", "red": "\033[31m", "yellow": "\033[33m", "bold": "\033[1m",
                                  "dim": "\033[2m", "reset": "\033[0m"}.items()}
# A check's mark in its colour. Built here, never in a template: Jinja2's ``~`` turns a colour code and a mark into a
# plain string, which ``_finalize`` rightly escapes, and every colour terminal then showed ``\x1b[31m✗\x1b[0m``.
_MARKS = {"passed": ("green", "✓"), "failed": ("red", "✗"), "error": ("yellow", "!"), "pending": ("yellow", "…")}


def marks(colors: Mapping[str, str]) -> dict[str, str]:
    """Each status's mark wrapped in its colour (``colors`` empty strings: the bare marks)."""
    return {status: _Ansi(colors[colour] + mark + colors["reset"]) for status, (colour, mark) in _MARKS.items()}
# C0 controls but newline and tab, DEL, and C1 controls (\x9b opens a terminal escape on its own).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """Student text shown as ``\\x1b`` instead of acting on the reader's terminal (fake scores, titles)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _finalize(value: Any) -> Any:
    if isinstance(value, _Ansi) or not isinstance(value, str):
        return value
    import markupsafe  # loaded with jinja2 by the time a template renders

    escaped = escape_controls(value)
    return type(value)(escaped) if isinstance(value, markupsafe.Markup) else escaped


def default_templates() -> Path:
    """``templates/`` of the course repository (see grader.spec.provenance.templates_dir, which hashes them)."""
    return templates_dir()


def environment(override: Path | None = None) -> jinja2.Environment:
    import jinja2

    from grader.reports import views
    from grader.spec.tolerance import fmt

    loaders: list[jinja2.BaseLoader] = []
    if override is not None:
        loaders.append(jinja2.FileSystemLoader(str(override)))
    loaders.append(jinja2.FileSystemLoader(str(default_templates())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml", "html.j2", "svg.j2"),
                                            default_for_string=True, default=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, finalize=_finalize,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["num"] = fmt
    env.filters["score"] = views.score
    env.filters["pct"] = lambda x, total: f"{(100.0 * x / total) if total else 0:.0f}%"
    env.filters["cell"] = md_cell
    env.filters["code"] = md_code
    env.globals.update(views.GLOBALS)
    return env


@cache
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates in ``<cache>/templates``; None when that folder cannot be made.

    Like a ``.pyc``: the code object is stored with ``marshal`` after a header naming the Python version
    and the template source's checksum, and used only when both match. (Jinja2's own file cache would
    unpickle the checksum; nothing here is unpickled.) A cache that cannot be written is skipped.
    """
    import importlib.util
    import marshal

    import jinja2

    from grader.spec.cache import cache_dir

    folder = cache_dir() / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    magic = importlib.util.MAGIC_NUMBER.hex().encode()

    class Cache(jinja2.BytecodeCache):
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                data = (folder / f"{bucket.key}.jinja").read_bytes()
            except OSError:
                return
            header, _, code = data.partition(b"\n")
            if header == magic + b":" + bucket.checksum.encode():
                try:
                    bucket.code = marshal.loads(code)
                except (EOFError, ValueError, TypeError):
                    bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            from grader.files import write_atomic

            data = magic + b":" + bucket.checksum.encode() + b"\n" + marshal.dumps(bucket.code)
            try:
                write_atomic(folder / f"{bucket.key}.jinja", data, durable=False)
            except OSError:
                pass

    return Cache()


def md_cell(text: object) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped, and HTML shown as text (GitHub renders
    a tag in Markdown, so a student's ``<script>`` label would vanish or act instead of being read)."""
    line = " ".join(str(text).split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return line.replace("|", "\\|")


def md_code(text: object) -> str:
    """Inline code that survives backticks in the text (CommonMark: a longer fence)."""
    text = " ".join(str(text).split())
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def use_color(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    if sys.platform == "win32" and not (os.environ.get("WT_SESSION") or os.environ.get("TERM")
                                        or importlib.util.find_spec("colorama")):
        return False  # a classic Windows console shows ANSI codes as text; click translates them only with colorama
    return bool(getattr(stream, "isatty", lambda: False)())


@cache
def _shared_environment(override: Path | None) -> jinja2.Environment:
    """One environment per template folder, so Jinja2 compiles each template once (a batch renders thousands
    of reports; compiling the HTML template costs more than grading a submission)."""
    return environment(override)


def warm_up(fmt_name: str, templates: Path | None = None) -> None:
    """Import Jinja2 and load the format's template ahead of ``render`` (``grader check`` does it on another
    thread while it waits for the sandbox). A broken template is left for ``render`` to report."""
    if fmt_name in _TEMPLATE_OF:
        try:
            _shared_environment(templates).get_template(_TEMPLATE_OF[fmt_name])
        except Exception:  # render raises it again, in the command's own thread
            pass


def render(result: GradeResult, fmt_name: str, *, templates: Path | None = None, color: bool = False,
           figure_dir: str | None = None) -> str:
    """``figure_dir``: where a Markdown report's figure files are, relative to the report (grader check
    --format md --output FILE writes them there); without it the report gives each figure's line only."""
    if fmt_name in MACHINE_FORMATS:
        return _machine_view(fmt_name, result)
    if fmt_name == "json":
        return result.to_json() + "\n"
    import jinja2

    env = _shared_environment(templates)
    colors = _ANSI if color else dict.fromkeys(_ANSI, "")
    try:
        return env.get_template(_TEMPLATE_OF[fmt_name]).render(r=result, c=colors, marks=marks(colors),
                                                               figure_dir=figure_dir)
    except jinja2.TemplateError as exc:
        if templates is None:
            raise  # a built-in template: the grader's own bug
        raise _template_error(exc, templates) from None


def figure_files(result: GradeResult, *, templates: Path | None = None) -> dict[str, str]:
    """The SVG files a Markdown report links to: each student figure re-drawn by the grader, by file name."""
    from grader.reports.figures import figure_views

    env = _shared_environment(templates)
    out = {}
    for ex in result.exercises:
        for fv in figure_views(ex):
            for who, g in (("yours", fv.student), ("reference", fv.reference)):
                if g is not None:
                    out[f"{fv.file_stem}-{who}.svg"] = env.get_template("figure.svg.j2").render(standalone=g)
    return out


def _template_error(exc: jinja2.TemplateError, folder: Path) -> InputError:
    """A template from ``--templates`` that does not compile or render: the user's file and line, not a crash."""
    import jinja2

    where = str(folder)
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        where = f"{exc.filename}:{exc.lineno}"
    else:  # a runtime error: Jinja2 puts the template's own file and line in the traceback
        tb = exc.__traceback__
        while tb is not None:
            name = tb.tb_frame.f_code.co_filename
            if name.endswith(".j2") and Path(name).parent.resolve() == folder.resolve():
                where = f"{name}:{tb.tb_lineno}"
            tb = tb.tb_next
    return InputError(f"{where}: {type(exc).__name__}: {exc.message or exc}",
                      f"Fix the template in {folder}, or remove it there to use the built-in one.")


def _machine_view(name: str, result: GradeResult) -> str:
    # imported on use: most commands never write JUnit or Gradescope
    if name == "junit":
        from grader.reports.formats.junit import render_junit

        return render_junit(result)
    from grader.reports.formats.gradescope import render_gradescope

    return render_gradescope(result)
