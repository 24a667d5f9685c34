"""The on-disk cache of variant outputs: the same answers from disk as computed, and no cache when unwritable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

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
    course = load_course(COURSE)
    found = diagnose.variant_outputs(course)
    # every known mistake the course declares, in its order, each with an answer on every case
    assert {ex: [v.id for v in vs] for ex, vs in found.items()} == {
        ex.id: [m.id for m in ex.misconceptions] for ex in course.exercises}
    assert {ex: [sorted(i for i, _, _ in v.to_dict()["outputs"]) for v in vs] for ex, vs in found.items()} == {
        ex.id: [[c.index for c in ex.cases]] * len(ex.misconceptions) for ex in course.exercises}
    assert list(blocker.parent.iterdir()) == [blocker] and blocker.read_text() == "not a folder"
    assert cache.load("anything") is None


def test_unchanged_spec_files_are_not_validated_again(tmp_path, monkeypatch):
    """The second load trusts the files that validated (no jsonschema); an edited file is validated again."""
    from grader.errors import SpecError
    from grader.spec import yamlspec
    from grader.spec.quiz import load as quiz_load

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    course_dir = tmp_path / "course"
    shutil.copytree(COURSE, course_dir, ignore=shutil.ignore_patterns("__pycache__"))
    first = load_course(course_dir)
    stored = json.loads((tmp_path / "cache" / "infotheory-grader" / "specs" / "validated.json").read_text())
    schemas = [k for k in stored["keys"] if not k.startswith("answers:")]
    assert len(schemas) == 1 + len(first.exercises) + len(first.quizzes)
    assert len(stored["keys"]) == len(schemas) + len(first.quizzes)  # and each quiz's computed answers

    def no_schema(name):
        raise AssertionError(f"{name}: an unchanged file was validated again")

    monkeypatch.setattr(cache, "_validated", {})  # a new process: only the file on disk remembers
    monkeypatch.setattr(yamlspec, "_validator", no_schema)
    monkeypatch.setattr(quiz_load, "check_answers", no_schema)
    assert load_course(course_dir).spec_hash == first.spec_hash
    spec = course_dir / "exercises" / "entropy.yaml"
    spec.write_text(spec.read_text().replace("functions:", "functions:\n  colour: 1\n", 1))
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    try:
        load_course(course_dir)
    except SpecError as exc:
        assert "exercises/entropy.yaml" in exc.problems[0].file
    else:
        raise AssertionError("an edited file with a schema error loaded")


def test_unwritable_cache_still_validates(tmp_path, monkeypatch):
    from grader.errors import SpecError

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    course_dir = tmp_path / "course"
    shutil.copytree(COURSE, course_dir, ignore=shutil.ignore_patterns("__pycache__"))
    load_course(course_dir)
    (course_dir / "course.yaml").write_text((course_dir / "course.yaml").read_text() + "colour: blue\n")
    try:
        load_course(course_dir)
    except SpecError as exc:
        assert "unknown key 'colour'" in exc.problems[0].message
    else:
        raise AssertionError("a schema error was missed")


def test_compiled_templates_from_disk_render_the_same(tmp_path, monkeypatch):
    """Report templates are compiled once and kept (marshal, checked against the source), never unpickled."""
    from grader.record import GradeResult
    from grader.reports import render as render_mod

    def fresh_process():
        render_mod._bytecode_cache.cache_clear()
        render_mod._shared_environment.cache_clear()

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fresh_process()
    result = GradeResult(course="c", student="s", mode="course", score=1.0, max_score=2.0, pass_threshold=0.5,
                         passed=True, exercises=[])
    compiled = render_mod.render(result, "html")
    stored = list((tmp_path / "cache" / "infotheory-grader" / "templates").glob("*.jinja"))
    assert len(stored) == 2  # report.html.j2 and the figure.svg.j2 it imports
    fresh_process()
    assert render_mod.render(result, "html") == compiled
    for path in stored:  # a stale or corrupt file is compiled again
        path.write_bytes(b"garbage\n" + path.read_bytes())
    fresh_process()
    assert render_mod.render(result, "html") == compiled
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    (tmp_path / "file").write_text("not a folder")  # unwritable: no cache, same report
    fresh_process()
    assert render_mod.render(result, "html") == compiled
    fresh_process()


def test_expected_values_and_trials_from_disk_equal_computed(tmp_path, monkeypatch):
    """A second process reads the reference outputs and the invariants' trials from disk, without
    running any reference code or drawing anything, and gets the same values."""
    from grader.judge import invariants
    from grader.spec import expected

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(expected, "_CACHE", {})
    course = load_course(COURSE)
    values = expected.reference_outputs(course)
    trials = invariants.draw_course(course)
    assert sum(len(t) for t in trials.values()) > 0
    monkeypatch.setattr(expected, "_CACHE", {})
    monkeypatch.setattr(expected, "reference_module", None)  # a hit must not run any reference code
    monkeypatch.setattr(invariants, "draw", None)  # nor draw the trials again
    assert json.dumps(sorted(expected.reference_outputs(course).items())) == json.dumps(sorted(values.items()))
    assert invariants.draw_course(course) == trials


def test_damaged_cache_entries_are_recomputed(tmp_path, monkeypatch):
    from grader.judge import invariants
    from grader.spec import expected

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(expected, "_CACHE", {})
    course = load_course(COURSE)
    values, trials = expected.reference_outputs(course), invariants.draw_course(course)
    for path in (tmp_path / "cache" / "infotheory-grader").glob("*.json"):
        data = json.loads(path.read_text())
        if isinstance(data, list):
            data[0] = [data[0][0], data[0][1]]  # a row cut short
        elif isinstance(data, dict) and all(isinstance(v, list) and v and isinstance(v[0], list) for v in data.values()):
            first = next(iter(data))
            data[first] = data[first][:-1]  # a trial missing
        path.write_text(json.dumps(data))
    monkeypatch.setattr(expected, "_CACHE", {})
    assert json.dumps(sorted(expected.reference_outputs(course).items())) == json.dumps(sorted(values.items()))
    assert invariants.draw_course(course) == trials


def test_a_changed_quiz_reference_checks_the_answers_again(tmp_path, monkeypatch):
    from grader.errors import SpecError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    course_dir = tmp_path / "course"
    shutil.copytree(COURSE, course_dir, ignore=shutil.ignore_patterns("__pycache__"))
    course = load_course(course_dir)
    reference = course.quizzes[0].reference
    text = reference.read_text()
    name = next(q.answer.function for q in course.quizzes[0].questions if q.answer and q.answer.function)
    reference.write_text(text + f"\n\ndef {name}(**kwargs):\n    return float('nan')\n")
    from grader.spec.quiz import variants

    monkeypatch.setattr(variants, "_MODULES", {})  # a new process imports the reference afresh
    monkeypatch.setattr(variants, "_BY_PATH", {})
    try:
        load_course(course_dir)
    except SpecError as exc:
        assert "could not be computed" in exc.problems[0].message or "nan" in exc.problems[0].message
    else:
        raise AssertionError("a reference that broke a quiz answer was trusted")


def test_a_known_course_loads_without_jsonschema_pyyaml_or_numpy_random(tmp_path):
    """What `grader check` pays before grading, once the course is in the cache: no schema validation and no
    random draws (the fork server is started first; these imports would delay the first sandbox round)."""
    import os
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from grader.authoring.session import open_course; "
            f"open_course(Path({str(COURSE)!r})); "
            "print(sorted(m for m in ('jsonschema', 'jinja2', 'numpy.random', 'yaml') if m in sys.modules))")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "jsonschema" in first.stdout and "yaml" in first.stdout  # a new cache: parsed, validated, drawn
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert second.stdout.strip() == "[]"


def test_parsed_yaml_from_disk_equals_parsed(tmp_path, monkeypatch):
    """A spec file read back from the cache: the same data (dates included) and the same line of every value."""
    from datetime import date

    from grader.spec import yamlspec

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = tmp_path / "spec.yaml"
    spec.write_text("title: t\ndue: 2026-12-01\ncases:\n  - {name: a, args: [1, 2.5]}\n  - name: b\n"
                    "    tags: [x, y]\n")
    first = yamlspec.load_yaml(spec)
    assert len(list((tmp_path / "cache" / "infotheory-grader" / "specs").glob("yaml-*.json"))) == 1
    monkeypatch.setattr(yamlspec, "parse_yaml", None)  # a hit must not parse
    second = yamlspec.load_yaml(spec)
    assert second.data == first.data and second.data["due"] == date(2026, 12, 1)
    for keys, key in (((), None), (("cases", 1), None), (("cases", 1, "tags", 1), None), (("cases", 0), "args"),
                      (("nowhere",), None)):
        assert second.where(keys, key=key) == first.where(keys, key=key)
    assert first.where(("cases", 1, "tags", 1)) == (6, 15)
    spec.write_text(spec.read_text() + "extra: 1\n")  # edited: a new key, parsed again
    with pytest.raises(TypeError):
        yamlspec.load_yaml(spec)
