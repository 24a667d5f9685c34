"""Kernel confinement: the layers take effect, refuse attacks with the audit hook off, and the policy decides.

``GRADER_TEST_DISABLE_LAYERS`` simulates a kernel without Landlock or seccomp (grader/sandbox/kernel.py), so
the ``isolation: required`` refusal and the ``best-effort`` warning are tested on any machine.
"""

from __future__ import annotations

import errno
import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.sandbox import kernel
from grader.sandbox.client import Sandbox
from grader.spec.course import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one
CORRECT = ROOT / "tests" / "scenarios" / "correct-numpy" / "submission"
pytestmark = pytest.mark.skipif(not kernel.landlock_abi() or not kernel.seccomp_available(),
                                reason="needs Landlock and seccomp (the policy tests below simulate their absence)")

ATTACKS = """
import os, resource
def f():
    out = {}
    def t(name, fn):
        try:
            fn(); out[name] = "ok"
        except OSError as e:
            out[name] = e.errno
        except ValueError:  # resource.setrlimit's word for the kernel's EPERM
            out[name] = "refused"
    t("read reference", lambda: open(REFERENCE).read())
    t("list root", lambda: os.listdir("/"))
    fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    t("open via dir_fd", lambda: os.open("../" * 12 + REFERENCE.lstrip("/"), os.O_RDONLY, dir_fd=fd))
    t("write /tmp", lambda: open("/tmp/grader-test-evil", "w"))
    t("write /dev/shm", lambda: open("/dev/shm/grader-test-evil", "w"))
    t("mkfifo", lambda: os.mkfifo("fifo"))
    t("symlink", lambda: os.symlink("/etc/passwd", "link"))
    t("fork", lambda: os.fork())
    t("kill parent", lambda: os.kill(os.getppid(), 0))
    t("pidfd", lambda: os.pidfd_open(os.getppid()))
    t("proc cwd", lambda: os.readlink(f"/proc/{os.getppid()}/cwd"))
    t("socket", lambda: __import__("socket").socket())
    t("raise memory", lambda: resource.setrlimit(resource.RLIMIT_AS, (-1, -1)))
    t("write own", lambda: open("mine.txt", "w").write("x"))
    t("numpy", lambda: __import__("numpy").linalg.inv(__import__("numpy").eye(2)))
    # issue 21: file metadata (Landlock has no right for it), on a file outside the sandbox and on its own
    t("chmod victim", lambda: os.chmod(VICTIM, 0))
    t("setuid victim", lambda: os.chmod(VICTIM, 0o4777))
    t("chown victim", lambda: os.chown(VICTIM, 65534, 65534))
    t("utime victim", lambda: os.utime(VICTIM, (0, 0)))
    t("setxattr victim", lambda: os.setxattr(VICTIM, "user.pwned", b"1"))
    t("chmod own", lambda: os.chmod("mine.txt", 0o755))
    t("utime own", lambda: os.utime("mine.txt", (0, 0)))
    t("setxattr own", lambda: os.setxattr("mine.txt", "user.x", b"1"))
    t("removexattr own", lambda: os.removexattr("mine.txt", "user.x"))
    own = os.open("mine.txt", os.O_RDONLY)
    t("fchmod own", lambda: os.fchmod(own, 0o4755))
    t("fchown own", lambda: os.fchown(own, 65534, 65534))
    t("futimens own", lambda: os.utime(own, (0, 0)))
    import fcntl, struct
    t("chattr own", lambda: fcntl.ioctl(own, 0x40086602, struct.pack("l", 0x40)))  # FS_IOC_SETFLAGS, nodump
    # System V IPC and POSIX message queues, straight from libc
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    def c(ret):
        if ret == -1:
            raise OSError(ctypes.get_errno(), "")
    t("shmget", lambda: c(libc.shmget(0, 64 << 20, 0o1600)))
    t("msgget", lambda: c(libc.msgget(0, 0o1600)))
    t("semget", lambda: c(libc.semget(0, 1, 0o1600)))
    libc.mq_open.restype = ctypes.c_int
    t("mq_open", lambda: c(libc.mq_open(b"/grader-evil", os.O_CREAT | os.O_RDWR, 0o600, None)))
    print(__import__("json").dumps(out))
    return 1.0
"""


def _run(monkeypatch, tmp_path: Path, code: str, disable: str = "audit_hook", isolation: str = "required",
         **limits) -> dict:
    monkeypatch.setenv("GRADER_TEST_DISABLE_LAYERS", disable)
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "m.py").write_text(textwrap.dedent(code))
    task = {"module": "m", "file": "m.py", "function": "f", "args": "[]", "returns": "float"}
    with Sandbox() as sb:
        return sb.run(folder, [task], {**DEFAULT_LIMITS, **limits}, [str(ROOT), str(tmp_path)], isolation)


def test_the_kernel_refuses_every_attack_with_the_audit_hook_switched_off(monkeypatch, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("a classmate's file")
    victim.chmod(0o644)
    before = victim.stat()
    ipc = _sysvipc()
    code = f"REFERENCE = {str(COURSE / 'reference' / 'entropy.py')!r}\nVICTIM = {str(victim)!r}\n" + ATTACKS
    response = _run(monkeypatch, tmp_path, code)
    assert response["results"][0]["ok"] is True, response
    assert response["confinement"]["audit_hook"] is False
    assert response["confinement"]["landlock"] is True and response["confinement"]["seccomp"] is True
    out = json.loads(response["outputs"][0])
    allowed = {"write own", "numpy"}
    assert {k for k, v in out.items() if v == "ok"} == allowed, out
    assert not Path("/tmp/grader-test-evil").exists() and not Path("/dev/shm/grader-test-evil").exists()
    assert not (tmp_path / "sub" / "fifo").exists()
    metadata = [k for k in out if k.endswith((" victim", " own")) and k != "write own"]
    assert len(metadata) == 13 and all(out[k] == errno.EPERM for k in metadata), out
    assert all(out[k] == errno.EPERM for k in ("shmget", "msgget", "semget", "mq_open")), out
    after = victim.stat()
    assert (after.st_mode, after.st_uid, after.st_mtime_ns) == (before.st_mode, before.st_uid, before.st_mtime_ns)
    assert _sysvipc() == ipc  # nothing left behind (the fork server also has an IPC namespace of its own)


def _sysvipc() -> list[str]:
    """The System V IPC objects this process can see (segments, queues, semaphore sets)."""
    out = []
    for kind in ("shm", "msg", "sem"):
        try:
            out += Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            pass
    return sorted(out)


def test_subprocesses_when_allowed_but_nothing_outlives_the_worker(monkeypatch, tmp_path):
    response = _run(monkeypatch, tmp_path, """
        import subprocess
        def f():
            p = subprocess.Popen(["/bin/sh", "-c", "sleep 1001 & sleep 1001"], start_new_session=True)
            return float(p.pid)
    """, allow_subprocesses=True)
    assert response["results"][0]["ok"] is True
    assert response["confinement"]["subreaper"] is True
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmd(p).startswith("sleep 1001")
            and _cwd(p).startswith(str(tmp_path))]
    assert left == []


def _cmd(p: Path) -> str:
    try:
        return (p / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _cwd(p: Path) -> str:
    try:
        import os
        return os.readlink(p / "cwd")
    except OSError:
        return ""


def _course(tmp_path: Path, isolation: str | None) -> Path:
    dest = tmp_path / "course"
    dest.mkdir()
    text = (COURSE / "course.yaml").read_text()
    if isolation:
        text += f"\nisolation: {isolation}\n"
    (dest / "course.yaml").write_text(text)
    shutil.copytree(COURSE / "exercises", dest / "exercises")
    shutil.copytree(COURSE / "reference", dest / "reference")
    return dest


@pytest.mark.parametrize("layer", ["landlock", "seccomp"])
def test_required_refuses_to_grade_without_a_kernel_layer(monkeypatch, tmp_path, layer):
    monkeypatch.setenv("GRADER_TEST_DISABLE_LAYERS", layer)
    result = CliRunner().invoke(cli, ["check", str(CORRECT), "--course", str(_course(tmp_path, None))])
    assert result.exit_code == 4, result.output
    assert result.output.startswith("Error: the kernel cannot confine student code here: missing ")
    assert {"landlock": "Landlock (Linux 5.13", "seccomp": "seccomp through libseccomp"}[layer] in result.output
    assert "set `isolation: best-effort` in course.yaml" in result.output


def test_best_effort_grades_with_a_warning_on_every_report(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADER_TEST_DISABLE_LAYERS", "landlock")
    course = _course(tmp_path, "best-effort")
    warning = "Warning: this submission ran with weaker confinement than the grader's default " \
              "(isolation: best-effort); missing: landlock."
    for fmt in ("text", "md", "html"):
        result = CliRunner().invoke(cli, ["check", str(CORRECT), "--course", str(course), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert warning in result.output.replace("&#39;", "'"), fmt
    result = CliRunner().invoke(cli, ["check", str(CORRECT), "--course", str(course), "--format", "json"])
    record = json.loads(result.output)
    assert record["confinement"]["missing"] == ["landlock"]
    assert record["confinement"]["landlock"] is False and record["confinement"]["seccomp"] is True
    assert record["exercises"][0]["score"] == record["exercises"][0]["max_score"]


# -- issue 21: a worker's memory holds nothing of another submission -------------------------------------------
# The scan (tests/memscan.py) reads /proc/self/maps and /proc/self/mem: Landlock and the audit hook would refuse
# both, so they are switched off, and the course says best-effort. The memory scanned is the same with them on.
SCAN_LAYERS = "landlock,audit_hook"


def _scan_course(tmp_path: Path) -> Path:
    """The engine's fixture course, best-effort, with room for a scan of a few hundred MiB in one call."""
    import yaml

    dest = tmp_path / "scan-course"
    shutil.copytree(ROOT / "tests" / "fixtures" / "infotheory", dest, ignore=shutil.ignore_patterns("__pycache__"))
    data = yaml.safe_load((dest / "course.yaml").read_text())
    data["defaults"]["limits"].update(time_per_call=30, cpu_per_call=30)
    data["isolation"] = "best-effort"
    (dest / "course.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return dest


def _alice(folder: Path, marker: str, value: float) -> None:
    """A classmate whose reply holds values nobody else's does: printed text and a returned float."""
    folder.mkdir(parents=True)
    (folder / "entropy.py").write_text(f"def entropy(probs):\n    print({marker!r})\n    return {value!r}\n\n\n"
                                       f"def most_uncertain(distributions):\n    return 0\n")


def _scan_report(record: dict) -> dict:
    """What the scanner printed on its first call (the first entropy check's output)."""
    for ex in record["exercises"]:
        for check in ex["checks"]:
            if check.get("output", "").startswith('{"found"'):
                return json.loads(check["output"].splitlines()[0])
    raise AssertionError("the scanner printed nothing: " + json.dumps(record)[:2000])


def _secrets() -> tuple[str, float, str]:
    import secrets

    return "ALICE-" + secrets.token_hex(12), 1000 + secrets.randbelow(10**12) / 10**12, "BOB-" + secrets.token_hex(12)


def test_a_worker_in_a_batch_finds_no_classmates_reply_in_its_memory(monkeypatch, tmp_path):
    """alice is graded, then bob on the same fork server (--jobs 1): bob's worker reads every readable byte of
    its address space and finds none of alice's output or returned value, in memory or as JSON text. Before
    workers were forked from the template, it found all three (the fork server held alice's reply)."""
    from grader.classroom.batch import RESULTS, run_batch
    from grader.judge.grade import Plan
    from grader.spec.course import load_course
    from grader.spec.expected import reference_outputs
    from tests.memscan import float_forms, scanner

    monkeypatch.setenv("GRADER_TEST_DISABLE_LAYERS", SCAN_LAYERS)
    marker, value, own = _secrets()
    klass = tmp_path / "class"
    _alice(klass / "alice", marker, value)
    (klass / "bob").mkdir()
    packed, text = float_forms(value)
    (klass / "bob" / "entropy.py").write_text(scanner({"marker": marker.encode(), "float": packed, "repr": text}, own))
    course = load_course(_scan_course(tmp_path))
    state = run_batch(Plan.build(course, "course", reference_outputs(course)), klass, tmp_path / "out", jobs=1,
                      progress=False)
    assert state.graded == 2
    alice = json.loads((tmp_path / "out" / RESULTS / "alice.json").read_text())
    assert any(c.get("output", "").startswith(marker) for ex in alice["exercises"] for c in ex["checks"])
    report = _scan_report(json.loads((tmp_path / "out" / RESULTS / "bob.json").read_text()))
    assert report["found"] == ["own"], report  # its own marker, in its own source: the scan reads the heap
    assert report["bytes"] > 50 * 1024 * 1024


def test_a_worker_finds_no_expected_value_or_earlier_check_in_its_memory_in_check_mode(monkeypatch, tmp_path):
    """`grader check` twice on the scanner: the second takes the early round (the fork server started before
    the course loaded). Neither round's worker finds an expected value of any case, nor the output and value
    of a classmate checked just before on this machine."""
    from grader.judge import early
    from grader.judge.grade import Plan
    from grader.spec.course import load_course
    from grader.spec.expected import reference_outputs
    from tests.memscan import float_forms, scanner

    monkeypatch.setenv("GRADER_TEST_DISABLE_LAYERS", SCAN_LAYERS)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    course_dir = _scan_course(tmp_path)
    course = load_course(course_dir)
    plan = Plan.build(course, "course", reference_outputs(course))
    inputs = json.dumps([t for rnd in plan.rounds for t in rnd.tasks])
    needles: dict[str, bytes] = {}
    for (ex, index), expected in plan.expected.items():
        flat = [expected] if isinstance(expected, (int, float)) else json.loads(json.dumps(expected))
        while any(isinstance(v, list) for v in flat):
            flat = [v for item in flat for v in (item if isinstance(item, list) else [item])]
        for v in flat:
            if isinstance(v, float) and len(repr(v)) >= 10 and repr(v) not in inputs:
                needles[f"{ex}#{index}:{v!r}"] = float_forms(v)[0]
    assert len(needles) >= 20
    # Each needle is one more search of every chunk: 20, spread over the cases, keep a scan near a second.
    names = sorted(needles)
    needles = {name: needles[name] for name in names[::max(1, len(names) // 20)]}
    marker, value, own = _secrets()
    _alice(tmp_path / "alice", marker, value)
    bob = tmp_path / "bob"
    bob.mkdir()
    packed, text = float_forms(value)
    (bob / "entropy.py").write_text(scanner({**needles, "marker": marker.encode(), "float": packed, "repr": text},
                                            own))
    taken: list[bool] = []
    real = early.Early.first_round

    def first_round(self, *args):
        out = real(self, *args)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(early.Early, "first_round", first_round)
    # The early round runs only where every layer `required` asks for is there; Landlock is off for the scan,
    # so its gate is told it is (the gate itself is tested in test_early.py).
    import grader.sandbox.client

    monkeypatch.setattr(grader.sandbox.client, "check_isolation", lambda policy: [])
    runs = []
    for who in ("alice", "bob", "bob"):
        result = CliRunner().invoke(cli, ["check", str(tmp_path / who), "--course", str(course_dir),
                                          "--format", "json"])
        assert result.exit_code in (0, 1), result.output
        runs.append(json.loads(result.output))
    assert taken == [False, False, True]  # the last check's first round was its early round
    for record in runs[1:]:
        report = _scan_report(record)
        assert report["found"] == ["own"], report


def test_a_stub_in_a_batch_cannot_answer_with_the_previous_students_reply(tmp_path):
    """hostile-previous-reply graded right after a correct classmate on the same fork server, every layer on:
    it finds no reply to copy, so every call raises its LookupError. When workers were forked by the fork
    server itself, it found the classmate's reply in the serve() frame it inherited and scored full marks."""
    from grader.classroom.batch import RESULTS, run_batch
    from grader.judge.grade import Plan
    from grader.spec.course import load_course
    from grader.spec.expected import reference_outputs

    klass = tmp_path / "class"
    shutil.copytree(ROOT / "tests" / "scenarios" / "correct-numpy" / "submission", klass / "alice")
    shutil.copytree(ROOT / "tests" / "scenarios" / "hostile-previous-reply" / "submission", klass / "zed")
    course = load_course(ROOT / "tests" / "fixtures" / "infotheory")
    state = run_batch(Plan.build(course, "course", reference_outputs(course)), klass, tmp_path / "out", jobs=1,
                      progress=False)
    assert state.graded == 2
    alice = json.loads((tmp_path / "out" / RESULTS / "alice.json").read_text())
    zed = json.loads((tmp_path / "out" / RESULTS / "zed.json").read_text())
    assert [ex["score"] for ex in alice["exercises"]] == [ex["max_score"] for ex in alice["exercises"]]
    assert [ex["score"] for ex in zed["exercises"]] == [0] * len(zed["exercises"])
    messages = {c["message"] for ex in zed["exercises"] for c in ex["checks"] if c["name"].startswith(tuple(
        f"{f}:" for f in ("entropy", "most_uncertain")))}
    assert messages and all("no earlier submission's reply in this worker's memory" in m for m in messages), messages


def test_without_seccomp_ipc_objects_stay_in_the_fork_servers_namespace(monkeypatch, tmp_path):
    """The second layer under seccomp's IPC rules: with seccomp off (a test-only switch), a 64 MiB segment, a
    queue and a semaphore set are made, in the fork server's own IPC namespace, and this process never sees
    them (they are freed with the fork server)."""
    import os

    if os.getuid() != 0:
        pytest.skip("an IPC namespace needs root (seccomp refuses IPC for everyone: the test above)")
    before = _sysvipc()
    response = _run(monkeypatch, tmp_path, """
        import ctypes
        def f():
            libc = ctypes.CDLL(None, use_errno=True)
            return float(sum(x >= 0 for x in (libc.shmget(0, 64 << 20, 0o1600), libc.msgget(0, 0o1600),
                                              libc.semget(0, 1, 0o1600))))
    """, disable="audit_hook,seccomp", isolation="best-effort")
    assert response["confinement"]["ipc_namespace"] is True
    assert response["results"][0]["value"] == 3.0  # made: nothing but the namespace stood in the way
    assert _sysvipc() == before


def test_a_batch_with_a_tree_that_broke_the_clean_up_grades_everyone_and_leaves_nothing(tmp_path, monkeypatch):
    """hostile-deep-tree (the audit hook switched off from Python, then 1,100 folders nested in its copy, folders
    of mode 000 and 500) in a batch beside a classmate: both are graded, the gradebook is written and the batch's
    scratch folder is gone. The recursive clean-up raised RecursionError here and the batch exited 70."""
    from grader.classroom.batch import GRADEBOOK, run_batch
    from grader.judge.grade import Plan
    from grader.spec.course import load_course
    from grader.spec.expected import reference_outputs

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("GRADER_SCRATCH", str(scratch))
    klass = tmp_path / "class"
    shutil.copytree(ROOT / "tests" / "scenarios" / "correct-numpy" / "submission", klass / "alice")
    shutil.copytree(ROOT / "tests" / "scenarios" / "hostile-deep-tree" / "submission", klass / "mallory")
    course = load_course(ROOT / "tests" / "fixtures" / "infotheory")
    state = run_batch(Plan.build(course, "course", reference_outputs(course)), klass, tmp_path / "out", jobs=1,
                      progress=False)
    assert state.graded == 2
    rows = (tmp_path / "out" / GRADEBOOK).read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["alice", "mallory"]
    assert rows[2].split(",")[3] == "10"  # mallory's entropy: right answers, full marks
    assert list(scratch.iterdir()) == []


# -- issue 21: seccomp's availability is a fact, not a look-up ---------------------------------------------------
PROBE = """
import ctypes, ctypes.util, json, sys
sys.path.insert(0, {root!r})
{setup}
from grader.sandbox import kernel
out = []
for _ in range({probes}):
    out.append([kernel.seccomp_available(), kernel.seccomp_error()])
    {between}
print(json.dumps(out))
"""


def _probe(setup: str, probes: int = 1, between: str = "pass") -> list:
    """seccomp probes in a fresh interpreter (pyseccomp not imported yet), after ``setup``."""
    import subprocess
    import sys

    code = PROBE.format(root=str(ROOT), setup=textwrap.dedent(setup), probes=probes, between=between)
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_seccomp_is_found_when_find_library_cannot_spawn_ldconfig():
    """find_library runs /sbin/ldconfig in a subprocess; when that spawn fails it answers None, and about one
    batch in 30 refused to grade with 'missing seccomp'. libseccomp is loaded by its soname first."""
    assert _probe("ctypes.util.find_library = lambda name: None") == [[True, ""]]


def test_a_failed_seccomp_probe_says_what_failed_and_is_tried_again():
    failing = """
        real_cdll = ctypes.CDLL
        FAIL = [10**6]
        class CDLL(real_cdll):
            def __init__(self, name, *args, **kwargs):
                if name == "libseccomp.so.2" and FAIL[0] > 0:
                    FAIL[0] -= 1
                    raise OSError("libseccomp.so.2: cannot open shared object file: Too many open files")
                super().__init__(name, *args, **kwargs)
        ctypes.CDLL = CDLL
    """
    failing = textwrap.dedent(failing)
    reason = "loading libseccomp.so.2 failed (libseccomp.so.2: cannot open shared object file: Too many open files)"
    # every load fails, then the cause goes away: the second probe finds seccomp (nothing cached as missing)
    assert _probe(failing, probes=2, between="FAIL[0] = 0") == [[False, reason], [True, ""]]
    # one load fails: the probe tries again at once
    assert _probe(failing + "\nFAIL[0] = 1\n") == [[True, ""]]


def test_the_refusal_names_what_failed_to_load(monkeypatch):
    from grader.sandbox import client

    monkeypatch.setattr(kernel, "seccomp_available", lambda: False)
    monkeypatch.setattr(kernel, "seccomp_error", lambda: "loading libseccomp.so.2 failed (it is not there)")
    with pytest.raises(client.IsolationError) as info:
        client.check_isolation("required")
    assert info.value.args[0] == (
        "the kernel cannot confine student code here: missing seccomp through libseccomp (a kernel with "
        "CONFIG_SECCOMP_FILTER, Debian's libseccomp2 and the pyseccomp package, both installed by `pip install` "
        "and .ci/run): loading libseccomp.so.2 failed (it is not there)")


# -- issue 21: a total disk budget per submission ------------------------------------------------------------------
FILL = """
    def f():
        block = b"x" * (1 << 20)
        for i in range(2200):
            with open(f"fill-{i}", "wb") as fh:
                fh.write(block)
        return 1.0
"""


def test_the_copy_is_a_tmpfs_of_the_budget_and_nothing_reaches_the_disk(monkeypatch, tmp_path):
    import os

    if os.getuid() != 0:
        pytest.skip("a mount namespace needs root here (the watcher below is the fallback)")
    response = _run(monkeypatch, tmp_path, FILL, disable="", time_per_call=10, cpu_per_call=10, disk_mb=16)
    assert response["confinement"]["disk_tmpfs"] is True
    error = response["results"][0]["error"]
    assert error["exception"] == "OSError" and error["message"] == (
        "disk limit exceeded: the files in the submission's folder may take at most 16 MiB and 16384 entries in "
        "all ([Errno 28] No space left on device)")
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["m.py"]  # written to the tmpfs, now gone
    assert "grader-sandbox" not in Path("/proc/self/mounts").read_text()  # mounted in the fork server's namespace


def test_without_a_tmpfs_the_fork_server_ends_the_worker_past_the_budget(monkeypatch, tmp_path):
    response = _run(monkeypatch, tmp_path, FILL, disable="disk_tmpfs", time_per_call=10, cpu_per_call=10,
                    disk_mb=16)
    assert response["confinement"]["disk_tmpfs"] is False
    assert response["results"][0]["error"] == {
        "exception": "Crash", "file": None, "line": None,
        "message": "disk limit exceeded: the files in the submission's folder may take at most 16 MiB and 16384 "
                   "entries in all while running f()"}
    written = len(list((tmp_path / "sub").glob("fill-*")))
    assert 16 < written < 2200  # past the budget by what one poll lets through, then ended


# -- issue 21's scenarios as an ordinary user ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["hostile-metadata", "hostile-deep-tree", "hostile-fill-disk",
                                  "hostile-previous-reply"])
def test_issue_21_scenarios_fail_as_an_ordinary_user(name):
    """`grader check` run as an ordinary user on a class folder that user owns, so chmod of a classmate's folder
    would be allowed by the file's permissions: the scenario's expectations hold, nothing outside the sandbox
    changes, and no temporary folder is left. The user is uid 65534 where it can run this interpreter; where it
    cannot (a Python under root's 0700 home, as pyenv installs it on CI), uid 0 with every capability dropped
    from its bounding set: no permission override, no network, IPC or mount namespace of its own."""
    import os

    import yaml

    if os.getuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to become an ordinary user")
    import tempfile

    from grader.files import remove_tree

    spec = yaml.safe_load((ROOT / "tests" / "scenarios" / name / "scenario.yaml").read_text())
    tmp_path = Path(tempfile.mkdtemp(prefix="grader-test-nobody-"))  # pytest's folders are root's alone
    os.chmod(tmp_path, 0o755)
    try:
        _as_nobody(tmp_path, name, spec)
    finally:
        assert remove_tree(tmp_path) == []


def _ordinary_user() -> list[str]:
    """setpriv's arguments for an ordinary user: uid 65534 if it can start this interpreter, else uid 0 without
    capabilities (an empty bounding set, so the exec grants none)."""
    import subprocess
    import sys

    nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]
    # the grader starts its fork server with sys.executable again: that start is what uid 65534 must manage
    probe = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'pass'], check=True)"
    if subprocess.run(["setpriv", *nobody, sys.executable, "-c", probe], capture_output=True).returncode == 0:
        return nobody
    return ["--bounding-set=-all", "--inh-caps=-all"]


def _as_nobody(tmp_path: Path, name: str, spec: dict) -> None:
    import os
    import subprocess
    import sys

    klass = tmp_path / "class"
    shutil.copytree(ROOT / "tests" / "scenarios" / name / "submission", klass / "student")
    (klass / "other-student").mkdir()
    (klass / "other-student" / "entropy.py").write_text("def entropy(p):\n    return 0.0\n")
    (klass / "gradebook.csv").write_text("student,total\nother-student,30\n")
    private = tmp_path / "tmp"
    private.mkdir()
    user = _ordinary_user()
    owner = 65534 if user[0] == "--reuid=65534" else 0
    for path in [tmp_path / "class", private, *klass.rglob("*")]:
        os.chown(path, owner, owner)
    before = {str(p): (p.lstat().st_mode, p.lstat().st_mtime_ns, p.lstat().st_size) for p in klass.rglob("*")}
    env = {"PATH": os.environ["PATH"], "TMPDIR": str(private), "HOME": str(private), "XDG_CACHE_HOME": str(private)}
    done = subprocess.run(["setpriv", *user, sys.executable, "-m", "grader", "check", str(klass / "student"),
                           "--course", str(ROOT / "tests" / "fixtures" / "infotheory"), "--format", "json"],
                          capture_output=True, text=True, env=env, cwd=str(private), timeout=300)
    assert done.returncode in (0, 1), done.stderr
    record = json.loads(done.stdout)
    statuses: dict[str, set[str]] = {}
    for ex in record["exercises"]:
        for check in ex["checks"]:
            if check.get("function"):
                statuses.setdefault(check["function"], set()).add(check["status"])
    for function, want in spec["expect"].items():
        got = statuses.get(function, set())
        assert got <= ({"failed", "error"} if want == "failed" else {want}), (function, got)
    after = {str(p): (p.lstat().st_mode, p.lstat().st_mtime_ns, p.lstat().st_size) for p in klass.rglob("*")}
    assert after == before
    if name == "hostile-fill-disk":  # the tmpfs in a user namespace of its own, or the watcher: the report says so
        messages = [c["message"] for ex in record["exercises"] for c in ex["checks"]
                    if c.get("function") == "most_uncertain"]
        assert messages and all("disk limit exceeded: the files in the submission's folder may take at most 64 MiB"
                                in m for m in messages), messages
    assert [p.name for p in private.iterdir() if p.name.startswith("grader-")] == []


def test_issue_21_attacks_in_a_batch_cost_their_classmates_nothing(tmp_path, monkeypatch):
    """The metadata, disk and deep-tree attacks graded among correct classmates with --jobs 2 (two fork servers
    at once): every classmate gets full marks, the class folder keeps its modes, owners and times, the gradebook
    is written and the scratch folder is gone."""

    from grader.classroom.batch import GRADEBOOK, run_batch
    from grader.judge.grade import Plan
    from grader.spec.course import load_course
    from grader.spec.expected import reference_outputs

    klass = tmp_path / "class"
    students = {"alice": "correct-numpy", "bob": "correct-loops", "carol": "hostile-fill-disk",
                "dave": "hostile-deep-tree", "erin": "correct-math", "mallory": "hostile-metadata",
                "zed": "correct-numpy"}
    for student, scenario in students.items():
        shutil.copytree(ROOT / "tests" / "scenarios" / scenario / "submission", klass / student)

    def snap() -> dict[str, tuple[int, ...]]:
        return {str(p): (p.lstat().st_mode, p.lstat().st_uid, p.lstat().st_mtime_ns, p.lstat().st_size)
                for p in [klass, *klass.rglob("*")]}

    before = snap()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("GRADER_SCRATCH", str(scratch))
    course = load_course(ROOT / "tests" / "fixtures" / "infotheory")
    state = run_batch(Plan.build(course, "course", reference_outputs(course)), klass, tmp_path / "out", jobs=2,
                      progress=False)
    assert state.graded == len(students)
    assert snap() == before
    assert list(scratch.iterdir()) == []
    rows = {r.split(",")[0]: r.split(",") for r in (tmp_path / "out" / GRADEBOOK).read_text().splitlines()[1:]}
    for student in ("alice", "bob", "erin", "zed"):
        assert rows[student][3:6] == ["10", "10", "10"], rows[student]
    assert rows["dave"][3] == "10" and rows["carol"][3] != "10" and rows["mallory"][3] != "10"
