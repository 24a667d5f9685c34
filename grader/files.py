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


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def remove_tree(root: Path) -> list[str]:
    """Remove ``root`` and everything in it, as a folder a student shaped may be; the paths left (empty if none).

    For sandbox copies and scratch folders, where student code made what is there: iterative (1,500 nested
    folders made ``shutil.rmtree`` raise RecursionError and left everything behind), with one open folder
    descriptor at a time and names relative to it (so no path grows past PATH_MAX); never follows a link (a
    link is removed, never what it points at; folders are opened with ``O_NOFOLLOW``); a folder without read,
    write or search permission (``os.mkdir(name, 0)`` needs no chmod) is given them back through its own
    descriptor first. Whatever still cannot be removed is listed, never raised: the caller reports it.
    """
    left: list[str] = []
    try:
        fd = os.open(root, _DIR_FLAGS)
    except FileNotFoundError:
        return left
    except OSError:
        try:  # a file or a link where the folder was, or a folder we may not open yet
            if os.path.isdir(root) and not os.path.islink(root):
                _grant(None, str(root))
                fd = os.open(root, _DIR_FLAGS)
            else:
                os.unlink(root)
                return left
        except OSError as exc:
            return [f"{root}: {exc.strerror} (opening it)"]
    # A stack of (folder's name in its parent, its subfolders still to visit); ``fd`` is the folder on top.
    names: list[str] = []

    def where(*more: str) -> str:  # built only for what is left: joining every level costs depth squared
        return os.path.join(str(root), *names, *more)

    pending: list[list[str]] = [_empty_files(fd, where, left)]
    while True:
        if pending[-1]:
            name = pending[-1].pop()
            child = _open_child(fd, name)
            if child is None:
                left.append(where(name))
                continue
            os.close(fd)
            fd = child
            names.append(name)
            pending.append(_empty_files(fd, where, left))
            continue
        pending.pop()
        if not names:
            break
        name = names.pop()
        parent = os.open("..", _DIR_FLAGS, dir_fd=fd)  # the folder it was opened from: nothing moves now
        os.close(fd)
        fd = parent
        try:
            _retry_writable(fd, os.rmdir, name)
        except OSError as exc:
            if not any(p.startswith(where(name)) for p in left):
                left.append(f"{where(name)}: {exc.strerror}")
    parent = os.open("..", _DIR_FLAGS, dir_fd=fd)  # by descriptor: an ancestor's permissions may change meanwhile
    os.close(fd)
    try:
        _retry_writable(parent, os.rmdir, os.path.basename(os.path.normpath(str(root))))
    except OSError as exc:
        if not left:
            left.append(f"{root}: {exc.strerror} (removing the emptied folder)")
    finally:
        os.close(parent)
    return left


def _grant(dir_fd: int | None, name: str) -> None:
    """Give the grader's user read, write and search permission on folder ``name``, through a descriptor of
    the folder itself (never a path that could be a link by then)."""
    handle = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        os.chmod(f"/proc/self/fd/{handle}", 0o700)
    finally:
        os.close(handle)


def _retry_writable(fd: int, remove: Callable[..., None], name: str) -> None:
    """Remove entry ``name`` of folder ``fd``; if its permissions refuse (a folder made read-only), give the
    grader's user write permission on that folder, through its descriptor, and try once more."""
    try:
        remove(name, dir_fd=fd)
    except PermissionError:
        os.fchmod(fd, 0o700)
        remove(name, dir_fd=fd)


def _open_child(fd: int, name: str) -> int | None:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    except PermissionError:
        pass
    except OSError:
        return None
    try:
        _grant(fd, name)
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    except OSError:
        return None


def _empty_files(fd: int, where: Callable[..., str], left: list[str]) -> list[str]:
    """Unlink every entry of folder ``fd`` that is not a folder (links included); its subfolders' names."""
    folders: list[str] = []
    try:
        with os.scandir(fd) as it:
            entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
    except OSError as exc:
        left.append(f"{where()}: {exc.strerror}")
        return folders
    for name, is_dir in entries:
        if is_dir:
            folders.append(name)
            continue
        try:
            _retry_writable(fd, os.unlink, name)
        except FileNotFoundError:
            pass
        except OSError as exc:
            left.append(f"{where(name)}: {exc.strerror}")
    return folders


def clean_up(root: Path) -> list[str]:
    """``remove_tree``, saying on stderr what was left (at most five of them) instead of leaving it in silence."""
    left = remove_tree(root)
    if left:
        import sys

        shown = "; ".join(left[:5]) + (f"; and {len(left) - 5} more" if len(left) > 5 else "")
        print(f"grader: could not remove {len(left)} item(s) of the temporary folder {root}: {shown}",
              file=sys.stderr)
    return left
