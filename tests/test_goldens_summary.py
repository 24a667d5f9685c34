"""``--update-goldens`` ends with a summary: how many goldens changed, for which scenarios, and the scores."""

from __future__ import annotations

import json
import subprocess
import sys

import goldens
from goldens import summary_lines, write_golden
from repo_copy import copy_repository, environment


def test_the_summary_counts_changed_files_and_names_scenarios_with_their_score_change(tmp_path, monkeypatch):
    monkeypatch.setattr(goldens, "WRITTEN", [])
    scenarios = tmp_path / "tests" / "scenarios"
    for name, score in (("mistake-log10", 23), ("correct-numpy", 50), ("memorised", 12)):
        (scenarios / name).mkdir(parents=True)
        (scenarios / name / "expected.json").write_text(json.dumps({"score": score, "max_score": 50, "checks": []}))
    write_golden(scenarios / "mistake-log10" / "expected.json", json.dumps({"score": 23, "max_score": 52, "checks": []}))
    write_golden(scenarios / "correct-numpy" / "expected.json", json.dumps({"score": 50, "max_score": 50, "checks": []}))
    write_golden(scenarios / "memorised" / "expected.json", json.dumps({"score": 12, "max_score": 50, "checks": [1]}))
    (scenarios / "diag-new").mkdir()
    write_golden(scenarios / "diag-new" / "expected.json", json.dumps({"score": 1, "max_score": 52, "checks": []}))
    write_golden(tmp_path / "contract.txt", "exercise perplexity\n")
    assert summary_lines(goldens.WRITTEN) == [
        "--update-goldens: 2 of 5 golden files changed, 2 new",
        f"  {tmp_path / 'contract.txt'} (new)",
        "  diag-new (new): score none -> 1/52",
        "  memorised",
        "  mistake-log10: score 23/50 -> 23/52",
    ]
    # an unchanged file is not rewritten
    before = (scenarios / "correct-numpy" / "expected.json").stat().st_mtime_ns
    write_golden(scenarios / "correct-numpy" / "expected.json", json.dumps({"score": 50, "max_score": 50, "checks": []}))
    assert (scenarios / "correct-numpy" / "expected.json").stat().st_mtime_ns == before


def test_a_run_with_update_goldens_ends_with_the_summary(tmp_path):
    """On a copy of the repository (a golden is never written by the code under test in this checkout): the
    report template changed, so the engine's Markdown goldens change, and the run says which."""
    repo = copy_repository(tmp_path / "repo")
    template = repo / "templates" / "report.md.j2"
    template.write_text(template.read_text().replace("checks passed", "checks right", 1))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--update-goldens",
                           "tests/feedback/test_reports.py", "-k", "golden"], cwd=repo, capture_output=True, text=True,
                          env=environment(repo), timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    lines = done.stdout.splitlines()
    at = lines.index(next(line for line in lines if " golden files " in line and line.startswith("=")))
    assert lines[at + 1:at + 5] == ["--update-goldens: 3 of 12 golden files changed",
                                    "  tests/feedback/golden/broken.md", "  tests/feedback/golden/correct.md",
                                    "  tests/feedback/golden/mistaken.md"]


def test_a_missing_golden_fails_instead_of_being_written(tmp_path, monkeypatch):
    """A golden written by the run that checks it passes whatever the code does: only --update-goldens writes."""
    import pytest
    from goldens import golden_text

    monkeypatch.setattr(goldens, "WRITTEN", [])
    monkeypatch.setattr(goldens, "UPDATE", False)
    with pytest.raises(pytest.fail.Exception, match="is missing: a golden file is never written by the test"):
        golden_text(tmp_path / "new.txt", "x")
    assert not (tmp_path / "new.txt").exists()
    monkeypatch.setattr(goldens, "UPDATE", True)
    assert golden_text(tmp_path / "new.txt", "x") == "x" and (tmp_path / "new.txt").read_text() == "x"
