"""Student notebooks for ``grader build --notebook``: one per exercise, or one for the course (``single``).

Each notebook is valid nbformat v4 and holds markdown cells with the exercise's title, intuition and each
function's docstring, one code cell per function stub tagged with the function's name (so the grader takes
exactly those cells, grader.sandbox.notebook), a ``setup`` cell for the imports, and a last cell that runs
the local public check with the kernel's own Python (``!"{sys.executable}" -m grader check .``), which
works in Jupyter and VS Code alike without ``grader`` on the shell's PATH.
"""

from __future__ import annotations

from grader.judge.sources import COURSE_NOTEBOOK
from grader.sandbox.notebook import SETUP_TAG
from grader.spec.course import Course, Exercise

CHECK_TAG = "check"
SETUP_SOURCE = "import numpy as np"
CHECK_SOURCE = ('# Save the notebook first (Ctrl+S / Cmd+S): the check grades the saved file, not the running kernel.\n'
                'import sys\n'
                '!"{sys.executable}" -m grader check .')
HOW_TO = ("Write each function in the code cell below its description. Keep the cells' tags (the function's "
          f"name, or `{SETUP_TAG}` for imports and helpers): the grader takes those cells, in order, and ignores "
          "the others, outputs and `%`/`!` lines included. Then save the notebook and run the last cell.")


def notebook_names(course: Course, mode: str) -> list[str]:
    """The notebooks ``grader build --notebook MODE`` writes (``each`` or ``single``)."""
    return [COURSE_NOTEBOOK] if mode == "single" else [f"{ex.module}.ipynb" for ex in course.exercises]


def _exercise_cells(ex: Exercise, heading: str, stub) -> list:
    from nbformat.v4 import new_code_cell, new_markdown_cell

    cells = [new_markdown_cell(f"{heading} {ex.title}\n\n{ex.intuition}")]
    for fn in ex.functions.values():
        text = f"{heading}# `{fn.name}({', '.join(fn.params)})`\n\n{fn.doc.strip()}"
        if fn.intuition:
            text += f"\n\n**The idea.** {fn.intuition}"
        cells.append(new_markdown_cell(text))
        cells.append(new_code_cell(stub(fn).strip("\n"), metadata={"tags": [fn.name]}))
    return cells


def _written_cells(course: Course) -> list:
    """The quiz's written questions, each followed by an empty Markdown cell tagged with its id: the student writes
    the answer there (grader.judge.written reads a tagged cell when the sheet's block is empty)."""
    from nbformat.v4 import new_markdown_cell

    cells: list = []
    for quiz in course.quizzes:
        for q in quiz.questions:
            if q.type != "text":
                continue
            if not cells:
                cells.append(new_markdown_cell(
                    "## In your own words\n\nWrite each answer in the empty Markdown cell below its question and keep "
                    "the cell's tag (the question's id). You may answer in `quiz.yaml` instead; your instructor "
                    "grades these answers."))
            cells.append(new_markdown_cell(f"### `{q.id}` ({q.points:g} points)\n\n{q.text}"))
            cells.append(new_markdown_cell("", metadata={"tags": [q.id]}))
    return cells


def _notebook(title_cells: list, body: list):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cells = [*title_cells, new_code_cell(SETUP_SOURCE, metadata={"tags": [SETUP_TAG]}), *body,
             new_markdown_cell("## Check your work\n\nSave the notebook, then run this cell: it grades the saved "
                               "notebook against the public cases, in the grader's sandbox."),
             new_code_cell(CHECK_SOURCE, metadata={"tags": [CHECK_TAG]})]
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(nb)
    return nb


def student_notebooks(course: Course, mode: str, stub) -> dict[str, str]:
    """file name -> notebook JSON; ``stub(fn)`` is a function's stub source (as in the ``.py`` stubs)."""
    import nbformat
    from nbformat.v4 import new_markdown_cell

    if mode == "single":
        title = [new_markdown_cell(f"# {course.title}\n\n*{course.lesson}*\n\n{HOW_TO}")]
        body = [cell for ex in course.exercises for cell in _exercise_cells(ex, "##", stub)] + _written_cells(course)
        return {COURSE_NOTEBOOK: nbformat.writes(_notebook(title, body)) + "\n"}
    out = {}
    for ex in course.exercises:
        cells = _exercise_cells(ex, "#", stub)
        cells[0].source += f"\n\n{HOW_TO}"
        out[f"{ex.module}.ipynb"] = nbformat.writes(_notebook(cells[:1], cells[1:])) + "\n"
    return out

