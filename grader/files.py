"""Writing outputs atomically: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TextIO


def write_atomic(path: Path, text: str | bytes, *, durable: bool = True) -> Path:
    """``durable=False`` skips fsync: still all-or-nothing if the process dies, for files that are
    checked against a hash on the next run anyway (a batch's per-student results)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    with _atomic(path, "wb", durable=durable) as fh:
        fh.write(data)
    return path


@contextmanager
def open_atomic(path: Path, newline: str | None = None) -> Iterator[TextIO]:
    """Write a text file in a stream (a class's gradebook need not fit in memory), then rename it into place."""
    with _atomic(path, "w", durable=True, encoding="utf-8", newline=newline) as fh:
        yield fh


@contextmanager
def _atomic(path: Path, mode: str, *, durable: bool, **options: Any) -> Iterator[IO[Any]]:
    """A temporary file beside ``path``, renamed over it once written; removed if anything fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **options) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
