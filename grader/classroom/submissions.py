"""Finding a class's submissions: an LMS export (grader.classroom.layouts), as a folder or a .zip.

A zip is extracted into a private temporary folder and never trusted: absolute paths, ``..``, links,
devices and oversized or over-compressed members are refused, so a crafted archive cannot write
outside that folder or fill the disk. The input itself is never modified.
"""

from __future__ import annotations

import hashlib
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from grader.classroom.layouts import Found, Shown, Student, read_export
from grader.classroom.rosters import Rosters
from grader.errors import InputError, UsageError
from grader.files import clean_up
from grader.sandbox.client import python_files
from grader.sandbox.notebook import notebook_files

MAX_ZIP_MEMBERS = 200_000
MAX_ZIP_MEMBER_BYTES = 8 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
MAX_RATIO = 200  # a member that inflates more than this is treated as a zip bomb


# One submission to grade: the student id, the folder, and the name and e-mail when the export has them.
Submission = Student


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise InputError(f"the zip holds an absolute path ({info.filename!r}); refusing to extract it")
    if any(part == ".." for part in path.parts):
        raise InputError(f"the zip holds a path that leaves its folder ({info.filename!r}); refusing to extract it")
    return path


def _utf8_names(infos: list[zipfile.ZipInfo]) -> None:
    """Names stored without the UTF-8 flag are read as UTF-8 when they are valid UTF-8 (else as CP437, the zip
    standard's default). rubyzip, which writes Canvas's downloads, stores UTF-8 names without the flag."""
    for info in infos:
        if info.flag_bits & 0x800:
            continue
        try:
            name = info.filename.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        info.filename = name


def extract_zip(archive: Path, dest: Path) -> None:
    """Extract ``archive`` into ``dest`` safely; raise InputError on anything suspicious."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{archive} is not a readable zip file: {exc}") from None
    with zf:
        infos = zf.infolist()
        _utf8_names(infos)
        if len(infos) > MAX_ZIP_MEMBERS:
            raise InputError(f"{archive} holds {len(infos)} files (more than {MAX_ZIP_MEMBERS})")
        total = 0
        for info in infos:
            path = _member_path(info)
            mode = info.external_attr >> 16
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise InputError(f"the zip holds a link or special file ({info.filename!r}); refusing to extract it")
            if info.flag_bits & 0x1:
                raise InputError(f"{archive} is encrypted ({info.filename!r} needs a password)",
                                 "Download the export again without a password, or unzip it yourself and pass "
                                 "the folder.")
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
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
                # a damaged download, or a compression method Python's zipfile cannot read
                raise InputError(f"cannot extract {info.filename!r} from the zip: {exc}",
                                 "Download the export again; if this persists, unzip it yourself and pass the "
                                 "folder.") from None


@contextmanager
def open_submissions(source: Path, work: Path | None = None, *, layout: str | None = None,
                     prefix: str | None = None, rosters: Rosters | None = None) -> Iterator[Found]:
    """The students of an LMS export, a folder or a .zip (see grader.classroom.layouts).

    ``work`` is a private folder for the zip's copy and the grouped submissions (a temporary one by default,
    removed afterwards); the export itself is never modified.
    """
    if source.is_file() and source.suffix.lower() != ".zip":
        raise InputError(f"{source} is a file, not a folder or a .zip",
                         "Pass the folder that holds one folder per student, or the .zip your LMS gave you.")
    if not source.exists():
        raise InputError(f"{source} does not exist")
    own = work is None
    work = Path(tempfile.mkdtemp(prefix="grader-class-")) if work is None else work
    try:
        if source.is_file():
            extracted = work / "export"
            extracted.mkdir()
            extract_zip(source, extracted)
            yield read_export(extracted, work / "work", Shown(source, extracted), extract_zip, layout=layout,
                              prefix=prefix, rosters=rosters)
        else:
            yield read_export(source, work / "work", Shown(source, None), extract_zip, layout=layout, prefix=prefix,
                              rosters=rosters)
    finally:
        if own:
            clean_up(work)


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
