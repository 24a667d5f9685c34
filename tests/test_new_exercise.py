"""``grader new exercise ID``: a skeleton that validates once the reference bodies are written."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from grader.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PERPLEXITY = '''    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(2 ** -np.sum(p * np.log2(p)))'''


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_the_skeleton_validates_once_the_reference_is_written(mini_copy: Path, tmp_path: Path):
    before = (mini_copy / "course.yaml").read_text()
    result = _run("new", "exercise", "perplexity", "--course", str(mini_copy))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == ["wrote exercises/perplexity.yaml", "wrote reference/perplexity.py",
                                              "wrote course.yaml"]
    spec = (mini_copy / "exercises/perplexity.yaml").read_text()
    # the modeline reaches the grader's schema from where the course is (../grader/spec/... beside the source)
    schema = Path(os.path.relpath(ROOT / "grader/spec/schemas/exercise.schema.json", mini_copy / "exercises"))
    assert spec.startswith(f"# yaml-language-server: $schema={schema.as_posix()}\n")
    assert (mini_copy / "exercises" / schema).resolve().is_file()
    for words in ("visibility: public", "visibility: hidden", "tolerance:", "intuition:", "# misconceptions:"):
        assert words in spec, words
    after = (mini_copy / "course.yaml").read_text()
    assert after.startswith(before.split("quizzes:")[0])  # comments and entries above are kept as written
    assert "  - {id: perplexity, file: exercises/perplexity.yaml, points: 2}\nquizzes:" in after

    # As written, the reference raises: a course error at its own line, not a grader crash.
    result = _run("validate", "--course", str(mini_copy))
    assert result.exit_code == 3, result.output
    assert "reference/perplexity.py:7:" in result.output and "NotImplementedError" in result.output

    ref = mini_copy / "reference/perplexity.py"
    ref.write_text(ref.read_text().replace(
        '    raise NotImplementedError("write the reference perplexity() here")', PERPLEXITY))
    result = _run("validate", "--course", str(mini_copy))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Mini course: 2 exercises, 6 cases")

    out = tmp_path / "student"
    result = _run("build", "--course", str(mini_copy), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "def perplexity(probs):" in (out / "perplexity.py").read_text()


def test_several_functions(mini_copy: Path):
    result = _run("new", "exercise", "pair", "--course", str(mini_copy), "--function", "dot(p, q)",
                  "--function", "top(x)")
    assert result.exit_code == 0, result.output
    (mini_copy / "reference/pair.py").write_text(
        "def dot(p, q):\n    return float(sum(a * b for a, b in zip(p, q)))\n\n\n"
        "def top(x):\n    return float(max(x))\n")
    result = _run("validate", "--course", str(mini_copy))
    assert result.exit_code == 0, result.output
    assert "{id: pair, file: exercises/pair.yaml, points: 4}" in (mini_copy / "course.yaml").read_text()


def test_refusals(mini_copy: Path):
    result = _run("new", "exercise", "Bad-Id", "--course", str(mini_copy))
    assert result.exit_code == 2 and "Error: exercise id 'Bad-Id' is not allowed" in result.output
    result = _run("new", "exercise", "surprise", "--course", str(mini_copy))
    assert result.exit_code == 4 and "Error: course.yaml already lists 'surprise'" in result.output
    result = _run("new", "exercise", "odd", "--course", str(mini_copy), "--function", "f(1x)")
    assert result.exit_code == 2 and "is not a Python name" in result.output
    (mini_copy / "reference/odd.py").write_text("# mine\n")
    result = _run("new", "exercise", "odd", "--course", str(mini_copy))
    assert result.exit_code == 4 and "reference/odd.py already exists" in result.output
    assert (mini_copy / "reference/odd.py").read_text() == "# mine\n"
    assert "odd" not in (mini_copy / "course.yaml").read_text()
