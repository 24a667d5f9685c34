"""Finding a class's submissions: one folder per student, or a .zip of such folders (an LMS download).

A zip is extracted into a private temporary folder and never trusted: absolute paths, ``..``, links,
devices and oversized or over-compressed members are refused, so a crafted archive cannot write
outside that folder or fill the disk. The input itself is never modified.
"""

from __future__ import annotations

import hashlib
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import InputError, UsageError
from grader.sandbox.client import python_files
from grader.sandbox.notebook import notebook_files

MAX_ZIP_MEMBERS = 200_000
MAX_ZIP_MEMBER_BYTES = 8 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
MAX_RATIO = 200  # a member that inflates more than this is treated as a zip bomb
MAX_ID_CHARS = 200
_SKIP_DIRS = ("__MACOSX", "__pycache__")


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path


def valid_student_id(name: str) -> bool:
    """A folder name usable as a file name in OUT (no separators, not hidden, printable)."""
    return (0 < len(name) <= MAX_ID_CHARS and not name.startswith(".") and "/" not in name and "\\" not in name
            and name not in _SKIP_DIRS and name.isprintable())


def list_submissions(root: Path) -> list[Submission]:
    """One submission per subfolder of ``root`` (folder name = student id), sorted by student id."""
    if not root.is_dir():
        raise InputError(f"{root} is not a folder or a .zip", "Pass the folder that holds one folder per student.")
    found = []
    loose = False
    for entry in root.iterdir():
        if entry.is_symlink():
            continue
        if entry.is_dir():
            if valid_student_id(entry.name):
                found.append(Submission(entry.name, entry))
        elif entry.suffix in (".py", ".ipynb"):
            loose = True
    if not found and loose:
        raise InputError(f"{root} holds Python files or notebooks but no student folders",
                         "grader batch expects one folder per student (the folder name is the student id); "
                         "to grade one submission run: grader check DIR")
    found.sort(key=lambda s: s.student)
    return found


def _single_wrapper(root: Path) -> Path:
    """An LMS zip often holds one top folder around the student folders: look inside it."""
    entries = [e for e in root.iterdir() if e.name not in _SKIP_DIRS and not e.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        inner = [e for e in entries[0].iterdir() if e.is_dir() and valid_student_id(e.name)]
        if inner and not any(e.suffix in (".py", ".ipynb") for e in entries[0].iterdir()):
            return entries[0]
    return root


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise InputError(f"the zip holds an absolute path ({info.filename!r}); refusing to extract it")
    if any(part == ".." for part in path.parts):
        raise InputError(f"the zip holds a path that leaves its folder ({info.filename!r}); refusing to extract it")
    return path


def extract_zip(archive: Path, dest: Path) -> None:
    """Extract ``archive`` into ``dest`` safely; raise InputError on anything suspicious."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{archive} is not a readable zip file: {exc}") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise InputError(f"{archive} holds {len(infos)} files (more than {MAX_ZIP_MEMBERS})")
        total = 0
        for info in infos:
            path = _member_path(info)
            mode = info.external_attr >> 16
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise InputError(f"the zip holds a link or special file ({info.filename!r}); refusing to extract it")
            if info.is_dir() or not path.parts:
                continue
            if info.file_size > MAX_ZIP_MEMBER_BYTES:
                raise InputError(f"{info.filename!r} in the zip is {info.file_size} bytes "
                                 f"(more than {MAX_ZIP_MEMBER_BYTES})")
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1 << 20:
                raise InputError(f"{info.filename!r} in the zip inflates {info.file_size // info.compress_size}x; "
                                 "refusing a likely zip bomb")
            total += info.file_size
            if total > MAX_ZIP_TOTAL_BYTES:
                raise InputError(f"{archive} inflates to more than {MAX_ZIP_TOTAL_BYTES} bytes")
        dest_real = dest.resolve()
        for info in infos:
            path = _member_path(info)
            if not path.parts:
                continue
            target = dest_real.joinpath(*path.parts)
            if not target.resolve().is_relative_to(dest_real):
                raise InputError(f"the zip holds a path that leaves its folder ({info.filename!r})")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(target, "xb") as out:
                    # Read at most the declared size plus one byte: a lying header cannot inflate further.
                    data = src.read(info.file_size + 1)
                    if len(data) > info.file_size:
                        raise InputError(f"{info.filename!r} in the zip is larger than its header says")
                    out.write(data)
            except FileExistsError:
                raise InputError(f"the zip holds {info.filename!r} twice") from None
            except (zipfile.BadZipFile, OSError) as exc:
                raise InputError(f"cannot extract {info.filename!r} from the zip: {exc}") from None


@contextmanager
def open_submissions(source: Path) -> Iterator[list[Submission]]:
    """The submissions in a folder or a .zip; a zip's temporary copy is removed afterwards."""
    if source.is_file() and source.suffix.lower() == ".zip":
        tmp = Path(tempfile.mkdtemp(prefix="grader-class-"))
        try:
            extract_zip(source, tmp)
            yield list_submissions(_single_wrapper(tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    if source.is_file():
        raise InputError(f"{source} is a file, not a folder or a .zip",
                         "Pass the folder that holds one folder per student, or the .zip your LMS gave you.")
    if not source.exists():
        raise InputError(f"{source} does not exist")
    yield list_submissions(source)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``K/N`` (1 <= K <= N) as a pair, for --shard."""
    if text is None:
        return None
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise UsageError(f"--shard {text!r} is not K/N", "Write e.g. --shard 2/4 for the second of four shards.") from None
    if not 1 <= k <= n:
        raise UsageError(f"--shard {text!r}: K must be between 1 and N", "Write e.g. --shard 2/4.")
    return k, n


def shard_of(student: str, count: int) -> int:
    """Which shard (1..count) grades ``student``: a stable hash, the same on every machine and run."""
    digest = hashlib.sha256(student.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def submission_hash(path: Path) -> str:
    """Hash of exactly the files grading reads (the Python files the sandbox copies, the notebooks, and the
    quiz sheet), so an unchanged submission is recognised."""
    from grader.spec.quiz.sheet import SHEET_FILE

    h = hashlib.sha256()
    sheet = path / SHEET_FILE
    files = list(python_files(path)) + list(notebook_files(path))
    if sheet.is_file() and not sheet.is_symlink():
        files.append((SHEET_FILE, sheet))
    for rel, file in files:
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        try:
            h.update(file.read_bytes())
        except OSError:
            h.update(b"<unreadable>")
        h.update(b"\0")
    return h.hexdigest()[:32]
