"""The on-disk cache of variant outputs: the same answers from disk as computed, and no cache when unwritable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from grader.judge import diagnose
from grader.spec import cache
from grader.spec.course import load_course

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "tests" / "fixtures" / "infotheory"  # the engine tests' fixture course, not the bundled one


def _dicts(out):
    """As JSON text, so that a NaN output equals itself."""
    return json.dumps({k: [v.to_dict() for v in vs] for k, vs in out.items()}, sort_keys=True)


def test_variants_from_disk_equal_computed(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(diagnose, "_CACHE", {})
    course = load_course(COURSE)
    computed = diagnose.variant_outputs(course)
    assert len(list((tmp_path / "cache" / "infotheory-grader").glob("*.json"))) == 1
    monkeypatch.setattr(diagnose, "_CACHE", {})
    monkeypatch.setattr(diagnose, "variant_module", None)  # a hit must not run any reference code
    assert _dicts(diagnose.variant_outputs(course)) == _dicts(computed)


def test_a_changed_reference_file_is_a_new_key(tmp_path):
    course_dir = tmp_path / "course"
    shutil.copytree(COURSE, course_dir, ignore=shutil.ignore_patterns("__pycache__"))
    before = cache.course_key(load_course(course_dir), "variants")
    helper = next((course_dir / "reference").rglob("*.py"))
    helper.write_text(helper.read_text() + "\n# changed\n")
    assert cache.course_key(load_course(course_dir), "variants") != before


def test_unwritable_cache_is_no_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr(diagnose, "_CACHE", {})
    assert diagnose.variant_outputs(load_course(COURSE))
    assert cache.load("anything") is None
