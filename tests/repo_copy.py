"""A copy of the repository as a fresh clone has it, for tests that follow a documented flow end to end
(adding an exercise, regenerating goldens) without touching the checkout they run from."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = (".venv", ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache", ".mypy_cache", "site",
        ".screenshots")


def copy_repository(dest: Path) -> Path:
    """The files git knows (tracked, or new and not ignored); without git, the tree minus caches and venvs."""
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True)
    if listed.returncode != 0:
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(*SKIP))
        return dest
    for rel in filter(None, listed.stdout.decode("utf-8", "surrogateescape").split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def environment(repo: Path, **extra: str) -> dict[str, str]:
    """Run the copy's own grader and tests: its folder first on the import path."""
    return {**os.environ, "PYTHONPATH": str(repo), **extra}
