"""An on-disk cache of what the grader computes from a course's trusted files, as JSON (never pickle).

Outputs of the course's code (reference outputs, misconceptions' outputs, invariant trials) are written
only after the course loaded and validated, keyed by the course's spec hash plus the bytes of every
Python file under reference/ (mistake helpers may import each other), the grader's and NumPy's versions:
a changed file is a new key, never a stale hit. Besides, the digests of spec files that passed their
checks (``is_validated``), so an unchanged file is not validated again, and the seeded inputs of hidden
cases (grader.spec.generators). Unwritable or corrupt: no cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from grader import __version__
from grader.files import write_atomic


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "infotheory-grader"


def course_key(course: Any, what: str) -> str:
    return files_key(Path(course.root), course.spec_hash, what)


def files_key(root: Path, digest: str, what: str) -> str:
    """A key for ``what`` computed from files with this ``digest`` and the course's reference code."""
    import numpy as np

    hasher = hashlib.sha256(f"{what}\0{__version__}\0{np.__version__}\0{digest}\0".encode())
    reference = root / "reference"
    if reference.is_dir():
        for path in sorted(reference.rglob("*.py")):
            hasher.update(str(path.relative_to(reference)).encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()[:32]


def load(key: str) -> Any | None:
    try:
        return json.loads((cache_dir() / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def store(key: str, data: Any) -> None:
    try:
        write_atomic(cache_dir() / f"{key}.json", json.dumps(data), durable=False)
    except (OSError, TypeError, ValueError):
        pass


T = TypeVar("T")


def per_course(memory: dict[tuple[str, str], T], course: Any, what: str, compute: Callable[[], T],
               encode: Callable[[T], Any], decode: Callable[[Any], T | None]) -> T:
    """The course's ``what``: from ``memory`` (this process), else from disk, else ``compute``d and kept in both.

    ``decode`` turns the stored JSON back into the value, or None when it does not fit this course (then it is
    computed again); ``encode`` makes the JSON that is stored.
    """
    key = (str(course.root), course.spec_hash)
    if key in memory:
        return memory[key]
    disk_key = course_key(course, what)
    stored = load(disk_key)
    value = decode(stored) if stored is not None else None
    if value is None:
        value = compute()
        store(disk_key, encode(value))
    memory[key] = value
    return value


VALIDATED = "specs/validated"  # the key of the list of spec files known to validate
MAX_VALIDATED = 1024  # digests kept, newest last: enough for every file of many course versions
_validated: dict[Path, list[str]] = {}  # this process's copy, read once per cache folder


def _known() -> list[str]:
    folder = cache_dir()
    if folder not in _validated:
        data = load(VALIDATED)
        keys = data.get("keys") if isinstance(data, dict) and data.get("version") == __version__ else None
        _validated[folder] = [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []
    return _validated[folder]


def is_validated(key: str) -> bool:
    """Whether a spec file with this digest (of its text and its schema) validated before."""
    return key in _known()


def mark_validated(key: str) -> None:
    """Remember that a file validated: the next process skips its schema check while the text is unchanged."""
    known = _known()
    if key not in known:
        known[:] = [*known[-(MAX_VALIDATED - 1):], key]
        store(VALIDATED, {"version": __version__, "keys": known})
