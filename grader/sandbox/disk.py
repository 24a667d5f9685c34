"""A total disk budget per submission (the course's ``disk_mb``): a private tmpfs, else a watcher.

Why: the file-size rlimit caps one file, not their number; a worker wrote 2.2 GiB of 1 MiB files into its
sandbox copy, on a RAM-backed /tmp, in 2.5 s. Two ways, the first wherever the kernel allows it:

- **tmpfs in a mount namespace.** The fork server moves into a mount namespace of its own once, at start-up
  (``private_mounts``: as root, or inside a user namespace of its own where unprivileged ones are allowed),
  with every mount private, so nothing it mounts is seen by
  the grader or the machine. For each request it mounts a tmpfs of ``size=disk_mb`` and ``nr_inodes=MAX_INODES``
  over the sandbox copy's folder and copies the copy's files into it (``Budget.attach``); the template and the
  workers share that namespace. A write past the budget fails with ENOSPC in the student's code, which the
  worker reports as "disk limit exceeded". When the request ends the tmpfs is detached and its memory freed;
  what the student wrote never reaches the real disk. The Landlock ruleset is built after the mount, so its
  rule names the tmpfs.
- **a watcher** otherwise: the fork server adds up the copy's bytes (allocated blocks) and entries whenever it
  wakes (at least every ``POLL`` seconds) and ends the worker past the budget, charging the import or call
  under way with "disk limit exceeded". A worker can overshoot by what it writes in one poll.
"""

from __future__ import annotations

import ctypes
import os
import stat
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
MS_NOSUID, MS_NODEV = 0x2, 0x4
MNT_DETACH = 2
MAX_INODES = 16384  # files and folders in a copy: a budget on entries as well as bytes
try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:
    _LIBC = None


def private_mounts() -> bool:
    """Enter a mount namespace of this process's own, with every mount private (once, in the fork server).

    As root, directly. As an ordinary user, inside a new user namespace that maps only this user and group to
    themselves (``setgroups`` denied), where the kernel allows unprivileged user namespaces: the process then
    holds capabilities only over that namespace's mounts, and every worker drops them before student code."""
    if _LIBC is None:
        return False
    if os.getuid() != 0 and not _own_user_namespace():
        return False
    if _LIBC.unshare(CLONE_NEWNS) != 0:
        return False
    return _LIBC.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0


def _own_user_namespace() -> bool:
    assert _LIBC is not None
    uid, gid = os.getuid(), os.getgid()
    if _LIBC.unshare(CLONE_NEWUSER) != 0:
        return False
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            fd = os.open(f"/proc/self/{name}", os.O_WRONLY)
            try:
                os.write(fd, text.encode())
            finally:
                os.close(fd)
    except OSError:
        return False  # in a user namespace without a mapping: no mounts, and the watcher keeps the budget
    return True


def limit_message(disk_mb: int) -> str:
    return (f"disk limit exceeded: the files in the submission's folder may take at most {disk_mb} MiB and "
            f"{MAX_INODES} entries in all")


class Budget:
    """The disk budget of one request's sandbox copy."""

    def __init__(self, folder: str, disk_mb: int, mounts: bool) -> None:
        self.folder = folder
        self.disk_mb = disk_mb
        self.bytes = disk_mb * 1024 * 1024
        self.mounted = mounts and self._attach()
        self.mounted_once = self.mounted

    def _attach(self) -> bool:
        """Mount a tmpfs of the budget's size over the copy and copy its files in; False (nothing changed) if
        the kernel refuses."""
        assert _LIBC is not None
        try:
            old = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            return False
        try:
            options = f"size={self.bytes},nr_inodes={MAX_INODES},mode=0700,uid={os.getuid()},gid={os.getgid()}"
            if _LIBC.mount(b"grader-sandbox", self.folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                           options.encode()) != 0:
                return False
            try:
                new = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
                try:
                    _copy_tree(old, new)
                finally:
                    os.close(new)
            except OSError:
                self.detach(True)
                return False
            return True
        finally:
            os.close(old)

    def detach(self, force: bool = False) -> None:
        if (self.mounted or force) and _LIBC is not None:
            _LIBC.umount2(self.folder.encode(), MNT_DETACH)
            self.mounted = False

    def exceeded(self) -> bool:
        """The watcher (no tmpfs): whether the copy now takes more than the budget, in bytes or in entries."""
        if self.mounted:
            return False
        used, entries = usage(self.folder, MAX_INODES)
        return used > self.bytes or entries > MAX_INODES

    def describe(self) -> dict[str, Any]:
        return {"disk_budget": "tmpfs" if self.mounted else "watcher"}


def usage(folder: str, max_entries: int) -> tuple[int, int]:
    """Bytes allocated and entries under ``folder``, counted iteratively through folder descriptors, never
    following a link; counting stops past ``max_entries`` (then the budget is exceeded anyway)."""
    total = entries = 0
    try:
        stack = [os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)]
    except OSError:
        return 0, 0
    while stack:
        fd = stack.pop()
        try:
            with os.scandir(fd) as it:
                for entry in it:
                    entries += 1
                    if entries > max_entries:
                        break
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += st.st_blocks * 512
                    if stat.S_ISDIR(st.st_mode):
                        try:
                            stack.append(os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                                                 dir_fd=fd))
                        except OSError:
                            pass
        except OSError:
            pass
        finally:
            os.close(fd)
        if entries > max_entries:
            for rest in stack:
                os.close(rest)
            break
    return total, entries


def _copy_tree(src: int, dest: int) -> None:
    """Copy the folders and regular files under folder ``src`` into folder ``dest`` (the grader's copy of the
    submission: at most a few hundred files), iteratively, through descriptors."""
    stack = [(os.dup(src), os.dup(dest))]
    try:
        while stack:
            s, d = stack.pop()
            try:
                with os.scandir(s) as it:
                    entries = list(it)
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        os.mkdir(entry.name, 0o700, dir_fd=d)
                        stack.append((os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=s),
                                      os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=d)))
                    elif entry.is_file(follow_symlinks=False):
                        _copy_file(s, d, entry.name)
            finally:
                os.close(s)
                os.close(d)
    finally:
        for s, d in stack:
            os.close(s)
            os.close(d)


def _copy_file(src_dir: int, dest_dir: int, name: str) -> None:
    fin = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=src_dir)
    try:
        fout = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=dest_dir)
        try:
            while True:
                chunk = os.read(fin, 1 << 20)
                if not chunk:
                    break
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fout, view):]
        finally:
            os.close(fout)
    finally:
        os.close(fin)
