"""The README's "Adding an exercise", followed on a copy of the repository: `grader new exercise perplexity`,
the reference written, `grader validate`, then the grader's engine tests run against that copy and pass.

Engine tests grade the fixture courses (tests/fixtures/), never the course at the repository root; two of them
read the root course and failed at the end of this flow (50 points, 13 checks). This test is what keeps it so.
It runs the engine tests a second time, so it is opt-in: ``GRADER_AUTHOR_FLOW=1`` runs them all (``.ci/run``
does), ``GRADER_AUTHOR_FLOW=tests/test_x.py,tests/test_y.py`` only those files.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from repo_copy import copy_repository, environment

WANTED = os.environ.get("GRADER_AUTHOR_FLOW", "")
INSIDE = os.environ.get("GRADER_INSIDE_AUTHOR_FLOW") == "1"  # the copy's own run of this file

PERPLEXITY = '''import numpy as np


def perplexity(probs):
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(2 ** -np.sum(p * np.log2(p)))
'''


def _grader(repo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=repo, env=environment(repo),
                          capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(not WANTED or INSIDE, reason="opt-in: GRADER_AUTHOR_FLOW=1 (it runs the engine tests again)")
def test_engine_tests_pass_on_a_copy_of_the_repository_whose_course_gained_an_exercise(tmp_path):
    repo = copy_repository(tmp_path / "repo")
    new = _grader(repo, "new", "exercise", "perplexity", "--title", "Exercise 4: perplexity")
    assert new.returncode == 0, new.stderr
    (repo / "reference" / "perplexity.py").write_text(PERPLEXITY)
    validated = _grader(repo, "validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert validated.stdout.startswith("Fundamentals of Information Theory: 4 exercises, ")
    files = ["tests"] if WANTED == "1" else WANTED.split(",")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not course",
                           *files], cwd=repo, env=environment(repo, GRADER_INSIDE_AUTHOR_FLOW="1"),
                          capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stdout[-4000:]


#: What reads the course at the repository root from a test: ROOT handed to a loader, one of its course files,
#: a copy of the whole tree, or ROOT after --course on a command line.
LOADERS = {"load_course", "open_course", "build", "validate", "reference_outputs", "copytree"}
COURSE_FILES = {"course.yaml", "exercises", "reference", "quizzes"}


def _reads_the_root_course(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in LOADERS and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "ROOT":
                lines.append(node.lineno)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.left, ast.Name) \
                and node.left.id == "ROOT" and isinstance(node.right, ast.Constant) and node.right.value in COURSE_FILES:
            lines.append(node.lineno)
        elif isinstance(node, ast.List):
            for before, after in zip(node.elts, node.elts[1:], strict=False):
                if isinstance(before, ast.Constant) and before.value == "--course" and "ROOT" in ast.unparse(after) \
                        and "fixtures" not in ast.unparse(after):
                    lines.append(after.lineno)
    return sorted(lines)


def test_no_engine_test_reads_the_course_at_the_repository_root():
    """The quick guard beside the test above: engine tests name the fixture courses (tests/fixtures/). The bundled
    course's own tests (tests/course/, and the names conftest.COURSE_TEST_NAMES marks) may read it."""
    import importlib.util

    # tests/conftest.py by its path: the name "conftest" may be tests/feedback's in a session that ran those first
    spec = importlib.util.spec_from_file_location("_root_conftest", Path(__file__).parent / "conftest.py")
    assert spec is not None and spec.loader is not None
    root_conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root_conftest)
    course_tests, course_test_names = root_conftest.COURSE_TESTS, root_conftest.COURSE_TEST_NAMES

    found = []
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        if any(path.is_relative_to(d) for d in course_tests) or {"scenarios", "fixtures"} & set(path.parts) \
                or path.name == "repo_copy.py":  # a copy of the whole repository, for the flow above
            continue
        tree = ast.parse(path.read_text("utf-8"))
        marked = {n.lineno for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name in course_test_names
                  for n in ast.walk(f) if hasattr(n, "lineno")}
        found += [f"{path.name}:{line}" for line in _reads_the_root_course(tree) if line not in marked]
    assert found == []
