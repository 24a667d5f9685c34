"""Kernel confinement for the worker: Landlock, seccomp, capabilities and a child subreaper.

Why the kernel: a policy that lives in the worker's own Python objects (the audit hook in ``guard``) can
be reached and switched off by the student code running in the same process. These layers are installed
with system calls after the fork and before any student code, and nothing in the process can undo them:

- **Landlock** (``landlock_create_ruleset``, ``landlock_add_rule``, ``landlock_restrict_self``): file
  system access is limited to read (and execute) on the Python installation and the system's shared
  folders, read and write on the submission's private sandbox copy; device files, FIFOs, sockets and
  symbolic links cannot be created anywhere; hard links and renames across folders are refused (no
  ``REFER`` right). ABI ≥ 4 also refuses TCP bind and connect; ABI ≥ 6 refuses signals and abstract
  UNIX sockets to processes outside the worker's domain (the fork server, the grader, other workers).
  There is no maintained Python binding for Landlock (the PyPI ``landlock`` package is a 2025 dev
  release; ``landlockpy`` and ``py-landlock`` are single-author 0.x packages without the network and
  scope rights), and the interface is three system calls with documented fixed-layout structs, so it
  is called directly through libc's ``syscall()``.
- **seccomp** through libseccomp and its ``pyseccomp`` binding (never a hand-written BPF program): no
  new processes, no ptrace or cross-process memory access, no pidfds, no signals to other processes,
  no namespace or mount changes, no io_uring (which would bypass the filter), no sockets; no change to any
  file's metadata (the chmod, chown, utime, setxattr and removexattr families and the chattr ioctls: Landlock
  has no right for them); no System V IPC or POSIX message queues (objects that outlive the worker).
- **Capabilities** dropped to none (``capset``) and ``no_new_privs``: the worker runs as the grader's
  user, possibly root, but without ``CAP_SYS_RESOURCE`` the kernel refuses to raise a hard resource
  limit, without ``CAP_KILL``/``CAP_SYS_PTRACE``/``CAP_DAC_OVERRIDE`` it has no way around the checks.

The fork server builds the Landlock ruleset (the system folders are opened once per fork server) and
hands the worker a ruleset fd; the worker only calls ``landlock_restrict_self``. The seccomp filter
depends on the worker's pid, so the worker compiles it (about a millisecond).

``GRADER_TEST_DISABLE_LAYERS`` (comma-separated: ``landlock``, ``seccomp``, ``audit_hook``) makes a layer
unavailable; it exists for the tests (the ``isolation`` policy, and attacks that must fail at the kernel
with the audit hook off). It is read by the fork server from the grader's environment, never from a
submission, and can only weaken confinement, which the ``required`` policy refuses for the kernel layers.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import signal
import sys
from typing import Any

_SECCOMP_SONAME = "libseccomp.so.2"
_seccomp: Any = None  # the pyseccomp module once loaded; a failure is never kept, the next probe tries again
_seccomp_error: list[str] = []  # why the last probe failed, for the refusal's message

try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _libc.syscall.restype = ctypes.c_long
    _libc.prctl.restype = ctypes.c_int  # resolved here, in the fork server, so no worker pays the dlsym
    _LIBC: ctypes.CDLL | None = _libc
except (OSError, AttributeError):
    _LIBC = None



def disabled() -> set[str]:
    """Layers switched off for a test through ``GRADER_TEST_DISABLE_LAYERS`` (see the module docstring)."""
    return {x.strip() for x in os.environ.get("GRADER_TEST_DISABLE_LAYERS", "").split(",") if x.strip()}


# <linux/landlock.h>; the syscall numbers are the same on every architecture (generic table).
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_CHAR, FS_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
FS_MAKE_REG, FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
FS_MAKE_SYM, FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV  # the only ones a file rule may hold

PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(platform.machine())
CLONE_THREAD = 0x00010000

# Read (and execute, for allow_subprocesses) on the system's shared folders; read only on these files.
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/sys/devices/system/cpu")
SYSTEM_FILES = ("/dev/zero", "/dev/urandom", "/dev/random", "/proc/cpuinfo", "/proc/meminfo")
_DEV_NULL = "/dev/null"


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall(number: int, *args: Any) -> int:
    if _LIBC is None:
        raise OSError(errno.ENOSYS, "libc not found")
    ret = _LIBC.syscall(number, *args)
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is missing or disabled."""
    if "landlock" in disabled() or not sys.platform.startswith("linux"):
        return 0
    try:
        return _syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    except OSError:
        return 0


def _load_seccomp() -> Any:
    """pyseccomp, with libseccomp loaded by its soname first; None (and the reason in ``seccomp_error``) if not.

    pyseccomp looks its libraries up with ``ctypes.util.find_library``, which runs ``/sbin/ldconfig`` (or a
    compiler) in a subprocess; when that spawn failed under load, about one batch in 30 refused to grade with
    "missing seccomp". The library's soname is a fact of the platform (Debian's libseccomp2 ships
    libseccomp.so.2), so it is loaded with ``dlopen`` directly, and while pyseccomp is imported its look-ups of
    ``seccomp`` and ``c`` are answered with the sonames already loaded, without a subprocess. A probe tries
    twice, and a failure is never remembered: the next probe tries again."""
    global _seccomp
    if _seccomp is not None:
        return _seccomp
    import ctypes.util

    for _attempt in range(2):
        try:
            ctypes.CDLL(_SECCOMP_SONAME)
        except OSError as exc:
            _seccomp_error[:] = [f"loading {_SECCOMP_SONAME} failed ({exc})"]
            continue
        known = {"seccomp": _SECCOMP_SONAME}
        try:
            ctypes.CDLL("libc.so.6")
            known["c"] = "libc.so.6"
        except OSError:
            pass
        real = ctypes.util.find_library
        ctypes.util.find_library = _answering(known, real)
        try:
            import pyseccomp
        except ImportError as exc:
            _seccomp_error[:] = [f"the pyseccomp package is not installed ({exc})"]
            return None
        except (OSError, RuntimeError, AttributeError) as exc:
            _seccomp_error[:] = [f"importing pyseccomp with {_SECCOMP_SONAME} loaded failed ({exc})"]
            continue
        finally:
            ctypes.util.find_library = real
        _seccomp = pyseccomp
        _seccomp_error.clear()
        return _seccomp
    return None


def _answering(known: dict[str, str], real: Any) -> Any:
    """``find_library`` that answers the sonames in ``known`` without a subprocess, and asks ``real`` otherwise."""
    def find_library(name: str) -> str | None:
        return known.get(name) or real(name)
    return find_library


def seccomp_available() -> bool:
    if "seccomp" in disabled() or not sys.platform.startswith("linux"):
        return False
    return _load_seccomp() is not None


def seccomp_error() -> str:
    """Why seccomp is unavailable, in words for the refusal (empty when it is available)."""
    if "seccomp" in disabled():
        return "switched off by GRADER_TEST_DISABLE_LAYERS"
    if not sys.platform.startswith("linux"):
        return f"seccomp is Linux only (this is {sys.platform})"
    return _seccomp_error[0] if _seccomp_error and _seccomp is None else ""


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


class Landlock:
    """Per fork server: the ABI and the system paths, opened once; a ruleset per submission from those."""

    def __init__(self, extra_read: tuple[str, ...]) -> None:
        self.abi = landlock_abi()
        self.handled = _fs_rights(self.abi)
        self.read_dir = FS_READ_FILE | FS_READ_DIR | FS_EXECUTE
        self.dirs: list[int] = []
        self.files: list[tuple[int, int]] = []
        if not self.abi:
            return
        for path in dict.fromkeys((*SYSTEM_DIRS, *extra_read)):
            fd = self._open(path)
            if fd is not None:
                self.dirs.append(fd)
        for path in SYSTEM_FILES:
            fd = self._open(path)
            if fd is not None:
                self.files.append((fd, FS_READ_FILE))
        fd = self._open(_DEV_NULL)
        if fd is not None:
            self.files.append((fd, FS_READ_FILE | FS_WRITE_FILE | (FS_TRUNCATE if self.abi >= 3 else 0)))

    @staticmethod
    def _open(path: str) -> int | None:
        try:
            return os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return None

    def _add(self, ruleset: int, fd: int, rights: int) -> None:
        attr = _PathBeneathAttr(rights & self.handled, fd)
        _syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH),
                 ctypes.byref(attr), ctypes.c_uint32(0))

    def ruleset(self, sandbox: str) -> int | None:
        """A new ruleset fd for one submission (the caller closes it), or None without Landlock."""
        if not self.abi:
            return None
        attr = _RulesetAttr(self.handled, NET_BIND_TCP | NET_CONNECT_TCP if self.abi >= 4 else 0,
                            SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if self.abi >= 6 else 0)
        size = ctypes.sizeof(_RulesetAttr) if self.abi >= 6 else (16 if self.abi >= 4 else 8)
        fd = _syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
        try:
            for d in self.dirs:
                self._add(fd, d, self.read_dir)
            for f, rights in self.files:
                self._add(fd, f, rights & _FILE_RIGHTS)
            box = os.open(sandbox, os.O_PATH | os.O_CLOEXEC | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                # Read and write, make folders and regular files; never devices, FIFOs, sockets, links, exec.
                self._add(fd, box, FS_READ_FILE | FS_READ_DIR | FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE
                          | FS_MAKE_DIR | FS_MAKE_REG | FS_TRUNCATE)
            finally:
                os.close(box)
        except OSError:
            os.close(fd)
            raise
        return fd

    def describe(self) -> dict[str, Any]:
        return {"landlock_abi": self.abi, "landlock_network": self.abi >= 4, "landlock_scopes": self.abi >= 6}


def no_new_privs() -> bool:
    try:
        return _LIBC is not None and _LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def restrict_self(ruleset_fd: int) -> None:
    _syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset_fd), ctypes.c_uint32(0))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> bool:
    """Empty the effective, permitted and inheritable capability sets of this process."""
    if SYS_CAPSET is None:
        return False
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    try:
        _syscall(SYS_CAPSET, ctypes.byref(header), ctypes.byref(data))
    except OSError:
        return False
    return True


def set_subreaper() -> bool:
    """Orphaned descendants of this process are re-parented to it instead of init, so it can kill them."""
    try:
        return _LIBC is not None and _LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def kill_children() -> int:
    """SIGKILL and reap every remaining child of this process (orphans come back here as subreaper)."""
    killed = 0
    me = os.getpid()
    for _ in range(50):
        pids = _children(me)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    while True:  # zombies not listed any more
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
    return killed


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                found.extend(int(x) for x in fh.read().split())
        except (OSError, ValueError):
            pass
    return found


_DENY_ALWAYS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_open", "pidfd_send_signal", "pidfd_getfd",
    "process_madvise", "kcmp", "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount",
    "open_tree", "fsopen", "fsmount", "fspick", "fsconfig", "mount_setattr", "open_tree_attr",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "kexec_load",
    "init_module", "finit_module", "delete_module", "socket", "mknod", "mknodat", "quotactl",
    "name_to_handle_at", "open_by_handle_at", "seccomp", "setpriority", "sched_setattr", "acct", "swapon",
    "swapoff", "reboot", "sethostname", "setdomainname", "syslog", "vhangup", "ioperm", "iopl",
    "personality", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
)
# File metadata: Landlock has no right for it, so a worker could chmod 000 the course or a classmate's folder,
# or (as root, which owns the system's files even without capabilities) set the setuid bit on them.
_DENY_METADATA = (
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "fchownat", "lchown",
    "utime", "utimes", "utimensat", "futimesat",
    "setxattr", "lsetxattr", "fsetxattr", "setxattrat", "removexattr", "lremovexattr", "fremovexattr",
    "removexattrat", "file_setattr",
)
# System V IPC and POSIX message queues: objects that outlive the worker and are shared across submissions.
_DENY_IPC = (
    "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop",
    "semtimedop", "semctl", "ipc", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
    "mq_getsetattr",
)
# Calls newer than some libseccomp releases (Debian 12's 2.5.4 knows none of the last four): the generic
# numbers, the same on x86-64 and arm64 (every architecture shares the table from 424 on).
_GENERIC_NUMBERS = {"fchmodat2": 452, "setxattrat": 463, "removexattrat": 466, "open_tree_attr": 467,
                    "file_setattr": 469}
# ioctls that change a file's flags or extended attributes (chattr): FS_IOC_SETFLAGS, its 32-bit form and
# FS_IOC_FSSETXATTR; the request is an unsigned int, so only its low 32 bits are compared.
_DENY_IOCTLS = (0x40086602, 0x40046602, 0x401C5820)
_PROCESS = ("fork", "vfork", "execve", "execveat")


_FILTERS: dict[bool, Any] = {}


def seccomp_base(allow_subprocesses: bool) -> Any:
    """The part of the worker's filter that is the same for every worker, built once per fork server.

    A deny-list on top of the default allow, answering EPERM (ENOSYS for clone3, so that libc falls back to
    clone, which is checked). Building it costs milliseconds (libseccomp resolves every name); the worker
    inherits the built object through fork and only adds the rules that name its own pid.
    """
    if allow_subprocesses in _FILTERS:
        return _FILTERS[allow_subprocesses]
    s = _load_seccomp()
    assert s is not None
    flt = s.SyscallFilter(s.ALLOW)
    eperm = s.ERRNO(errno.EPERM)
    names = [*_DENY_ALWAYS, *_DENY_METADATA, *_DENY_IPC]
    if not allow_subprocesses:
        names += _PROCESS
        flt.add_rule(eperm, "clone", s.Arg(0, s.MASKED_EQ, CLONE_THREAD, 0))  # a new process, not a thread
        flt.add_rule(s.ERRNO(errno.ENOSYS), "clone3")
        flt.add_rule(eperm, "tkill")
    for name in names:
        _deny(flt, eperm, name)
    for request in _DENY_IOCTLS:
        flt.add_rule(eperm, "ioctl", s.Arg(1, s.MASKED_EQ, 0xFFFFFFFF, request))
    # Resource limits: only this process's own (prlimit64 with pid 0); raising a hard limit is refused by
    # the kernel anyway once the capabilities are dropped.
    flt.add_rule(eperm, "prlimit64", s.Arg(0, s.NE, 0))
    _FILTERS[allow_subprocesses] = flt
    return flt


def _deny(flt: Any, action: int, name: str) -> None:
    """One rule; a name this libseccomp does not know is added by its generic number where there is one."""
    try:
        flt.add_rule(action, name)
        return
    except (RuntimeError, OSError, ValueError):  # unknown to libseccomp, or not a call on this architecture
        pass
    number = _GENERIC_NUMBERS.get(name)
    if number is not None and platform.machine() in ("x86_64", "aarch64"):
        flt.add_rule(action, number)


def apply_seccomp(allow_subprocesses: bool) -> None:
    """In the worker: the inherited base filter, plus signals to itself only, loaded into the kernel."""
    s = _load_seccomp()
    assert s is not None
    flt = seccomp_base(allow_subprocesses)
    if not allow_subprocesses:
        # With subprocesses, Landlock's signal scope keeps signals inside the worker's own descendants.
        # libseccomp allows one comparison per argument, hence "not me" rather than a range.
        me = os.getpid()
        flt.add_rule(s.ERRNO(errno.EPERM), "kill", s.Arg(0, s.NE, me))
        flt.add_rule(s.ERRNO(errno.EPERM), "tgkill", s.Arg(0, s.NE, me))
    flt.load()
