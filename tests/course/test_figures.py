"""Figures (``returns: figure``): the worker's description, its validator, the checks, and what reports show.

Tests of the bundled course's figure exercise (plot_kl_sweep), so they live with the course's own tests.
The end-to-end cases (each style of drawing, the swapped-KL curve, missing labels, hostile figures) are golden
scenarios in tests/scenarios/figure-*; here are the parts, each with the exact words a user sees.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.judge.figures import curve_output, figure_checks, reference_problems, summary
from grader.record import GradeResult, Status
from grader.sandbox import figure
from grader.sandbox.figure_data import MAX_POINTS, MAX_TEXT, figure_problem
from grader.spec.course import load_course
from grader.spec.tolerance import Tolerance

ROOT = Path(__file__).resolve().parent.parent.parent
X = np.linspace(0.1, 0.9, 200)


def kl_curve(p=(0.6, 0.3, 0.1), swapped=False):
    p = np.asarray(p)
    out = []
    for q1 in X:
        q = np.array([q1, 0.75 * (1 - q1), 0.25 * (1 - q1)])
        a, b = (q, p) if swapped else (p, q)
        out.append(float(np.sum(a * np.log2(a / b))))
    return np.array(out)


@pytest.fixture(scope="module")
def plt(tmp_path_factory):
    figure.prepare(str(tmp_path_factory.mktemp("sandbox")))
    import matplotlib.pyplot

    return matplotlib.pyplot


def lesson(plt, *, xs=X, ys=None, marker=0.6, xlabel="q1", ylabel="KL(P || Q)", legend=True,
           title="KL divergence is smallest when Q matches P"):
    plt.figure(figsize=(8, 5))
    plt.plot(xs, kl_curve() if ys is None else ys, color="steelblue", linewidth=2)
    if marker is not None:
        plt.axvline(x=marker, color="red", linestyle="--", label="Q = P")
    plt.xlabel(xlabel)
    plt.ylabel(ylabel)
    plt.title(title)
    if legend and marker is not None:
        plt.legend()
    return plt.gcf()


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT)


@pytest.fixture(scope="module")
def ex(course):
    return next(e for e in course.exercises if e.id == "kl_sweep")


@pytest.fixture(scope="module")
def case(ex):
    return next(c for c in ex.cases if c.figure)


@pytest.fixture(scope="module")
def ref(plt):
    return figure.describe(lesson(plt))


def graded(ex, case, ref, desc):
    return {c.name.rsplit(": ", 1)[1]: c for c in
            figure_checks(ex, case, {"ok": True, "value": desc}, ref, "", None, "plot()", lambda e: "")}


# -- the worker's description ----------------------------------------------------------------------

def test_the_lesson_figure_is_described_as_data(plt, ref):
    assert figure_problem(ref) is None
    ax = ref["axes"][0]
    assert (ax["title"], ax["xlabel"], ax["ylabel"]) == ("KL divergence is smallest when Q matches P", "q1",
                                                           "KL(P || Q)")
    assert ax["legend"] == ["Q = P"]
    assert ax["vlines"] == [{"at": 0.6, "label": "Q = P", "style": "--", "color": "#ff0000"}]
    assert [(line["n"], line["label"], line["style"], line["color"]) for line in ax["lines"]] == \
        [(200, "", "-", "#4682b4")]
    assert ax["lines"][0]["x"] == X.tolist()
    assert plt.get_fignums() == []  # read once, then closed: the next call starts from no figure


def test_summary_is_one_plain_line(ref):
    assert summary(ref, "q1") == ("1 line of 200 points from q1 = 0.1 to 0.9; x label 'q1'; y label 'KL(P || Q)'; "
                                  "title 'KL divergence is smallest when Q matches P'; a dashed vertical line at 0.6; "
                                  "a legend ('Q = P')")


def test_axes_none_and_the_current_figure_give_the_same_description(plt, ref):
    _, ax = plt.subplots(figsize=(8, 5))
    ax.plot(X, kl_curve(), color="steelblue")
    ax.axvline(0.6, linestyle="--", color="red", label="Q = P")
    ax.set_xlabel("q1")
    ax.set_ylabel("KL(P || Q)")
    ax.set_title("KL divergence is smallest when Q matches P")
    ax.legend()
    from_axes = figure.describe(ax)
    lesson(plt)
    from_none = figure.describe(None)
    for desc in (from_axes, from_none):
        assert desc["axes"][0]["lines"][0]["y"] == ref["axes"][0]["lines"][0]["y"]
        assert desc["axes"][0]["vlines"][0]["at"] == 0.6


@pytest.mark.parametrize("value, words", [
    (None, "None, and nothing was drawn: draw with matplotlib and return the Figure (plt.gcf()) or the Axes"),
    ([1.0, 2.0], None),
    ("a figure", None),
])
def test_not_a_figure_is_refused_with_its_reason(plt, value, words):
    plt.close("all")
    with pytest.raises(figure.FigureError) as info:
        figure.describe(value)
    assert info.value.args[0] == words  # None: the worker names the value (a list, a string...)


def test_a_figure_subclass_is_never_read_through_its_own_methods(plt):
    from matplotlib.figure import Figure

    class Liar(Figure):
        def get_axes(self):
            raise AssertionError("read through the subclass")

    fig = plt.figure(FigureClass=Liar)
    with pytest.raises(figure.FigureError) as info:
        figure.describe(fig)
    assert info.value.args[0] == ("an object of a class derived from matplotlib's "
                                  "(Liar); "
                                  "return the Figure or Axes matplotlib made")


def test_a_line_longer_than_the_cap_keeps_only_its_count(plt):
    plt.plot(np.arange(MAX_POINTS + 1.0))
    desc = figure.describe(None)
    line = desc["axes"][0]["lines"][0]
    assert (line["n"], line["x"], line["y"]) == (MAX_POINTS + 1, None, None)
    assert figure_problem(desc) is None


def test_long_labels_are_cut(plt):
    plt.plot([0, 1], [0, 1])
    plt.title("x" * (MAX_TEXT + 50))
    assert figure.describe(None)["axes"][0]["title"] == "x" * MAX_TEXT


def test_show_does_nothing_and_the_backend_stays_agg(plt):
    import matplotlib

    matplotlib.use("TkAgg")
    plt.switch_backend("QtAgg")
    plt.plot([0, 1], [1, 0])
    plt.show()
    assert matplotlib.get_backend().lower() == "agg"
    assert plt.get_fignums() == [1] or len(plt.get_fignums()) == 1
    plt.close("all")


def test_config_and_cache_folders_are_in_the_sandbox(tmp_path):
    figure.prepare(str(tmp_path))
    import matplotlib

    assert matplotlib.get_configdir() == matplotlib.get_cachedir() == str(tmp_path / ".matplotlib")
    assert os.environ["MPLCONFIGDIR"] == str(tmp_path / ".matplotlib")


def test_matplotlib_missing_gives_the_install_hint(monkeypatch, tmp_path):
    import builtins

    real = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ModuleNotFoundError("No module named 'matplotlib'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(figure.FigureError) as info:
        figure.prepare(str(tmp_path))
    assert str(info.value) == ("matplotlib is not installed, and this exercise draws a figure: install it with "
                               "`pip install matplotlib` (or `pip install 'infotheory-grader[figures]'`)")


def test_the_worker_reports_missing_matplotlib_per_figure_call(monkeypatch, tmp_path, ex, case):
    """The worker's own path: the figure function's calls fail with the hint; the grader words it."""
    from grader.judge.grade import _error_message
    from grader.sandbox import worker

    (tmp_path / "kl_sweep.py").write_text("def plot_kl_sweep(p, q1_values):\n    return None\n"
                                          "def kl_divergence(p, q):\n    return 0.0\n")
    monkeypatch.setattr(figure, "prepare", lambda sandbox: (_ for _ in ()).throw(figure.FigureError(figure.INSTALL_HINT)))
    read, write = os.pipe()
    tasks = [{"module": "kl_sweep", "file": "kl_sweep.py", "function": "plot_kl_sweep", "args": "[[0.6], [0.1]]",
              "returns": "figure"},
             {"module": "kl_sweep", "file": "kl_sweep.py", "function": "kl_divergence", "args": "[[1.0], [1.0]]",
              "returns": "float"}]
    w = worker.Worker(str(tmp_path), tasks, write, {"import_time": 5, "cpu_per_call": 5, "time_per_call": 5})
    monkeypatch.setattr(w, "cpu_budget", lambda seconds: None)
    w.run([0, 1])
    os.close(write)
    events = [json.loads(line) for line in os.fdopen(read).read().splitlines()]
    done = [e for e in events if e["ev"] == "done"]
    assert done[0]["ok"] is False and done[0]["error"]["exception"] == "ModuleNotFoundError"
    assert done[1]["ok"] is True and done[1]["value"] == 0.0  # the other functions still run
    assert _error_message(ex, case, done[0]["error"]) == (
        "plot_kl_sweep() could not draw its figure: matplotlib is not installed, and this exercise draws a figure: "
        "install it with `pip install matplotlib` (or `pip install 'infotheory-grader[figures]'`)")


# -- the validator: hostile descriptions ---------------------------------------------------------

def _bad(ref, path, value):
    desc = copy.deepcopy(ref)
    target = desc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return figure_problem(desc)


@pytest.mark.parametrize("path, value, why", [
    (["kind"], "pickle", "the top level does not have the expected fields"),
    (["axes", 0, "title"], ["<b>"], "axes[0].title is not text"),
    (["axes", 0, "title"], "t" * (MAX_TEXT + 1), f"axes[0].title is longer than {MAX_TEXT} characters"),
    (["axes", 0, "lines", 0, "y"], [True] * 200, "axes[0].lines[0].y holds a value that is not a number"),
    (["axes", 0, "lines", 0, "n"], 199, "axes[0].lines[0].x does not hold its 199 points"),
    (["axes", 0, "lines", 0, "x"], None, "axes[0].lines[0].x does not hold its 200 points"),
    (["axes", 0, "xlim"], [0, 1, 2], "axes[0].xlim is not a pair"),
    (["axes", 0, "lines"], [{}] * 33, "axes[0].lines has more than 32 entries"),
    (["axes", 0, "vlines", 0, "extra"], 1, "axes[0].vlines[0] does not have the expected fields"),
    (["axes"], [{}] * 9, "axes has more than 8 entries"),
])
def test_hostile_descriptions_are_refused(ref, path, value, why):
    assert _bad(ref, path, value) == f"a figure description where {why}"


def test_a_description_over_the_total_point_cap_is_refused(ref):
    desc = copy.deepcopy(ref)
    line = {"label": "", "style": "-", "color": "", "marker": "", "n": MAX_POINTS,
            "x": [0.0] * MAX_POINTS, "y": [0.0] * MAX_POINTS}
    desc["axes"] = [{**desc["axes"][0], "lines": [line] * 11}]
    assert figure_problem(desc) == "a figure description where the figure holds more than 200000 points"


json_values = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
                           max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_the_validator_never_raises(value):
    assert figure_problem(value) is None or figure_problem(value).startswith("a figure description where")


# -- the checks -------------------------------------------------------------------------------------

def test_the_reference_passes_every_check(ex, case, ref):
    checks = graded(ex, case, ref, ref)
    assert {k: (c.status, c.score) for k, c in checks.items()} == {
        "the curve": (Status.PASSED, 1.5), "the vertical marker": (Status.PASSED, 0.5),
        "the labels": (Status.PASSED, 0.5), "the legend": (Status.PASSED, 0.25),
        "the number of curves": (Status.PASSED, 0.25)}


def test_a_curve_is_found_by_its_data_not_its_order_or_colour(plt, ex, case, ref):
    fig = plt.figure()
    plt.plot([0.1, 0.9], [0.0, 0.1], color="black")  # a decoy line first
    plt.plot(X[::-1], kl_curve()[::-1], color="green")  # the curve, drawn right to left
    plt.axvline(0.6, label="Q = P")
    plt.xlabel("Q1")
    plt.ylabel("kl divergence")
    plt.title("Divergence")
    plt.legend()
    checks = graded(ex, case, ref, figure.describe(fig))
    assert checks["the curve"].status == Status.PASSED
    assert checks["the labels"].status == Status.PASSED  # case-insensitive, 'divergence' is an alternative
    assert (checks["the number of curves"].status, checks["the number of curves"].message) == \
        (Status.FAILED, "2 curves where 1 is expected")


def test_a_marker_in_the_wrong_place_says_where(plt, ex, case, ref):
    checks = graded(ex, case, ref, figure.describe(lesson(plt, marker=0.5)))
    c = checks["the vertical marker"]
    assert (c.status, c.message, c.expected, c.got) == \
        (Status.FAILED, "your vertical line is at 0.5; the reference draws it at 0.6", 0.6, 0.5)
    checks = graded(ex, case, ref, figure.describe(lesson(plt, marker=None)))
    assert checks["the vertical marker"].message == "no vertical line; the reference draws one at 0.6"
    assert checks["the legend"].message == "no legend: label what you draw and call legend()"


def test_missing_labels_lose_only_the_label_points(plt, ex, case, ref):
    checks = graded(ex, case, ref, figure.describe(lesson(plt, xlabel="", ylabel="probability", title="")))
    assert [k for k, c in checks.items() if c.status != Status.PASSED] == ["the labels"]
    assert checks["the labels"].message == ("the x label is missing; it needs 'q1'; the y label 'probability' "
                                            "lacks 'KL' or 'divergence'; the title is missing; it needs 'KL' or "
                                            "'divergence'")


def test_a_swapped_curve_fails_the_curve_with_the_numbers(plt, ex, case, ref):
    checks = graded(ex, case, ref, figure.describe(lesson(plt, ys=kl_curve(swapped=True))))
    c = checks["the curve"]
    assert c.status == Status.FAILED
    assert c.message.startswith("your curve has the reference's curve's x values, but 195 of 200")
    assert c.got == kl_curve(swapped=True).tolist()
    tol = Tolerance(1e-5, 1e-6)
    assert curve_output(figure.describe(lesson(plt, ys=kl_curve(swapped=True))), ref, tol) == \
        (True, kl_curve(swapped=True).tolist())


def test_an_error_is_the_same_on_every_figure_check(ex, case, ref):
    checks = figure_checks(ex, case, {"ok": False, "error": {"exception": "WrongType", "message": "m"}}, ref, "",
                           None, "plot()", lambda e: "plot_kl_sweep() returned the wrong type: m")
    assert {(c.status, c.message) for c in checks} == {(Status.ERROR, "plot_kl_sweep() returned the wrong type: m")}


def test_a_forged_description_is_an_error_not_a_crash(ex, case, ref):
    checks = figure_checks(ex, case, {"ok": True, "value": {"kind": "figure", "axes": "x"}}, ref, "", None, "p()",
                           lambda e: "")
    assert checks[0].message == ("plot_kl_sweep() returned the wrong type: a figure description where the top "
                                 "level does not have the expected fields")


def test_validate_refuses_checks_the_reference_fails_and_a_mistake_that_passes(plt, ex, case, ref):
    no_legend = figure.describe(lesson(plt, legend=False))
    assert reference_problems(ex, case, no_legend, {}) == [
        "the reference's own figure fails the legend: no legend: label what you draw and call legend()",
        "the reference's figure has no legend, so the legend check cannot ask for one"]
    swapped = figure.describe(lesson(plt, ys=kl_curve(swapped=True)))
    assert reference_problems(ex, case, ref, {"swapped-kl-arguments": swapped}) == []


def test_validate_catches_a_curve_check_that_lets_a_mistake_pass(plt, ex, case, ref, monkeypatch):
    """Break the curve check on purpose (it matches any curve): validate says the mistake's figure passes."""
    from grader.judge import figures

    swapped = figure.describe(lesson(plt, ys=kl_curve(swapped=True)))
    monkeypatch.setattr(figures, "match_curve", lambda r, student, tol: (student[0], student[0]))
    assert reference_problems(ex, case, ref, {"swapped-kl-arguments": swapped}) == [
        "misconception swapped-kl-arguments draws a different curve, but its figure passes the curve check"]


# -- reports ----------------------------------------------------------------------------------------

SCRIPT = ROOT / "tests" / "scenarios" / "figure-script-label"


@pytest.fixture(scope="module")
def script_result(course):
    from grader.judge.grade import Plan, grade_submission
    from grader.sandbox.backends import make
    from grader.spec.expected import reference_outputs

    plan = Plan.build(course, "course", reference_outputs(course))
    with make("portable") as sandbox:
        return grade_submission(plan, SCRIPT / "submission", sandbox, student="s1")


def _labels_check(result: GradeResult):
    return next(c for _, c in result.checks() if c.name.endswith("the labels"))


def test_a_script_label_is_text_in_every_view(script_result):
    from grader.reports.render import render

    check = _labels_check(script_result)
    assert check.got == "x label '<script>alert('x')</script>'; y label 'KL'; title 'KL divergence'"
    html = render(script_result, "html")
    assert "<script>" not in html
    assert "x label &#39;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&#39;; y label &#39;KL&#39;" in html
    assert ('<text transform="translate(14 154.0) rotate(-90)" text-anchor="middle" font-size="12" '
            'fill="#1f2328">KL</text>') in html  # the student's y label, drawn by the grader
    assert ('<text x="283.0" y="312" text-anchor="middle" font-size="12" fill="#1f2328">'
            '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</text>') in html
    md = render(script_result, "md")
    # the figure's description escaped, the check's message in a code span (issue 22): inert either way
    assert (" | x label '&lt;script&gt;alert('x')&lt;/script&gt;'; y label 'KL'; title 'KL divergence' | "
            "`the x label '<script>alert('x')</script>' lacks 'q1'` |  |") in md
    import cmarkgfm
    from cmarkgfm.cmark import Options

    # as GitHub renders it, raw HTML let through: any script outside a code span would come out as a tag
    shown = cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)
    assert "<script>" not in shown
    assert "<code>the x label '&lt;script&gt;alert('x')&lt;/script&gt;' lacks 'q1'</code>" in shown
    text = render(script_result, "text")
    assert ("      reference:   1 line of 200 points from q1 = 0.1 to 0.9; x label 'q1'; y label 'KL(P || Q)'; title "
            "'KL divergence is smallest when Q matches P'; a dashed vertical line at 0.6; a legend ('Q = P')") in text


def test_figure_checks_are_in_every_format(script_result):
    from grader.reports.render import render

    names = [c.name for _, c in script_result.checks() if c.kind == "figure"]
    assert names == [f"plot_kl_sweep: the lesson's graph: {n}" for n in
                     ("the curve", "the vertical marker", "the labels", "the legend", "the number of curves")]
    as_json = json.loads(render(script_result, "json"))
    kl = next(e for e in as_json["exercises"] if e["id"] == "kl_sweep")
    assert [(c["name"], c["status"], c["score"]) for c in kl["checks"] if c["kind"] == "figure"] == [
        (names[0], "passed", 1.5), (names[1], "passed", 0.5), (names[2], "failed", 0.0), (names[3], "passed", 0.25),
        (names[4], "passed", 0.25)]
    junit = render(script_result, "junit")
    for n in names:
        assert f'name="{n.replace(chr(39), "&apos;")}"' in junit or f'name="{n}"' in junit
    gradescope = json.loads(render(script_result, "gradescope"))
    tests = {t["name"]: t for t in gradescope["tests"]}
    assert tests[names[2]]["score"] == 0 and tests[names[2]]["max_score"] == 0.5
    assert tests[names[0]]["score"] == 1.5


def test_the_ci_summary_shows_the_script_label_as_text(script_result):
    from grader.reports.formats.github import step_summary as summary_markdown

    md = summary_markdown(script_result)
    assert "#### ❌ `plot_kl_sweep: the lesson's graph: the labels` (failed, `kl_sweep.py:25`)\n" in md
    assert "got:      x label '<script>alert('x')</script>'; y label 'KL'; title 'KL divergence'\n" in md
    fence = md[md.index("the lesson's graph: the labels"):]
    assert fence.index("```text") < fence.index("<script>") < fence.index("```\n", fence.index("```text") + 7)


# -- the spec ---------------------------------------------------------------------------------------

FIGURE_FUNCTION = """  plot_kl_sweep:
    params: [p, q1_values]
    returns: figure
    doc: Draw the sweep.
"""
FIGURE_CASE = """  - name: the graph
    call: plot_kl_sweep
    args: [[0.6, 0.3, 0.1], [0.1, 0.5, 0.9]]
    figure:
      - {check: curve, points: 1}
"""


def _figure_course(course_copy: Path, case: str = FIGURE_CASE) -> Path:
    ex = course_copy / "exercises" / "kl_sweep.yaml"
    text = ex.read_text()
    text = text.replace("functions:\n", "functions:\n" + FIGURE_FUNCTION, 1).replace("cases:\n", "cases:\n" + case, 1)
    ex.write_text(text)
    ref = course_copy / "reference" / "kl_sweep.py"
    ref.write_text(ref.read_text() + "\n\ndef plot_kl_sweep(p, q1_values):\n    import matplotlib.pyplot as plt\n"
                   "    plt.plot(q1_values, kl_sweep(p, q1_values))\n    return plt.gcf()\n")
    course = course_copy / "course.yaml"
    course.write_text(course.read_text().replace("{id: kl_sweep, file: exercises/kl_sweep.yaml, points: 10}",
                                                 "{id: kl_sweep, file: exercises/kl_sweep.yaml, points: 11}"))
    return course_copy


def _problems(root: Path) -> list[str]:
    from grader.errors import SpecError

    with pytest.raises(SpecError) as info:
        load_course(root)
    return [str(p) for p in info.value.problems]


def test_a_figure_case_loads_with_its_checks_as_points(course_copy):
    course = load_course(_figure_course(course_copy))
    ex = next(e for e in course.exercises if e.id == "kl_sweep")
    case = next(c for c in ex.cases if c.figure)
    assert (case.points, case.checks) == (1.0, (("plot_kl_sweep: the graph: the curve", 1.0),))
    assert course.has_figures


@pytest.mark.parametrize("case, message", [
    ("  - {name: g, call: plot_kl_sweep, args: [[0.6], [0.1]], points: 1}\n",
     "cases[0]: plot_kl_sweep returns a figure, so the case lists its checks instead of points, e.g. figure: "
     "[{check: curve, points: 2}]"),
    ("  - {name: g, call: plot_kl_sweep, args: [[0.6], [0.1]], figure: [{check: labels, points: 1}]}\n",
     "cases[0].figure[0]: a labels check names the words to look for in x, y or title, e.g. "
     "{check: labels, x: [q1], points: 1}"),
    ("  - {name: g, call: plot_kl_sweep, args: [[0.6], [0.1]], figure: [{check: curve, count: 2, points: 1}]}\n",
     "cases[0].figure[0]: count does not apply to a curve check"),
    ("  - {name: g, call: kl_sweep, args: [[0.6], [0.1]], figure: [{check: curve, points: 1}]}\n",
     "cases[0].figure: kl_sweep returns array, not a figure; remove figure: or declare returns: figure"),
])
def test_figure_spec_errors_name_the_line_and_the_fix(course_copy, case, message):
    problems = [p for p in _problems(_figure_course(course_copy, case)) if "has no case" not in p]
    assert len(problems) == 1
    assert problems[0].startswith("exercises/kl_sweep.yaml:")
    assert problems[0].endswith(message)


def test_the_bundled_reference_draws_the_lessons_figure(ex, case, ref):
    from grader.spec.expected import reference_outputs

    desc = reference_outputs(load_course(ROOT))[("kl_sweep", case.index)]
    assert summary(desc, "q1") == summary(ref, "q1")
    assert desc["axes"][0]["lines"][0]["y"] == pytest.approx(kl_curve().tolist(), rel=1e-12, abs=1e-15)


def test_a_course_without_figures_never_imports_matplotlib(course_root, tmp_path):
    """In the grader's process and in the fork server (its memory maps would hold matplotlib's libraries)."""
    import subprocess
    import sys

    code = f"""
import sys
from pathlib import Path
from grader.judge.grade import Plan, grade_submission
from grader.sandbox.backends import make
from grader.spec.course import load_course
from grader.spec.expected import reference_outputs
course = load_course(Path({str(course_root)!r}))
plan = Plan.build(course, "course", reference_outputs(course))
with make("confined") as sandbox:
    result = grade_submission(plan, Path({str(ROOT / 'tests/scenarios/mistake-kl-swapped/submission')!r}), sandbox)
    maps = open(f"/proc/{{sandbox.pid}}/maps").read() if sandbox.pid else ""
print(result.score, "matplotlib" in sys.modules, "matplotlib" in maps)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[1:] == ["False", "False"]


def test_hostile_labels_are_inert_in_every_view(course):
    """HTML tags, ANSI escapes and GitHub workflow commands in labels, the title and the legend
    (tests/scenarios/figure-hostile-labels): text everywhere, never markup, a terminal code or a command."""
    from grader.judge.grade import Plan, grade_submission
    from grader.reports.formats.github import step_summary
    from grader.reports.render import render
    from grader.sandbox.backends import make
    from grader.spec.expected import reference_outputs

    plan = Plan.build(course, "course", reference_outputs(course))
    with make("portable") as sandbox:
        result = grade_submission(plan, ROOT / "tests/scenarios/figure-hostile-labels/submission", sandbox)
    text = render(result, "text")
    assert "\x1b" not in text and "\x07" not in text
    assert ("your figure: 1 line of 200 points from q1 = 0.1 to 0.9; x label 'q1 </svg><script>alert(1)</script>'; "
            "y label 'KL \\x1b]8;;http://evil\\x07link\\x1b]8;;\\x07'; title 'KL ::set-output name=score::100 "
            "::warning::forged'; a dashed vertical line at 0.6; a legend ('\\x1b[2J\\x1b[31mred\\x1b[0m <img "
            "src=x onerror=alert(1)>', ' ::error file=x.py::forged ::add-mask::secret')") in text
    for view in (text, render(result, "md"), step_summary(result)):
        assert not any(line.lstrip().startswith("::") for line in view.splitlines())
    html = render(result, "html")
    assert "<img" not in html and "<script>" not in html and "</svg><script>" not in html
    assert "q1 &lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_class_summary_counts_figure_checks_like_any_check(course, script_result):
    """Each figure check is a row of the batch's check list, and a student's row has its letter."""
    from grader.classroom.batch import course_meta, make_row
    from grader.classroom.summary import Summary
    from grader.judge.grade import Plan
    from grader.spec.expected import reference_outputs

    meta = course_meta(Plan.build(course, "course", reference_outputs(course)))
    rows = [(ex, name, points) for ex, name, points in meta["checks"] if name.startswith("plot_kl_sweep")]
    assert rows == [("kl_sweep", f"plot_kl_sweep: the lesson's graph: {n}", p) for n, p in
                    (("the curve", 1.5), ("the vertical marker", 0.5), ("the labels", 0.5), ("the legend", 0.25),
                     ("the number of curves", 0.25))]
    row = make_row(script_result, meta)
    first = [name for _, name, _ in meta["checks"]].index("plot_kl_sweep: the lesson's graph: the curve")
    assert row["checks"][first:first + 5] == "ppfpp"
    summary = Summary(meta)
    summary.add(row)
    tally = {t.name: (t.passed, t.failed) for t in summary.checks}
    assert tally["plot_kl_sweep: the lesson's graph: the labels"] == (0, 1)
    assert tally["plot_kl_sweep: the lesson's graph: the curve"] == (1, 0)


FIGURE_STATE = """(() => {
  const fig = document.querySelector('figure.drawn');
  fig.scrollIntoView({block: 'center'});
  const svgs = [...fig.querySelectorAll('svg')];
  const boxes = svgs.map(s => s.getBoundingClientRect());
  const texts = [...svgs[0].querySelectorAll('text')].map(t => t.textContent);
  return {count: svgs.length, widths: boxes.map(b => Math.round(b.width)),
          lines: svgs.map(s => [...s.querySelectorAll('polyline')].filter(p => p.getBBox().width > 0).length),
          scripts: document.querySelectorAll('script, img').length, texts: texts,
          external: performance.getEntriesByType('resource').length};
})()"""


def test_the_figure_report_in_a_browser_shows_both_figures_and_runs_nothing(course, tmp_path):
    """The HTML report of figure-hostile-labels in headless Chromium: the student's figure and the reference's
    are drawn side by side, the hostile labels are text, and nothing loads or runs."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "feedback"))
    from cdp import Browser, chromium

    from grader.judge.grade import Plan, grade_submission
    from grader.reports.render import render
    from grader.sandbox.backends import make
    from grader.spec.expected import reference_outputs

    binary = chromium()
    if binary is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's package)")
    plan = Plan.build(course, "course", reference_outputs(course))
    with make("portable") as sandbox:
        result = grade_submission(plan, ROOT / "tests/scenarios/figure-hostile-labels/submission", sandbox)
    page = tmp_path / "report.html"
    page.write_text(render(result, "html"), encoding="utf-8")
    with Browser(binary) as browser:
        session = browser.open(page.as_uri())
        state = browser.evaluate(session, FIGURE_STATE)
        problems = browser.problems()
    assert problems == []
    assert state["external"] == 0 and state["scripts"] == 0
    assert state["count"] == 2 and all(w >= 300 for w in state["widths"])
    assert state["lines"] == [1, 1]  # the student's curve and the reference's, each drawn
    assert "q1 </svg><script>alert(1)</script>" in state["texts"]  # the x label, as text


def test_validate_says_what_it_proved_about_the_figure():
    from grader.authoring.validate import validate

    notes = validate(ROOT).notes
    kl = next(n for n in notes if n.startswith("kl_sweep: "))
    assert kl.endswith("; the reference's figure passes its 5 figure checks and swapped-kl-arguments, natural-log, "
                       "wrong-mass-split fail the curve check")


def test_text_on_an_axis_is_refused_with_its_reason(plt):
    from grader.sandbox.worker import WrongType, coerce

    plt.plot(["low", "mid", "high"], [1.0, 2.0, 3.0])
    with pytest.raises(WrongType) as info:
        coerce(None, "figure")
    assert str(info.value) == ("expected a matplotlib Figure or Axes, got a figure with a line whose values are not "
                               "numbers (text or dates on an axis are not read): plot numbers")
