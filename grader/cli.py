"""The command line: a thin layer over plain functions. Errors print ``Error: ...`` with what to do."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from grader.classroom.layout_names import LAYOUTS
from grader.errors import ExitCode, GraderError, UsageError
from grader.files import write_atomic
from grader.record import GradeResult
from grader.reports.render import FORMATS, escape_controls, figure_files, render, use_color, warm_up

if TYPE_CHECKING:
    from grader.classroom.gradebook import CanvasMap
    from grader.spec.course import Course

FORMAT_HELP = "Report format."
runner_option = click.option(
    "--runner", type=click.Choice(["confined", "portable"]),
    help="Runner for the submission's code. confined: fork server with kernel confinement (Linux; grades for "
         "credit). portable: a fresh Python per submission, any OS. Default: confined where it can run.")


def _report_output(output: Path | None, directory: Path) -> None:
    """Refuse a report path that would replace code or the quiz sheet: ``--output entropy.py`` would destroy
    the student's work (and the next check would import the report)."""
    if output is None:
        return
    inside = directory.resolve() in output.resolve().parents
    code = output.suffix in (".py", ".ipynb")
    if code or (inside and (output.name == "quiz.yaml" or ".grader" in output.parts)):
        what = "code" if code else "a file the grader reads"
        raise UsageError(f"--output {output} would replace {what}",
                         "Write the report to a file of its own, e.g. --output report.html.")


def _say(text: str, err: bool = False) -> None:
    """A message on the terminal: control characters in it (a file named ``ESC]52;...``) shown as text, never
    acting on the reader's terminal (its clipboard, its title)."""
    click.echo(escape_controls(text), err=err)


def _fail(exc: GraderError) -> None:
    _say(exc.format(), err=True)
    sys.exit(int(exc.exit_code))


class Group(click.Group):
    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except GraderError as exc:
            _fail(exc)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except BrokenPipeError:  # `grader validate | head -1`: the reader left; not a crash
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
            sys.exit(1)
        except Exception as exc:  # a bug in the grader: say so, and never blame the submission
            if os.environ.get("GRADER_DEBUG"):
                raise
            _say(f"Error: the grader itself crashed ({type(exc).__name__}: {exc}). This is a bug in the "
                 "grader, not in the submission.\nRun again with GRADER_DEBUG=1 to see the traceback, "
                 "and report it.", err=True)
            sys.exit(int(ExitCode.INTERNAL))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="infotheory-grader")
def cli() -> None:
    """Grade numeric exercises and quizzes, and explain what went wrong."""


def course_root(course_dir: Path | None) -> Path:
    """--course, else the nearest folder with a course.yaml at or above the working folder."""
    from grader.spec.course import find_course_root

    root = course_dir or find_course_root(Path.cwd())
    if root is None:
        raise UsageError("no course.yaml here or above", "Run inside the course repository or pass --course DIR.")
    return root


course_option = click.option("--course", "course_dir", type=click.Path(path_type=Path, file_okay=False),
                             help="Course folder (holds course.yaml). Default: the nearest one above here.")


@cli.command()
@course_option
@click.option("--strict", is_flag=True, help="Refuse the course on a warning too (a TODO left by grader new, a "
                                             "schema modeline that points nowhere, an unlisted exercise file).")
def validate(course_dir: Path | None, strict: bool) -> None:
    """Check course.yaml and every exercise, and run the reference on every case."""
    from grader.authoring.validate import validate as run
    root = course_root(course_dir)
    report = run(root, strict=strict)
    c = report.course

    def count(n: float, noun: str) -> str:
        return f"{n:g} {noun}{'' if n == 1 else 's'}"

    quizzes = "".join(f", quiz {q.id} ({count(len(q.questions), 'question')})" for q in c.quizzes)
    click.echo(f"{c.title}: {count(len(c.exercises), 'exercise')}, {count(report.cases, 'case')} "
               f"({report.pinned} pinned to the lesson's figures){quizzes}, {count(c.max_score, 'point')}. All valid.")
    for note in report.notes:
        click.echo(f"  {note}")
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)


@cli.group()
def new() -> None:
    """Start a new part of the course from a skeleton."""


@new.command("exercise")
@click.argument("exercise_id", metavar="ID")
@course_option
@click.option("--function", "functions", multiple=True, metavar="'NAME(PARAM, ...)'",
              help="A function the student writes (repeatable). Default: ID(probs).")
@click.option("--title", help="The exercise's title (default: 'Exercise: ID').")
@click.option("--force", is_flag=True, help="Replace exercises/ID.yaml and reference/ID.py if they exist.")
def new_exercise(exercise_id: str, course_dir: Path | None, functions: tuple[str, ...], title: str | None,
                 force: bool) -> None:
    """Write exercises/ID.yaml, reference/ID.py and the course.yaml entry."""
    from grader.authoring.new import new_exercise as run
    root = course_root(course_dir)
    written = run(root, exercise_id, title=title, functions=list(functions), force=force)
    for path in written:
        click.echo(f"wrote {path.relative_to(root.resolve()) if path.is_relative_to(root.resolve()) else path}")
    click.echo(f"Next: write the function bodies in reference/{exercise_id}.py, replace the TODOs in "
               f"exercises/{exercise_id}.yaml, then run: grader validate")


@cli.command()
@course_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder to write the student files into.")
@click.option("--force", is_flag=True, help="Replace existing stubs (and quiz.yaml) in --out.")
@click.option("--student", help="Student id whose quiz numbers quiz.yaml carries (default: the folder name).")
@click.option("--notebook", type=click.Choice(["each", "single"]), is_flag=False, flag_value="each", default=None,
              help="Write Jupyter notebooks instead of .py stubs: one per exercise (--notebook), "
                   "or one for the course (--notebook single, course.ipynb).")
def build(course_dir: Path | None, out: Path, force: bool, student: str | None, notebook: str | None) -> None:
    """Write a student folder: stubs (or notebooks), the public cases, and the quiz answer sheet quiz.yaml."""
    from grader.authoring.bundle import build as run
    from grader.spec.course import load_course

    root = course_root(course_dir)
    from grader.classroom.layouts import valid_student_id

    # the same ids grader batch accepts for a student folder, whose name picks this sheet's numbers
    if student is not None and (not student.strip() or not valid_student_id(student)):
        raise UsageError(f"--student {student!r} is not a usable id",
                         "Use the student's login or number (no / or \\, not starting with a dot).")
    written = run(load_course(root), out, force=force, student=student, notebook=notebook)
    click.echo(f"Wrote {len(written)} file{'' if len(written) == 1 else 's'} to {out}.")
    if notebook:
        names = ", ".join(p.name for p in written if p.suffix == ".ipynb")
        click.echo(f"Students work in {names}, save, and run the last cell (it runs grader check).")
    click.echo(next_steps(out))


def next_steps(out: Path) -> str:
    """What a student runs in the folder as it stands: the install line only when the folder holds the copy of the
    grader it installs (`grader init-ci` vendors it); otherwise that step is the instructor's, and said as such."""
    from grader.handoff.workflow import VENDOR_DIR

    vendored = f"./{VENDOR_DIR.as_posix()}"
    if (out / VENDOR_DIR).is_dir():
        return "\n".join([f"A student then runs, in {out}:", f"  python3 -m pip install {vendored}", "  grader check ."])
    return "\n".join([f"A student with the grader installed then runs, in {out}:", "  grader check .",
                      f"The folder holds no copy of the grader to install: grader init-ci {out} adds one "
                      f"({vendored}, the grader without the course),",
                      f"which a student installs with: python3 -m pip install {vendored}"])


@cli.command()
@click.argument("directory", required=False, default=".", type=click.Path(path_type=Path))
@course_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help=FORMAT_HELP)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report here.")
@click.option("--student", help="Student id: the report's, and whose quiz numbers are expected "
                                "(default: the folder name; never the id written on quiz.yaml).")
@click.option("--templates", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="A folder of templates that override the built-in ones.")
@runner_option
def check(directory: Path, course_dir: Path | None, fmt: str, output: Path | None, student: str | None,
          templates: Path | None, runner: str | None) -> None:
    """Grade the submission in DIRECTORY (default: here)."""
    from grader.errors import InputError
    from grader.sandbox import backends

    if not directory.is_dir():
        raise InputError(f"{directory} is not a folder", "Pass the folder that holds entropy.py and the other files.")
    _report_output(output, directory)
    with backends.open_runner(runner) as sandbox:
        # The runner starts first: its interpreter and NumPy load on the other core while this process
        # imports the grader (NumPy included) and loads the course.
        sandbox.spawn()
        threading.Thread(target=_preload, args=(sandbox.runner,), daemon=True).start()
        early = None
        if sandbox.runner == "confined" and not os.environ.get("GRADER_NO_EARLY_ROUND"):
            from grader.judge.early import Early

            early = Early(sandbox, directory, course_dir)  # the round the last check began with, if any
        try:
            from grader.authoring.session import open_course
            from grader.judge.grade import grade_submission
            session = open_course(course_dir, directory)
            backends.check_allowed(sandbox.runner, session.plan.mode, session.course.isolation)
            # This process mostly waits while the sandbox runs: Jinja2 and the template load meanwhile.
            warm = threading.Thread(target=warm_up, args=(fmt, templates), daemon=True)
            warm.start()
            result = grade_submission(session.plan, directory, sandbox, early=early,
                                      student=student or directory.resolve().name)  # never the sheet's word
            if early is not None:
                early.remember()
            warm.join()
        except BaseException:
            if early is not None:
                sandbox.signal_kill()  # leaving (a bad course, Ctrl-C): the early round need not finish
            raise
        finally:
            if early is not None:
                early.close()  # the early round ends before the sandbox closes
    if output is not None:
        _write_report(output, result, fmt, templates)
    else:
        text = render(result, fmt, templates=templates, color=fmt == "text" and use_color())
        click.echo(text, nl=False)
    _QUICK_EXIT.append(True)
    if result.grader_error:
        sys.exit(int(ExitCode.INTERNAL))


def _write_report(output: Path, result: GradeResult, fmt: str, templates: Path | None) -> None:
    """The report, written atomically; a Markdown report's figures go beside it, as the SVG files it links
    (``REPORT-figures/``), written first so that the report never links to a file that is not there yet."""

    figure_dir = f"{output.stem}-figures" if fmt == "md" else None
    files = figure_files(result, templates=templates) if figure_dir else {}
    for name, svg in files.items():
        assert figure_dir is not None
        folder = output.parent / figure_dir
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / name, svg)
    write_atomic(output, render(result, fmt, templates=templates, figure_dir=figure_dir if files else None))


def _preload(runner: str) -> None:
    """What `check` needs later and mostly waits on subprocesses for (pyseccomp looks its library up with
    ldconfig; the platform's name runs `uname -p`): done on a thread while this process imports the grader."""
    import platform

    if runner == "confined":
        import grader.sandbox.kernel  # noqa: F401
    platform.platform()


@cli.command()
@click.argument("submissions", type=click.Path(path_type=Path))
@course_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder for results/, reports/, gradebook.csv, summary.html and summary.json "
                   "(a rerun resumes here).")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
@click.option("--shard", metavar="K/N", help="Grade only shard K of N (a stable split by student id).")
@click.option("--canvas", "canvas_map", type=click.Path(path_type=Path, dir_okay=False),
              help="A Canvas map (YAML): also write canvas.csv for Canvas's gradebook import.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: only on a terminal).")
@click.option("--format", "formats", type=click.Choice(["junit", "gradescope"]), multiple=True,
              help="Also write this view per student: junit/<student>.xml, gradescope/<student>.json (repeatable).")
@click.option("--layout", type=click.Choice(LAYOUTS),
              help="The export's layout (default: detected).")
@click.option("--prefix", help="GitHub Classroom: the assignment prefix to strip from repository names "
                               "(default: the gh classroom clone prefix, when the folder is <prefix>submissions).")
@click.option("--moodle", "moodle_sheet", type=click.Path(path_type=Path, dir_okay=False),
              help="Moodle's grading worksheet (CSV): names, e-mails and team members for participant ids; "
                   "also write moodle.csv for Moodle's Upload grading worksheet.")
@click.option("--canvas-groups", type=click.Path(path_type=Path, dir_okay=False),
              help="Canvas's export of the assignment's group set (CSV): every group member gets a row.")
@click.option("--roster", type=click.Path(path_type=Path, dir_okay=False),
              help="GitHub Classroom's roster (CSV; a team column for team repositories): ids, names, members.")
@runner_option
def batch(submissions: Path, course_dir: Path | None, out: Path, jobs: int | None, shard: str | None,
          canvas_map: Path | None, progress: bool | None, formats: tuple[str, ...], layout: str | None,
          prefix: str | None, moodle_sheet: Path | None, canvas_groups: Path | None, roster: Path | None,
          runner: str | None) -> None:
    """Grade a class: SUBMISSIONS is an LMS export (Canvas, Gradescope, Moodle, GitHub Classroom repositories,
    or one folder per student), as a folder or the .zip the LMS gave you."""
    from grader.authoring.session import open_course
    from grader.classroom.batch import GRADEBOOK, SUMMARY, SUMMARY_JSON, require_posix, run_batch
    from grader.classroom.gradebook import load_canvas_map
    from grader.classroom.rosters import Rosters, read_canvas_groups, read_classroom_roster, read_moodle_worksheet
    from grader.classroom.submissions import parse_shard
    from grader.sandbox import backends

    require_posix("batch")
    shard_kn = parse_shard(shard)
    canvas = load_canvas_map(canvas_map) if canvas_map else None
    rosters = Rosters(moodle=read_moodle_worksheet(moodle_sheet) if moodle_sheet else None,
                      canvas_groups=read_canvas_groups(canvas_groups) if canvas_groups else None,
                      classroom=read_classroom_roster(roster) if roster else None)
    session = open_course(course_dir)
    if session.plan.mode != "course":
        raise UsageError("grader batch needs the course repository", "Run it inside the course or pass --course DIR.")
    if prefix is not None and layout not in (None, "classroom"):
        raise UsageError("--prefix is for GitHub Classroom repositories", "Drop --prefix, or use --layout classroom.")
    chosen = backends.preferred(runner)
    if backends.check_allowed(chosen, session.plan.mode, session.course.isolation):
        click.echo(f"Warning: {backends.BEST_EFFORT_WARNING}", err=True)
    state = run_batch(session.plan, submissions, out, jobs=jobs, shard=shard_kn, canvas=canvas, progress=progress,
                      formats=formats, layout=layout or ("classroom" if prefix is not None else None), prefix=prefix,
                      note=_say, runner=chosen, rosters=rosters)
    done = state.graded + state.skipped
    rate = f"{state.graded / state.wall:.0f}/s" if state.wall > 0 else "-"
    line = (f"Graded {state.graded} of {state.total} submissions in {state.wall:.1f} s ({rate}); "
            f"{state.skipped} unchanged since the last run were kept.")
    if state.interrupted:
        _say(f"{line}\nStopped after {done} of {state.total}. Run the same command again to grade the rest.",
                   err=True)
        sys.exit(130)
    _say(line)
    if state.summary is not None:
        s = state.summary
        _say(f"Class: {s.passed} of {s.students} passed; {s.problem_count} with errors or timeouts.")
    _reapply_reviews(out, session.course, canvas, moodle_sheet)
    if state.unknown_canvas:
        _say(f"Warning: {len(state.unknown_canvas)} student(s) are not in the Canvas map, e.g. "
                   f"{state.unknown_canvas[0]}; their canvas.csv rows have no Canvas ID.", err=True)
    if state.absent_canvas:
        click.echo(f"Warning: {len(state.absent_canvas)} student(s) of the Canvas map have no submission in this "
                   f"export, e.g. {state.absent_canvas[0]}: canvas.csv has no row for them. In a group assignment "
                   "Canvas files the group's work under one member: pass --canvas-groups (the group set's export) "
                   "so that every member gets the group's grade.", err=True)
    if state.unknown_moodle:
        click.echo(f"Warning: {len(state.unknown_moodle)} student(s) are not in the Moodle worksheet, e.g. "
                   f"{state.unknown_moodle[0]}; moodle.csv has no row for them.", err=True)
    written = [GRADEBOOK, SUMMARY, SUMMARY_JSON] + (["canvas.csv"] if canvas else []) + \
        (["moodle.csv"] if moodle_sheet else [])
    click.echo("Wrote " + ", ".join(str(out / name) for name in written) + ".")
    _report_export(state)


MAX_SKIPPED_LINES = 20


def _report_export(state: Any) -> None:
    """Rows that are whole groups, and entries of the export that were not graded: on stderr, whatever else
    was printed; exit 5 when one of those entries looks like a student's submission."""
    for group in state.groups:
        click.echo(f"Warning: the row {group}", err=True)
    if state.groups:
        click.echo(f"Warning: {len(state.groups)} gradebook row(s) stand for a whole group, not one student; "
                   "pass the LMS's roster (--moodle, --canvas-groups or --roster) to give each member a row.",
                   err=True)
    students = [d for d in state.dropped if d["student"]]
    others = [d for d in state.dropped if not d["student"]]
    for d in students:  # names from the export: _say shows their control characters as text
        _say(f"Not graded: {d['entry']}: {d['reason']}", err=True)
    for d in others[:MAX_SKIPPED_LINES]:
        _say(f"Skipped: {d['entry']}: {d['reason']}", err=True)
    if len(others) > MAX_SKIPPED_LINES:
        click.echo(f"Skipped: {len(others) - MAX_SKIPPED_LINES} more entries (all listed in summary.html and run.json).",
                   err=True)
    not_graded = getattr(state, "not_graded", 0)  # submissions charged to their student (issue 22)
    if not_graded:
        _say(f"{not_graded} submission(s) could not be graded, each for a reason of its own (0 points, listed "
             "under problems in summary.html); everyone else was graded.", err=True)
    if students:
        click.echo(f"Error: {len(students)} entr{'y' if len(students) == 1 else 'ies'} of the export look like a "
                   "student's submission but could not be graded (listed above and in summary.html); every "
                   "student found was graded.", err=True)
    if students or not_graded:
        sys.exit(int(ExitCode.DROPPED))


def _reapply_reviews(out: Path, course: Course, canvas: CanvasMap | None, moodle: Path | None) -> None:
    """After a batch: the review decisions of unchanged answers go back into the regraded records."""
    from grader.review.store import DB_FILE

    if not (out / DB_FILE).is_file():
        return
    from grader.review.apply import apply

    done = apply(out, course, canvas, moodle)
    stale = f"; {done.stale} changed since their review" if done.stale else ""
    click.echo(f"Reviews: {done.reviewed} written answers keep their decisions; {done.pending} are awaiting "
               f"review{stale} (grader review {out}).")


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False, exists=True))
@course_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but 127.0.0.1 lets other machines in (see the README's warning).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port (default: a free one).")
@click.option("--canvas", "canvas_map", type=click.Path(path_type=Path, dir_okay=False),
              help="The Canvas map the batch used, so canvas.csv is rewritten with the reviewed points.")
@click.option("--moodle", "moodle_sheet", type=click.Path(path_type=Path, dir_okay=False),
              help="The Moodle grading worksheet the batch used, so moodle.csv is rewritten with the reviewed points.")
@click.option("--reviewer", default="", help="Your name, put on your decisions (editable on the page).")
@click.option("--apply", "apply_only", is_flag=True, help="Apply the saved decisions to OUT and stop (no server).")
@click.option("--export", "export_to", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the decisions to this YAML file and stop.")
@click.option("--import", "import_from", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Load decisions from this YAML file (checked first), apply them, and stop.")
def review(out: Path, course_dir: Path | None, host: str, port: int, canvas_map: Path | None,
           moodle_sheet: Path | None, reviewer: str, apply_only: bool, export_to: Path | None,
           import_from: Path | None) -> None:
    """Review the written answers of a batch's OUT folder in the browser, or export, import and apply decisions."""
    from grader.classroom.gradebook import load_canvas_map
    from grader.review.apply import apply
    from grader.review.exchange import export, import_file
    from grader.spec.course import load_course

    if sum(map(bool, (apply_only, export_to, import_from))) > 1:
        raise UsageError("--apply, --export and --import are separate steps", "Give one of them at a time.")
    root = course_root(course_dir)
    course = load_course(root)
    canvas = load_canvas_map(canvas_map) if canvas_map else None
    if export_to is not None:
        count = export(out, course, export_to)
        click.echo(f"Wrote {count} decisions to {export_to}.")
        return
    if import_from is not None:
        count = import_file(out, course, import_from)
        click.echo(f"Loaded {count} decisions from {import_from}.")
    if import_from is not None or apply_only:
        done = apply(out, course, canvas, moodle_sheet)
        click.echo(f"Applied: {done.reviewed} written answers reviewed, {done.pending} awaiting review; "
                   f"{len(done.changed)} records updated, with gradebook.csv and summary.html.")
        if done.unreadable:
            click.echo(f"Warning: {len(done.unreadable)} result record(s) could not be read, e.g. "
                       f"{done.unreadable[0]}; run the same grader batch command again to regrade them.", err=True)
        return
    try:
        import flask  # noqa: F401
        import rapidfuzz  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"grader review's page needs {exc.name}, which is not installed",
                         "Install the review extra: pip install 'infotheory-grader[review]'. (--apply, --export and "
                         "--import work without it.)") from None
    from grader.review.server import serve

    serve(out, course, host=host, port=port, canvas=canvas, moodle=moodle_sheet, reviewer=reviewer, say=click.echo)


@cli.command()
@click.argument("outputs", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder for the merged results, gradebook and summary.")
@click.option("--canvas", "canvas_map", type=click.Path(path_type=Path, dir_okay=False),
              help="A Canvas map (YAML): also write canvas.csv.")
@click.option("--moodle", "moodle_sheet", type=click.Path(path_type=Path, dir_okay=False),
              help="Moodle's grading worksheet (CSV): also write moodle.csv for Upload grading worksheet.")
@click.option("--course", "course_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Course folder (holds course.yaml), needed when the shards hold review decisions. "
                   "Default: the nearest one above here.")
def merge(outputs: tuple[Path, ...], out: Path, canvas_map: Path | None, moodle_sheet: Path | None,
          course_dir: Path | None) -> None:
    """Combine the --out folders of 'grader batch --shard' runs into one gradebook and summary.

    Review decisions made on the shards (their reviews.sqlite) are carried into --out and applied there.
    """
    from grader.classroom.batch import GRADEBOOK, SUMMARY, SUMMARY_JSON
    from grader.classroom.batch import merge as run
    from grader.classroom.gradebook import load_canvas_map
    from grader.classroom.rosters import read_moodle_worksheet

    canvas = load_canvas_map(canvas_map) if canvas_map else None
    if moodle_sheet is not None:
        read_moodle_worksheet(moodle_sheet)  # refused now, not after the merge
    reviewed = _reviewed_course(list(outputs), out, course_dir)  # refused now too: no decision left behind
    count, unknown = run(list(outputs), out, canvas, moodle_sheet)
    written = [GRADEBOOK, SUMMARY, SUMMARY_JSON] + (["moodle.csv"] if moodle_sheet else [])
    click.echo(f"Merged {count} student{'' if count == 1 else 's'} from {len(outputs)} "
               f"folder{'' if len(outputs) == 1 else 's'}. Wrote " + ", ".join(str(out / n) for n in written) + ".")
    if unknown:
        _say(f"Warning: {len(unknown)} student(s) are not in the Canvas map, e.g. {unknown[0]}.", err=True)
    if reviewed is not None:
        _carry_reviews(list(outputs), out, reviewed, canvas, moodle_sheet)
    import json
    from types import SimpleNamespace

    from grader.classroom.batch import RUN, export_problems

    dropped, groups = export_problems(json.loads((out / RUN).read_text("utf-8"))["runs"])
    _report_export(SimpleNamespace(dropped=dropped, groups=groups))  # what the shards' batches said, once


def _reviewed_course(outputs: list[Path], out: Path, course_dir: Path | None) -> Course | None:
    """The course, when a shard (or --out, merged into before) holds review decisions: they are applied after
    the merge, which needs the rubrics. Without a course the merge is refused before it writes anything."""
    from grader.review.shards import holding_reviews
    from grader.spec.course import find_course_root, load_course

    holding = holding_reviews([*outputs, out] if out.is_dir() else outputs)
    if not holding:
        return None
    root = course_dir or find_course_root(Path.cwd())
    if root is None:
        names = ", ".join(str(f / "reviews.sqlite") for f in holding)
        raise UsageError(f"{names} hold{'s' if len(holding) == 1 else ''} review decisions, and applying them "
                         "to the merge needs the course's rubrics: no course.yaml here or above",
                         "Run grader merge inside the course repository or pass --course DIR.")
    return load_course(root)


def _carry_reviews(outputs: list[Path], out: Path, course: Course, canvas: CanvasMap | None,
                   moodle: Path | None) -> None:
    """The shards' review decisions into --out's store, applied; every conflict between two shards named."""
    from grader.review.apply import apply
    from grader.review.shards import carry, describe

    carried = carry(outputs, out)
    for conflict in carried.conflicts:
        folder, kept = conflict.kept
        who = f"{kept.student}'s answer" if kept.student else "every answer"
        click.echo(f"Warning: {kept.question}: {who} with hash {kept.answer_hash} was decided differently on two "
                   f"shards. Kept the later decision, {describe(kept)} ({folder}); superseded: "
                   + "; ".join(f"{describe(d)} ({f})" for f, d in conflict.superseded)
                   + ". All stay in the history; decide it again on grader review's page if the kept one is wrong.",
                   err=True)
    done = apply(out, course, canvas, moodle)
    stale = f"; {done.stale} changed since their review" if done.stale else ""
    shards = len(carried.sources)
    click.echo(f"Reviews: carried {carried.decisions} decision{'' if carried.decisions == 1 else 's'} from {shards} "
               f"shard{'' if shards == 1 else 's'} into {out / 'reviews.sqlite'} and applied them: {done.reviewed} "
               f"written answers reviewed, {done.pending} awaiting review{stale}.")
    if carried.conflicts:
        click.echo(f"Warning: {len(carried.conflicts)} answer(s) were decided differently on two shards (listed "
                   "above); the later decision of each is applied.", err=True)


@cli.command()
@click.argument("directory", required=False, default=".", type=click.Path(path_type=Path))
@course_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help=FORMAT_HELP)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report here (the text report still goes to the log).")
@click.option("--student", help="Student id shown in the report (default: the folder name).")
@click.option("--templates", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="A folder of templates that override the built-in ones.")
@runner_option
def ci(directory: Path, course_dir: Path | None, fmt: str, output: Path | None, student: str | None,
       templates: Path | None, runner: str | None) -> None:
    """Grade DIRECTORY for CI: exit 1 below the pass threshold, else 0.

    On GitHub Actions it also writes the job summary, annotates the failing lines (at most 10), and
    sets the step output `result` that GitHub Classroom's grading reporter reads.
    """
    from grader.handoff import ci as run
    from grader.reports.formats.github import command

    env = run.default_env()
    _report_output(output, directory)
    try:
        result = run.grade_folder(directory, course_dir, student, runner)
    except GraderError as exc:
        if run.on_github(env):
            click.echo(command("error", exc.format(), title="grader ci could not grade"), err=True)
        raise
    report_on_stdout = output is None and fmt != "text"
    if output is not None:
        _write_report(output, result, fmt, templates)
    # Every view on stdout goes through print_report, which fences it with ::stop-commands:: on GitHub
    # whatever the format: student output inside a Markdown or HTML report must not issue workflow commands.
    run.print_report(render(result, fmt if report_on_stdout else "text", templates=templates), env, click.echo)
    if run.on_github(env):
        run.report_to_github(result, directory, env, lambda line: click.echo(line, err=report_on_stdout))
    sys.exit(int(run.exit_code(result)))


@cli.group()
def export() -> None:
    """Package the course for a learning platform."""


@export.command("gradescope")
@course_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=Path("autograder.zip"),
              show_default=True, help="The zip to upload to Gradescope.")
def export_gradescope(course_dir: Path | None, out: Path) -> None:
    """Write a Gradescope autograder zip that grades with every case, hidden ones included."""
    from grader.handoff.autograder import export_gradescope as run
    from grader.spec.course import load_course

    if out.suffix.lower() != ".zip":  # Gradescope takes a zip; anything else named here would be overwritten
        raise UsageError(f"--out {out}: the autograder is a zip file, so its name ends in .zip",
                         "Pass e.g. --out autograder.zip.")
    root = course_root(course_dir)
    entries = run(load_course(root), out)
    click.echo(f"Wrote {out} ({len(entries)} files, {out.stat().st_size // 1024} KiB). Upload it in Gradescope: "
               "Configure Autograder > Zip file upload.")


@cli.command("init-ci")
@click.argument("directory", required=False, default=".", type=click.Path(path_type=Path, file_okay=False))
@click.option("--kind", type=click.Choice(["student", "course"]),
              help="Repository kind (default: course if DIRECTORY has course.yaml, student if it has .grader/).")
@click.option("--install", metavar="REQUIREMENT",
              help="pip requirement for the grader (default: a copy vendored into .grader/grader-src).")
@click.option("--classroom/--no-classroom", default=True, show_default=True,
              help="Student repos: report points to GitHub Classroom.")
@click.option("--force", is_flag=True, help="Replace an existing workflow.")
def init_ci(directory: Path, kind: str | None, install: str | None, classroom: bool, force: bool) -> None:
    """Write a GitHub Actions workflow that runs grader ci.

    It goes to DIRECTORY/.github/workflows/grader.yml, with actions pinned to commit SHAs and the least
    permissions; a student repository also reports its points to GitHub Classroom.
    """
    from grader.handoff.workflow import init_ci as run

    written = run(directory, kind=kind, install=install, classroom=classroom, force=force)
    for path in written:
        click.echo(f"Wrote {path}")


def _printable_output() -> None:
    """A console or pipe whose encoding lacks ✓ and ✗ (Windows code pages) gets '?' instead of a crash."""
    for stream in (sys.stdout, sys.stderr):
        try:
            "✓✗·…".encode(stream.encoding or "ascii")
        except (LookupError, UnicodeEncodeError):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="replace")


# Commands after which nothing is left to tear down: their outputs are written (atomically) and their
# runner closed before they return, so the console entry point ends the process at once instead of letting
# the interpreter unload NumPy, Jinja2 and the rest (about 40 ms of a 0.5 s `grader check`).
_QUICK_EXIT: list[bool] = []


def main() -> None:
    _printable_output()
    try:
        cli(prog_name="grader")
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if not _QUICK_EXIT or not isinstance(code, int | None):
        raise SystemExit(code)
    import atexit

    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)  # what was registered still runs (CPython)
    if run_exitfuncs is not None:
        run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code or 0)
