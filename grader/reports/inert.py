"""Student text made inert for each kind of reader: a terminal, a Markdown renderer, plain text.

Every view of the record shows text a student controls (exception messages, printed output, file names, quiz
answers). These functions are the one place that decides how it is shown so that it never acts: no terminal
escape, no line that passes for a line of the grader's, no link, image or HTML in Markdown. Used by the
templates (``grader.reports.render`` registers them as filters), the machine formats and the terminal messages.
"""

from __future__ import annotations

import re

# C0 controls but newline and tab, DEL, and C1 controls (\x9b opens a terminal escape on its own); lone
# surrogates, which no UTF-8 output can hold (a file name that is not UTF-8).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def escape_controls(text: str) -> str:
    """Student text shown as ``\\x1b`` instead of acting on the reader's terminal (fake scores, titles)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        text)


#: What starts every line of student text after its first in a terminal report: no grader line starts so, so
#: a student's multi-line message cannot pass for a line of the report (a forged "✓ entropy()  7/7").
QUOTE = "│ "


def text_block(text: object, indent: int = 0) -> str:
    """Student text for the terminal report: each line after the first at ``indent`` behind :data:`QUOTE`."""
    return ("\n" + " " * indent + QUOTE).join(str(text).split("\n"))


def one_line(text: object) -> str:
    """Student text on one line (a name, or a message a template wraps itself): every line break Python knows
    (``str.splitlines``: also ``\\x0b``, ``\\x85``, ``\\u2028``..., where Jinja's ``wordwrap`` breaks) shows as ``⏎``."""
    return "⏎".join(str(text).splitlines())


def md_code(text: object) -> str:
    """Inline code that survives backticks in the text (CommonMark: a longer fence). Student text in Markdown
    goes here: inside a code span no link, image, autolink or HTML is active, and the span cannot be closed
    from inside."""
    text = " ".join(str(text).split())
    if not text:
        return ""
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")
