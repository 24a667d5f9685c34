"""Confinement applied inside the forked worker, before any student code runs.

Layers, from the kernel up: a fresh session (so the whole process group can be killed), resource
limits (memory, CPU, file size, open files, core dumps), a private network namespace where the OS
allows it, and a Python audit hook that refuses network, subprocesses, native code loading, and any
file access outside an allow-list (the sandbox, the Python installation, shared system files), so the
course (reference, hidden cases), other copies of it, other submissions and the grader's outputs are
out of reach. Audit hooks cannot be removed once installed.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import os
import re
import resource
import site
import sys
import sysconfig
import time
from collections.abc import Iterable
from functools import cache

CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
_EXT_SUFFIXES = (*importlib.machinery.EXTENSION_SUFFIXES, ".so", ".pyd", ".dll", ".dylib")

_PROCESS_EVENTS = {
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "subprocess.Popen",
    "pty.spawn", "os.startfile",
}
_NET_EVENTS = {
    "socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname",
    "socket.gethostbyname_ex", "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg",
    "socket.getnameinfo", "urllib.Request", "http.client.connect", "ftplib.connect", "smtplib.connect",
}
# Events that change the file system: (event name, indexes of path arguments)
_WRITE_EVENTS = {
    "os.remove": (0,), "os.rmdir": (0,), "os.rename": (0, 1), "os.mkdir": (0,), "os.chmod": (0,),
    "os.chown": (0,), "os.link": (0, 1), "os.symlink": (0, 1), "os.truncate": (0,), "os.utime": (0,),
    "os.setxattr": (0,), "os.removexattr": (0,), "shutil.rmtree": (0,), "shutil.move": (0, 1),
    "shutil.copyfile": (1,), "shutil.copytree": (1,), "os.chflags": (0,), "os.mkfifo": (0,), "os.mknod": (0,),
}
_READ_EVENTS = {"os.listdir": 0, "os.scandir": 0, "glob.glob": 0, "os.walk": 0, "os.fwalk": 0}
# Shared system files that ordinary library code may read (locales, time zones, certificates, devices).
SYSTEM_READABLE = ("/usr", "/lib", "/lib64", "/lib32", "/etc", "/dev/null", "/dev/zero", "/dev/urandom",
                   "/dev/random", "/sys/devices/system/cpu", "/proc/cpuinfo", "/proc/meminfo")
_PROC_PID = re.compile(r"^/proc/(\d+)(/|$)")  # compiled once, before the fork
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class SandboxViolation(PermissionError):
    """Raised inside student code when it tries something the sandbox forbids."""


def new_session() -> None:
    os.setsid()


def unshare_network() -> bool:
    """Move this process into an empty network namespace (only loopback, down). Needs root."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.unshare(CLONE_NEWNET) == 0
    except (OSError, AttributeError):
        return False


_network: list[bool] = []  # the outcome of unshare_network() in this process, once tried


def private_network() -> bool:
    """Enter an empty network namespace once per process; forked children inherit it.

    The fork server calls this before forking, so workers start without network at no cost per
    submission (creating and tearing down a namespace per fork costs milliseconds of kernel time).
    Workers run one at a time per fork server and cannot open sockets anyway (audit hook).
    """
    if not _network:
        _network.append(unshare_network())
    return _network[0]


def private_ipc() -> bool:
    """Move this process (the fork server, once) into a new IPC namespace; needs root.

    A second layer under seccomp, which refuses System V IPC and message queues outright: without seccomp
    (``isolation: best-effort``), segments and queues a worker makes stay in this namespace and are freed
    with it when the fork server ends, instead of outliving grading on the machine."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.unshare(CLONE_NEWIPC) == 0
    except (OSError, AttributeError):
        return False


def _vm_size() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def set_limits(memory_mb: int, file_size_kb: int, open_files: int, allow_subprocesses: bool) -> None:
    """Memory is counted on top of what the pre-warmed interpreter already maps."""
    extra = memory_mb * 1024 * 1024
    address_space = _vm_size() + extra
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_kb * 1024, file_size_kb * 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not allow_subprocesses and os.getuid() != 0:
        # Counted per user, so only meaningful below the user's current count when not root.
        try:
            _soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
            resource.setrlimit(resource.RLIMIT_NPROC, (0, hard))
        except (ValueError, OSError):
            pass


def set_cpu_budget(seconds: float) -> int:
    """Allow ``seconds`` more CPU time; past it the kernel sends SIGXCPU. Returns the soft limit set."""
    # The CPU clock of the whole process, as RLIMIT_CPU counts it; cheaper than getrusage (one call per call).
    soft = int(time.process_time() + seconds) + 1
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    # Only the soft limit moves (a hard limit cannot be raised again); a worker that ignores SIGXCPU
    # is killed by the fork server's wall-clock deadline instead.
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    return soft


@cache
def interpreter_dirs() -> tuple[str, ...]:
    """Where Python and installed packages live: always readable, never writable.

    Cached: it is the same for every worker, and the fork server computes it once before forking
    (sysconfig and realpath cost several milliseconds per submission otherwise).
    """
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            paths.add(sysconfig.get_paths()[key])
        except KeyError:
            pass
    try:
        paths.update(site.getsitepackages())
    except AttributeError:
        pass
    return tuple(sorted({os.path.realpath(p) for p in paths if p}))


def _inside(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def scrub_imports(sandbox: str, forbidden: list[str]) -> None:
    """Make the student's folder the first import location and drop anything that leads to the course."""
    keep = interpreter_dirs()
    clean = [sandbox]
    for entry in sys.path:
        real = os.path.realpath(entry or ".")
        if entry == "" or real == sandbox:
            continue
        if _inside(real, forbidden) and not _inside(real, keep):
            continue
        clean.append(entry)
    sys.path[:] = clean
    sys.path_importer_cache.clear()
    for name in list(sys.modules):
        if name == "reference" or name.startswith("reference."):
            del sys.modules[name]


# Events whose arguments include a dir_fd (by position): a path relative to an fd cannot be judged here.
_DIR_FD_ARGS = {"os.remove": (1,), "os.rmdir": (1,), "os.mkdir": (2,), "os.rename": (2, 3), "os.chmod": (2,),
                "os.chown": (3,), "os.link": (2, 3), "os.symlink": (2,), "os.utime": (3,)}
_GC_EVENTS = {"gc.get_objects", "gc.get_referrers", "gc.get_referents"}
_METADATA_EVENTS = {"os.chmod", "os.chown", "os.utime", "os.setxattr", "os.removexattr", "os.chflags"}


def install_audit_hook(sandbox: str, forbidden: list[str], allow_subprocesses: bool) -> None:
    """The second layer, after the kernel's: refuses what it can see, with its own frozen copies of its state.

    Everything the hook uses is bound here, as immutable values and captured built-in functions, so that
    replacing names in ``sys.modules['grader.sandbox.guard']`` or in ``os`` (``os.getcwd``, ``os.path``)
    changes nothing it decides; the ``gc`` calls that would find its closure are refused. It is still
    Python inside the attacker's process: the kernel layers (grader.sandbox.kernel) are the boundary.
    """
    import pathlib
    import posixpath

    sandbox = os.path.realpath(sandbox)
    forbidden_roots = tuple(os.path.realpath(p) for p in forbidden)
    readable = tuple(interpreter_dirs())
    system = tuple(p for p in SYSTEM_READABLE if os.path.exists(p))
    my_pid = os.getpid()
    proc_pid = _PROC_PID
    realpath, join, isabs = posixpath.realpath, posixpath.join, posixpath.isabs
    getcwd = os.getcwd  # the built-in itself: a monkeypatched os.getcwd does not reach the hook
    trusted_paths = (str, bytes, pathlib.PosixPath, pathlib.PurePosixPath)
    ext_suffixes = tuple(_EXT_SUFFIXES)
    process_events, net_events = frozenset(_PROCESS_EVENTS), frozenset(_NET_EVENTS)
    write_events = {k: tuple(v) for k, v in _WRITE_EVENTS.items()}
    read_events = dict(_READ_EVENTS)
    dir_fd_args = {k: tuple(v) for k, v in _DIR_FD_ARGS.items()}
    gc_events = frozenset(_GC_EVENTS)
    metadata_events = frozenset(_METADATA_EVENTS)
    write_flags = _WRITE_FLAGS
    sep = os.sep

    def inside(path: str, roots: tuple[str, ...]) -> bool:
        return any(path == r or path.startswith(r.rstrip(sep) + sep) for r in roots)

    def deny(what: str) -> None:
        raise SandboxViolation(f"[grader sandbox] {what} is not allowed while grading")

    def check_read(path: str) -> None:
        # An allow-list: the sandbox, the Python installation and the system's shared files. Everything
        # else (the course, other copies of it, other submissions' sandboxes, home folders) is refused.
        if inside(path, (sandbox,)) or inside(path, readable):
            return
        if inside(path, system) and not inside(path, forbidden_roots):
            return
        m = proc_pid.match(path)
        if m and int(m.group(1)) == my_pid:
            return
        deny(f"reading {path}")

    def check_write(path: str) -> None:
        if path == "/dev/null":
            return
        if not inside(path, (sandbox,)):
            deny(f"writing {path}")
        if path.endswith(ext_suffixes) or ".so." in posixpath.basename(path):
            deny(f"writing native code ({posixpath.basename(path)})")

    def to_path(arg: object) -> str | None:
        if isinstance(arg, int):
            return None
        if type(arg) not in trusted_paths:
            # A custom os.PathLike could answer one path here and another at the open: read it never.
            deny(f"a path of type {type(arg).__name__} (pass a str)")
        text = arg.decode("utf-8", "surrogateescape") if isinstance(arg, bytes) else str(arg)
        if not isabs(text):
            text = join(getcwd(), text)
        return realpath(text)

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path = to_path(args[0])
            if path is None:
                return
            mode, flags = args[1], args[2] or 0
            check_read(path)
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or flags & write_flags:
                check_write(path)
        elif event in metadata_events:
            # The kernel refuses these anyway (seccomp): here the student gets a message that says why.
            deny(f"changing a file's permissions, owner, times or extended attributes ({event})")
        elif event in write_events:
            for i in dir_fd_args.get(event, ()):
                if i < len(args) and args[i] not in (None, -1, -100):  # -1: none given; -100: AT_FDCWD
                    deny("a path relative to a folder descriptor (dir_fd)")
            for i in write_events[event]:
                path = to_path(args[i]) if i < len(args) else None
                if path is not None:
                    check_write(path)
            if event in ("os.symlink", "os.link"):
                deny("creating links")
        elif event in read_events:
            if args and isinstance(args[0], int):
                deny("listing a folder through a descriptor")
            path = to_path(args[0]) if args else None
            if path is not None:
                check_read(path)
        elif event == "os.chdir":
            if args and isinstance(args[0], int):
                deny("changing folder through a descriptor")
            path = to_path(args[0]) if args else None
            if path is not None and not inside(path, (sandbox,)):
                deny(f"changing the working folder to {path}")
        elif event in gc_events:
            deny("inspecting the garbage collector's objects")
        elif event == "import":
            filename = args[1] if len(args) > 1 else None
            if (isinstance(filename, str) and filename.endswith(ext_suffixes)
                    and not inside(realpath(filename), readable)):
                deny(f"loading native code from {filename}")
        elif event in process_events:
            if not allow_subprocesses:
                deny("starting another process")
        elif event in net_events:
            deny("network access")
        elif event.startswith("ctypes."):
            deny("calling native code through ctypes")
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            if event != "signal.pthread_kill" and args and args[0] not in (my_pid, 0):
                deny("signalling another process")
        elif event == "object.__setattr__" and len(args) > 1 and args[1] in ("__code__",):
            deny("replacing a function's code")

    sys.addaudithook(hook)


def confine(sandbox: str, forbidden: list[str], limits: dict, ruleset_fd: int | None = None,
            required: bool = True, cpu_total: float | None = None) -> dict:
    """Apply every layer; returns which ones took effect, for the report and the tests.

    The kernel layers (``grader.sandbox.kernel``) come last before the audit hook, after the steps that
    still need the file system (the working folder, ``/proc/self/statm`` for the memory limit). With
    ``required``, a kernel layer that fails to apply stops the worker before any student code runs.
    """
    from grader.sandbox import kernel

    new_session()
    os.chdir(sandbox)
    tmp = os.path.join(sandbox, ".tmp")
    os.makedirs(tmp, exist_ok=True)
    os.environ["TMPDIR"] = tmp
    os.environ["HOME"] = sandbox
    import tempfile

    tempfile.tempdir = tmp
    netns = private_network()
    set_limits(limits["memory_mb"], limits["file_size_kb"], limits["open_files"], limits["allow_subprocesses"])
    if cpu_total is not None:
        # A hard CPU limit for the whole round: the per-call soft limit moves below it, never above.
        used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        hard = int(used + cpu_total) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
    scrub_imports(sandbox, forbidden)
    layers: dict = {"network_namespace": netns, "no_new_privs": kernel.no_new_privs(),
                    "capabilities_dropped": kernel.drop_capabilities(), "landlock": False, "seccomp": False}
    if ruleset_fd is not None:
        try:
            kernel.restrict_self(ruleset_fd)
            layers["landlock"] = True
        except OSError as exc:
            layers["landlock_error"] = str(exc)
        finally:
            os.close(ruleset_fd)
    if kernel.seccomp_available():
        try:
            kernel.apply_seccomp(limits["allow_subprocesses"])
            layers["seccomp"] = True
        except (OSError, RuntimeError, ValueError) as exc:
            layers["seccomp_error"] = str(exc)
    if required and not (layers["landlock"] and layers["seccomp"]):
        missing = [name for name in ("landlock", "seccomp") if not layers[name]]
        raise RuntimeError(f"confinement required but not applied: {', '.join(missing)}")
    layers["audit_hook"] = "audit_hook" not in kernel.disabled()
    if layers["audit_hook"]:
        install_audit_hook(sandbox, forbidden, limits["allow_subprocesses"])
    return layers
