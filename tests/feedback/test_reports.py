"""The four report formats, guarded by golden files, and what every failed check must show.

Regenerate the golden files after an intended change with:  python -m pytest tests/feedback --update-goldens
(or GRADER_UPDATE_GOLDEN=1). They grade the fixture course tests/fixtures/infotheory, so a change to the
bundled course leaves them as they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import COURSE, SCENARIOS, normalised
from goldens import golden_text

from grader.cli import cli
from grader.errors import InputError
from grader.record import GradeResult, Status
from grader.reports.render import FORMATS, render

GOLDEN = Path(__file__).parent / "golden"
SUBMISSIONS = {"correct": "correct-numpy", "mistaken": "mistake-kl-swapped", "broken": "broken-exception"}
SUFFIX = {"text": "txt", "md": "md", "html": "html", "json": "json"}


HUMAN = ("text", "md", "html", "json")


def test_formats():
    assert FORMATS[:4] == HUMAN  # then the machine formats (junit, gradescope), tested in tests/test_formats.py


@pytest.mark.parametrize("fmt", HUMAN)
@pytest.mark.parametrize("kind", SUBMISSIONS)
def test_golden(grade, kind, fmt):
    text = render(normalised(grade(SUBMISSIONS[kind])), fmt)
    path = GOLDEN / f"{kind}.{SUFFIX[fmt]}"
    assert text == golden_text(path, text), f"{path.name} changed; see the module docstring to regenerate"


def _failed(result: GradeResult):
    return [(ex, c) for ex, c in result.checks() if c.kind == "case" and c.status != Status.PASSED]


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_every_failed_check_shows_input_expected_got_diagnosis_and_idea(grade, fmt):
    result = grade("mistake-kl-swapped")
    text = render(result, fmt)
    if fmt == "html":
        text = text.replace("&#39;", "'").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    flat = " ".join(text.split())  # the terminal report wraps long sentences

    def shown(words: str) -> bool:
        return " ".join(words.split()) in flat

    failed = [(ex, c) for ex, c in _failed(result) if ex.id == "kl_sweep"]  # where the submission's mistake is
    assert failed
    for _, check in failed:
        assert check.input and shown(check.input)
        assert check.misconception and shown(check.misconception)
        assert check.diagnosis and shown(check.diagnosis["explanation"]) and shown(check.diagnosis["idea"])
    # scalar magnitudes: abs and relative difference and the tolerance, readably
    assert "0.0423067 (relative 0.0965079)" in text
    assert "4.384e-06" in text and "1e-05 × |expected|" in text.replace("\\|", "|")
    # arrays: how many differ, the worst index, a small index/got/expected table
    assert "17 of 19 values differ" in text and "at index [18]" in text
    assert "1.93553" in text and "2.75041" in text


def test_undiagnosed_failures_still_teach_the_functions_idea(grade):
    result = grade("broken-nan")
    text = render(result, "text")
    assert "nan never counts as close to a number" in text
    intuition = next(c.intuition for _, c in _failed(result) if c.function == "cross_entropy_loss")
    assert " ".join(intuition.split()[:6]) in " ".join(text.split())


def test_numbers_print_readably(grade):
    for fmt in ("text", "md", "html"):
        text = render(grade("mistake-missing-minus"), fmt)
        assert "-0.0000" not in text and "-0 " not in text
        assert not re.search(r"\d\.\d{10,}", text), "no 17-digit floats"


def test_import_failure_is_said_once(grade):
    text = render(grade("broken-syntax-error"), "text")
    assert text.count("could not be imported: SyntaxError") == 1
    assert "None of its 10 checks could run." in text


def test_invariant_failure_shows_the_smallest_counter_example_and_intuition(grade):
    result = grade("mistake-missing-minus")
    prop = next(c for _, c in result.checks() if c.details.get("invariant") == "entropy-range")
    assert prop.status == Status.FAILED and prop.max_score == 0
    assert prop.input == "n = 2, p = [0.75, 0.25]"  # fewest numbers among the failing trials
    assert prop.details["broken"] == "h >= 0"
    assert prop.details["values"] == {"h": "entropy(p) = -0.811278"}
    text = render(result, "text")
    assert "input     n = 2, p = [0.75, 0.25]" in text
    assert "Surprise is never negative" in text


def test_colour_only_when_asked(grade):
    """The exact lines, coloured and not (tests/feedback/test_terminal.py reads them through a real terminal)."""
    result = grade("mistake-log10")
    coloured, plain = render(result, "text", color=True).splitlines(), render(result, "text").splitlines()
    assert coloured[3] == "  \033[31m✗\033[0m \033[1mentropy()\033[0m  0/7 checks passed"
    assert plain[3] == "  ✗ entropy()  0/7 checks passed"
    assert "\\x1b" not in "\n".join(coloured) and "\033" not in "\n".join(plain)


def test_html_is_self_contained(grade):
    page = render(grade("mistake-kl-swapped"), "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page
    for pattern in (r"<script", r"<link", r"https?://(?!www\.w3\.org/2000/svg)", r"@import", r"url\("):
        assert not re.search(pattern, page), pattern
    assert page.count("<svg") == 1 and 'class="got"' in page and 'class="ref"' in page


def test_json_is_the_record(grade):
    result = grade("mistake-zero-nan")
    data = json.loads(render(result, "json"))
    back = GradeResult.from_dict(data)
    assert [c.misconception for _, c in back.checks()] == [c.misconception for _, c in result.checks()]
    assert "nan" in json.dumps(data)  # NaN answers survive as strings, and the JSON stays strict
    # every view renders the same from a record read back from JSON
    for fmt in ("text", "md", "html"):
        assert render(back, fmt) == render(result, fmt)


def test_templates_override(grade, tmp_path):
    (tmp_path / "report.md.j2").write_text("{{ r.student }} scored {{ r.score|num }}\n")
    assert render(grade("correct-numpy"), "md", templates=tmp_path) == "correct-numpy scored 30\n"
    (tmp_path / "report.md.j2").write_text("{{ r.studnet }}\n")
    with pytest.raises(InputError) as info:  # the override's author's mistake, at its line; not a grader crash
        render(grade("correct-numpy"), "md", templates=tmp_path)
    assert info.value.message == (f"{tmp_path / 'report.md.j2'}:1: UndefinedError: "
                                  "'grader.record.GradeResult object' has no attribute 'studnet'")


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_cli_format_and_output(tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(cli, ["check", str(SCENARIOS / "mistake-log10" / "submission"), "--course", str(COURSE),
                                      "--format", fmt, "--output", str(out), "--student", "ada"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "log10" in text and "ada" in text
