"""Golden files: compared, and written only under ``--update-goldens``; and the summary the run ends with.

A missing golden is a failure, not a file to write: a golden written by the code under test passes whatever that
code does (``golden_text``).

Every golden test writes through ``write_golden``, which records whether the file changed and, for a golden
that holds a score (a scenario's ``expected.json``), the score before and after. ``conftest.py`` prints
``summary_lines`` at the end of the run, so an author sees what an intended change did before reading the
diff: how many goldens changed, for which scenarios, and whose score moved.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UPDATE = os.environ.get("GRADER_UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Written:
    path: Path
    changed: bool
    new: bool
    score_before: tuple[float, float] | None = None  # (score, max_score), for a golden holding a score
    score_after: tuple[float, float] | None = None


#: What this test session wrote, in order.
WRITTEN: list[Written] = []


def _score(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        data: Any = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("score"), (int, float)) and \
            isinstance(data.get("max_score"), (int, float)):
        return float(data["score"]), float(data["max_score"])
    return None


def write_golden(path: Path, text: str) -> None:
    """Write a golden file (under --update-goldens) and record what changed."""
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old != text:
        path.write_text(text, encoding="utf-8")
    WRITTEN.append(Written(path, old is not None and old != text, old is None, _score(old), _score(text)))


def golden_text(path: Path, text: str, *, write: bool = True) -> str:
    """The golden ``path``'s text, first rewritten with ``text`` under --update-goldens (when ``write``: False for a
    run that may compare but must not write, such as the portable runner's scenarios).

    A missing golden fails the test: it is never written by the run that checks it.
    """
    if UPDATE and write:
        write_golden(path, text)
    if not path.exists():
        import pytest

        pytest.fail(f"{path} is missing: a golden file is never written by the test that checks it; run "
                    "python -m pytest --update-goldens on this test file, then read the diff before committing it",
                    pytrace=False)
    return path.read_text(encoding="utf-8")


def _name(path: Path) -> str:
    """A scenario by its folder name; any other golden by its path in the repository."""
    if path.name == "expected.json" and path.parent.parent.name == "scenarios":
        return path.parent.name
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _points(score: tuple[float, float] | None) -> str:
    return "none" if score is None else f"{score[0]:g}/{score[1]:g}"


def summary_lines(written: list[Written]) -> list[str]:
    """``--update-goldens: 2 of 131 golden files changed (1 new)`` and one line per changed file, the score
    change of a scenario beside it."""
    changed = [w for w in written if w.changed or w.new]
    new = sum(w.new for w in written)
    head = f"--update-goldens: {len(changed) - new} of {len(written)} golden files changed"
    lines = [head + (f", {new} new" if new else "")]
    for w in sorted(changed, key=lambda w: _name(w.path)):
        line = f"  {_name(w.path)}" + (" (new)" if w.new else "")
        if w.score_before != w.score_after and (w.score_before or w.score_after):
            line += f": score {_points(w.score_before)} -> {_points(w.score_after)}"
        lines.append(line)
    return lines
