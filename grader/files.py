"""Writing outputs atomically: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TextIO, cast


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
        yield cast(TextIO, fh)


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


def walk_bounded(root: Path, *, max_depth: int = 32, max_entries: int = 20_000,
                 skip_dir: Callable[[str], bool] = lambda name: False) -> Iterator[tuple[str, Path]]:
    """The regular files under ``root`` as (relative path, path), in ``os.walk`` top-down sorted order.

    For folders that may be hostile (a submission): iterative, so 1,000 nested folders cannot exhaust
    the recursion limit; never follows links; stops descending below ``max_depth`` and stops altogether
    after ``max_entries`` directory entries, so a folder of a million files costs bounded time.
    """
    seen = 0
    stack: list[tuple[Path, str, int]] = [(root, "", 0)]
    while stack:
        folder, rel, depth = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = []
                for entry in it:
                    seen += 1
                    if seen > max_entries:
                        break
                    entries.append(entry)
        except OSError:
            continue
        if seen > max_entries:
            return  # not a partial folder in scandir's arbitrary order: results stay deterministic
        entries.sort(key=lambda e: e.name)
        subdirs = []
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if depth < max_depth and not skip_dir(entry.name):
                        subdirs.append(entry)
                elif entry.is_file(follow_symlinks=False):
                    yield (f"{rel}{entry.name}", Path(entry.path))
            except OSError:
                continue
        for entry in reversed(subdirs):
            stack.append((Path(entry.path), f"{rel}{entry.name}{os.sep}", depth + 1))
