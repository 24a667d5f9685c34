"""Golden files: compared, never written by the run that checks them.

A missing golden is a failure, not a file to write: a golden written by the code under test passes whatever that
code does. ``python -m pytest --update-goldens`` (or GRADER_UPDATE_GOLDEN=1) rewrites them on purpose; then read
the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

UPDATE = os.environ.get("GRADER_UPDATE_GOLDEN") == "1"


def golden_text(path: Path, text: str, *, write: bool = True) -> str:
    """The golden ``path``'s text (first rewritten with ``text`` under --update-goldens, when ``write``).

    ``write`` is False for a run that may compare but must not write (the portable runner's scenarios).
    """
    if UPDATE and write:
        path.write_text(text, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"{path} is missing: a golden file is never written by the test that checks it; run "
                    f"python -m pytest --update-goldens on this test file, then read the diff before committing it",
                    pytrace=False)
    return path.read_text(encoding="utf-8")
