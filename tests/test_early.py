"""`grader check`'s early round (grader/judge/early.py): a guess, used only when it is exactly the first round."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.judge import early
from grader.sandbox.client import Sandbox
from grader.spec import cache

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"
SUBMISSION = ROOT / "tests" / "scenarios" / "mistake-kl-swapped" / "submission"


@pytest.fixture
def taken(tmp_path, monkeypatch):
    """A fresh grader cache; the list of what each check's first round took from its early round."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    seen: list[bool] = []
    real = early.Early.first_round

    def first_round(self, *args):
        out = real(self, *args)
        seen.append(out is not None)
        return out

    monkeypatch.setattr(early.Early, "first_round", first_round)
    return seen


def check(*extra: str) -> dict:
    result = CliRunner().invoke(cli, ["check", str(SUBMISSION), "--course", str(COURSE), "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    data.pop("duration")
    for ex in data["exercises"]:
        for c in ex["checks"]:
            c.pop("duration", None)
    return data


def test_the_second_check_takes_the_early_round_and_grades_the_same(taken, monkeypatch):
    first = check()
    second = check()
    monkeypatch.setenv("GRADER_NO_EARLY_ROUND", "1")
    third = check()
    assert taken == [False, True]  # nothing to guess from the first time; the third check started none
    assert first == second == third
    assert second["score"] == 24.0


def test_a_stale_guess_is_thrown_away_and_replaced(taken):
    check()
    key = early._key(SUBMISSION, COURSE)
    guess = cache.load(key)
    guess["tasks"][0]["args"] = "[[0.5, 0.5]]"  # the course changed since: another first case
    cache.store(key, guess)
    assert check() == check()
    assert taken == [False, False, True]
    assert cache.load(key)["tasks"][0]["args"] != "[[0.5, 0.5]]"


def test_a_guess_that_would_let_the_round_see_its_folder_is_not_started(taken):
    check()
    key = early._key(SUBMISSION, COURSE)
    guess = cache.load(key)
    cache.store(key, {**guess, "forbidden": [str(COURSE)]})
    assert early._guess(SUBMISSION, key) is None
    cache.store(key, {**guess, "limits": {**guess["limits"], "time_per_call": 1e9}})
    assert early._guess(SUBMISSION, key) is None


def test_no_student_code_runs_early_when_the_course_requires_missing_kernel_layers(taken, monkeypatch):
    check()
    calls: list[Path] = []
    real = Sandbox.run

    def run(self, sandbox_dir, *args, **kwargs):
        calls.append(sandbox_dir)
        return real(self, sandbox_dir, *args, **kwargs)

    monkeypatch.setattr(Sandbox, "run", run)
    monkeypatch.setenv("GRADER_TEST_DISABLE_LAYERS", "landlock")
    result = CliRunner().invoke(cli, ["check", str(SUBMISSION), "--course", str(COURSE)])
    assert result.exit_code == 4 and "Error: the kernel cannot confine student code here" in result.output
    assert calls == []


@pytest.mark.skipif(__import__("grader.sandbox.backends").sandbox.backends.confined_unavailable() is not None,
                    reason="the confined runner needs Linux")
def test_the_runner_the_console_starts_early_is_used_only_when_it_is_the_one_asked_for():
    from grader.sandbox import backends

    backends.start_early(None)  # `grader check ...` from the console: the confined runner, before click loads
    started = backends._started[0]
    portable = backends.open_runner("portable")  # click parsed --runner portable after all
    assert portable.runner == "portable" and backends._started == [] and started._proc is None  # closed
    backends.start_early(None)
    started = backends._started[0]
    with backends.open_runner(None) as confined:
        assert confined is started and backends._started == []


def test_only_the_latest_guesses_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(early, "MAX_GUESSES", 3)
    folder = tmp_path / "cache" / "infotheory-grader" / "check"
    folder.mkdir(parents=True)
    for i in range(5):
        (folder / f"early-{i}.json").write_text("{}")
        os.utime(folder / f"early-{i}.json", (1000 + i, 1000 + i))
    early._prune()
    assert sorted(p.name for p in folder.iterdir()) == ["early-2.json", "early-3.json", "early-4.json"]


@pytest.mark.parametrize("early_round_late", [False, True], ids=["under-way", "not-yet-begun"])
def test_a_course_that_no_longer_loads_ends_the_check_at_once(taken, course_copy, tmp_path, monkeypatch,
                                                              early_round_late):
    """The early round of a slow submission is under way (or about to begin) when the course fails to load: the
    check says why and ends without waiting for that round, and no fork server starts again to run it."""
    import textwrap
    import time

    from grader.sandbox import client

    slow = tmp_path / "slow"
    slow.mkdir()
    for name in ("entropy.py", "cross_entropy.py", "kl_sweep.py"):
        (slow / name).write_text((SUBMISSION / name).read_text())
    args = ["check", str(slow), "--course", str(course_copy)]
    assert CliRunner().invoke(cli, args).exit_code == 0  # remembers its first round
    (slow / "entropy.py").write_text(textwrap.dedent("""
        import time
        def entropy(p):
            time.sleep(1.5)
            return 0.0
        def most_uncertain(ds):
            return 0
    """))
    (course_copy / "course.yaml").write_text((course_copy / "course.yaml").read_text() + "\nbroken: [\n")
    if early_round_late:  # a slow machine: the course has failed before the early round sends its request
        real = client.check_isolation

        def check_isolation(policy: str) -> None:
            time.sleep(1.0)
            real(policy)

        monkeypatch.setattr(client, "check_isolation", check_isolation)
    started = time.monotonic()
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0 and "course.yaml" in result.output
    # the early round takes over 10 s (1.5 s on each of entropy's 7 cases); a loaded machine may stretch the rest
    assert time.monotonic() - started < 8, "waited for the early round"


def test_the_records_duration_counts_the_early_round(taken, monkeypatch):
    """The early round ran while the course loaded: the record's duration still counts it (every call of that
    round ran within the grading the record reports)."""
    import time

    from grader.authoring import session

    real = session.open_course

    def slow_open_course(*args, **kwargs):
        time.sleep(0.5)  # a slow course load: the early round is over before grading begins
        return real(*args, **kwargs)

    check()
    monkeypatch.setattr(session, "open_course", slow_open_course)
    result = CliRunner().invoke(cli, ["check", str(SUBMISSION), "--course", str(COURSE), "--format", "json"])
    data = json.loads(result.output)
    assert taken == [False, True]
    assert data["duration"] >= 0.5
