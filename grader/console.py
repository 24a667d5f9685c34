"""The console entry point (`grader`, `python -m grader`): the command line, with `grader check`'s fork server
started first.

A student runs `grader check` dozens of times per exercise, and its fork server needs a fresh interpreter and
NumPy (about a quarter of a second) before the first round can run. Started here, before click, Jinja2 and
the grader load in this process, it is ready about 0.1 s sooner. Only the `--runner` option is looked at, to
pick the runner `check` will ask for; anything click then parses differently just means the runner started
here is closed and the right one started (grader.sandbox.backends.open_runner).
"""

from __future__ import annotations

import sys


def _runner_option(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--runner" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--runner="):
            return arg.partition("=")[2]
    return None


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["check"] and "--help" not in argv and "-h" not in argv:
        from grader.sandbox import backends

        backends.start_early(_runner_option(argv))
    from grader.cli import main as cli_main

    cli_main()
