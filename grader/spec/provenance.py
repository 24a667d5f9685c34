"""What graded a result: the grader, the course as graded, the interpreter and libraries, the seed scheme.

A regrade request can then be answered with "graded by exactly this": the same ``environment`` means the same
checks, the same expected values and the same random inputs.
"""

from __future__ import annotations

import hashlib
import platform
from functools import cache
from importlib import resources
from pathlib import Path

from grader.record import Environment

# How every random draw is seeded; change the name when the scheme changes (then grades may change too).
SEED_SCHEME = ("v1: generated inputs PCG64([seed, stream]) and invariant trials PCG64([seed, trial]) with seeds "
               "from the exercise files; quiz variants SHA-256(course|quiz|question|student|what)")


def templates_dir() -> Path:
    """``templates/`` of the course repository, installed as the package ``grader.templates``.

    A source checkout's own ``templates/`` wins, so a checkout run from its folder (tests, a worktree)
    never renders with the templates of another checkout that happens to be pip-installed.
    """
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if (checkout / "__init__.py").is_file() and (checkout / "report.txt.j2").is_file():
        return checkout
    return Path(str(resources.files("grader.templates")))


def templates_hash(folder: Path) -> str:
    """SHA-256 over every template file (name and bytes), in name order."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if path.name == "__init__.py":
            continue
        h.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def course_hash(spec_hash: str, templates: Path) -> str:
    """The course as graded: its spec hash (spec, reference code, quiz files) and the report templates."""
    return hashlib.sha256(f"{spec_hash}\0{templates_hash(templates)}".encode()).hexdigest()[:16]


@cache
def _environment(spec_hash: str, templates: Path) -> Environment:
    import numpy as np

    from grader import __version__

    return Environment(grader=__version__, course_hash=course_hash(spec_hash, templates),
                       python=f"{platform.python_version()} ({platform.python_implementation()})",
                       numpy=np.__version__, platform=platform.platform(), seed_scheme=SEED_SCHEME)


def environment_of(spec_hash: str) -> Environment:
    """The environment of a result graded against the course with ``spec_hash`` (its spec, reference
    solutions, misconception code and quiz files) and this grader's report templates."""
    return _environment(spec_hash, templates_dir())
