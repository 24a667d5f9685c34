"""A student's matplotlib figure, turned into plain data inside the worker (``returns: figure``).

Runs where the student's code runs, so nothing here is trusted by the grader: the description it builds is
checked again by grader.sandbox.figure_data in the fork server and in the grader. What this module does is
make honest figures readable and hostile ones fail cleanly:

- ``prepare``: matplotlib with the Agg backend whatever the student asks for, ``plt.show()`` a no-op, and
  its config and cache folders inside the submission's private sandbox copy;
- ``describe``: the figure returned (a ``Figure``, an ``Axes``, or None after drawing on the current
  figure) as the capped description of grader.sandbox.figure_data. Only matplotlib's own classes are read,
  through the base classes' methods, so a subclass cannot answer for itself; a line longer than
  ``MAX_POINTS`` keeps only its count.

matplotlib is imported only here and only for a course that has a figure function (the fork server has its
template, which forks the workers, call ``preload`` once for such a course), so a course without figures never pays for it.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

from grader.sandbox.figure_data import (
    FORMAT,
    MAX_AXES,
    MAX_LINES,
    MAX_MARKS,
    MAX_POINTS,
    MAX_TEXT,
    MAX_TEXTS,
    MAX_TOTAL,
)

INSTALL_HINT = ("matplotlib is not installed, and this exercise draws a figure: install it with "
                "`pip install matplotlib` (or `pip install 'infotheory-grader[figures]'`)")


class FigureError(Exception):
    """The value is not a figure the grader can read; the message says why, for the student."""


def preload(config_dir: str | None = None) -> bool:
    """Import matplotlib and pyplot with Agg (the fork server, once, for a course with a figure function).

    Its font cache is built here, in a private folder, so that a worker never scans fonts. Returns whether
    matplotlib could be imported; a worker without it reports the install hint."""
    if "matplotlib.pyplot" in sys.modules:
        return True
    os.environ["MPLBACKEND"] = "Agg"
    if config_dir is not None:
        os.environ["MPLCONFIGDIR"] = config_dir
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot
    except ImportError:
        return False
    return True


def cache_folder() -> str:
    """The fork server's matplotlib folder (its font cache, kept between runs): this user's own, private one
    in the temporary folder, or a fresh one when that name is taken by someone else."""
    import tempfile

    folder = os.path.join(tempfile.gettempdir(), f"grader-matplotlib-{os.getuid() if hasattr(os, 'getuid') else 0}")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.lstat(folder)
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o077 or os.path.islink(folder)):
            raise PermissionError(folder)
    except OSError:
        folder = tempfile.mkdtemp(prefix="grader-matplotlib-")
    return folder


def _no_show(*args: Any, **kwargs: Any) -> None:
    """plt.show() in the grader: the figure stays open, to be returned or taken as the current figure."""


_PREPARED: list[str] = []  # the sandbox matplotlib was prepared for, in this process


def environment(sandbox: str) -> None:
    """Before the student's file is imported: matplotlib, when it loads, uses Agg and keeps its config and
    cache inside ``sandbox`` (environment variables only, so a worker that never draws never imports it);
    a fork server that preloaded matplotlib has it prepared here at once."""
    folder = os.path.join(sandbox, ".matplotlib")
    os.makedirs(folder, exist_ok=True)
    os.environ["MPLCONFIGDIR"] = folder
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib.pyplot" in sys.modules:
        try:
            prepare(sandbox)
        except FigureError:
            pass  # said at the figure function's first call


def prepare(sandbox: str) -> None:
    """Before a figure function's call (and, when matplotlib is preloaded, before the student's import): Agg
    whatever the student set, a no-op show, config and cache inside ``sandbox``. Done once per process.

    Raises FigureError with the install hint when matplotlib is missing."""
    if [sandbox] == _PREPARED:
        return
    folder = os.path.join(sandbox, ".matplotlib")
    os.makedirs(folder, exist_ok=True)
    os.environ["MPLCONFIGDIR"] = folder
    os.environ["MPLBACKEND"] = "Agg"
    try:
        import matplotlib
        import matplotlib.pyplot as plt
    except ImportError:
        raise FigureError(INSTALL_HINT) from None
    # Preloaded by the fork server, matplotlib already remembers the server's folders: point it here.
    matplotlib.get_configdir = lambda: folder  # type: ignore[assignment]
    matplotlib.get_cachedir = lambda: folder  # type: ignore[assignment]
    if not getattr(matplotlib.use, "_grader_agg", False):
        original_use, original_switch = matplotlib.use, plt.switch_backend

        def agg_only(*args: Any, **kwargs: Any) -> None:
            original_use("agg", force=True)  # no window can open in the sandbox, whatever the student asks for

        def switch_to_agg(*args: Any, **kwargs: Any) -> None:
            original_switch("agg")

        agg_only._grader_agg = True  # type: ignore[attr-defined]
        matplotlib.use = agg_only
        plt.switch_backend = switch_to_agg
    if str(matplotlib.get_backend()).lower() != "agg":  # preloaded by the fork server: Agg already
        matplotlib.use("agg")
    plt.show = _no_show
    _PREPARED[:] = [sandbox]


def drawn(draw: Any) -> dict[str, Any]:
    """The description of the figure ``draw()`` makes, in the grader's own (trusted) process: the reference's
    figure and each misconception's. ``plt.show()`` does nothing meanwhile; the figure is closed after."""
    import warnings

    preload()
    import matplotlib.pyplot as plt

    plt.close("all")
    show = plt.show
    plt.show = _no_show
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = draw()
        return describe(value)
    finally:
        plt.show = show
        plt.close("all")


def before_call() -> None:
    """A figure call starts on a clean slate: no figure left over from an earlier call."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


def _text(value: Any) -> str:
    text = value if type(value) is str else ""
    return text[:MAX_TEXT]


def _float(value: Any) -> float:
    v = float(value)
    return v if math.isfinite(v) else (math.nan if v != v else v)


def _data(values: Any) -> tuple[int, list[float] | None]:
    """The count of ``values`` and, up to MAX_POINTS of them, the values as floats."""
    import numpy as np

    n = int(np.size(values)) if type(values) is np.ndarray else len(values)
    if n > MAX_POINTS:
        return n, None
    try:
        array = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise FigureError("a figure with a line whose values are not numbers (text or dates on an axis are not "
                          "read): plot numbers") from None
    if array.size != n:
        raise FigureError("a line whose data is not a flat list of numbers")
    return n, [float(v) for v in array.tolist()]


def _spend(budget: list[int], n: int) -> None:
    budget[0] -= n
    if budget[0] < 0:
        raise FigureError(f"a figure with more than {MAX_TOTAL} points in all (the grader reads at most that many)")


def _color(artist_color: Any) -> str:
    from matplotlib.colors import to_hex

    try:
        return to_hex(artist_color)
    except (ValueError, TypeError):
        return ""


def _label(raw: Any) -> str:
    text = _text(raw)
    return "" if text.startswith("_") else text  # "_child0": matplotlib's name for a line without a label


def _figure_of(value: Any) -> Any:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    plt = sys.modules["matplotlib.pyplot"]
    if value is None:
        if not plt.get_fignums():
            raise FigureError("None, and nothing was drawn: draw with matplotlib and return the Figure "
                              "(plt.gcf()) or the Axes")
        value = plt.gcf()
    if type(value) is Axes:
        value = Axes.get_figure(value, root=True)
    if type(value) is SubFigure:
        value = SubFigure.get_figure(value, root=True)
    if type(value) is not Figure:
        if isinstance(value, (Figure, Axes)):
            raise FigureError(f"an object of a class derived from matplotlib's ({type(value).__name__[:60]}); "
                              "return the Figure or Axes matplotlib made")
        raise FigureError(None)
    return value


def _marks(ax: Any, line: Any, Axes: Any) -> str | None:
    """'v' for an axvline, 'h' for an axhline (drawn in axes coordinates across the plot), else None."""
    from matplotlib.artist import Artist

    transform = Artist.get_transform(line)
    if transform == Axes.get_xaxis_transform(ax, which="grid"):
        return "v"
    if transform == Axes.get_yaxis_transform(ax, which="grid"):
        return "h"
    return None


def _axes(ax: Any, budget: list[int]) -> dict[str, Any]:
    from matplotlib.axes import Axes
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.lines import Line2D
    from matplotlib.text import Text

    lines: list[dict[str, Any]] = []
    vlines: list[dict[str, Any]] = []
    hlines: list[dict[str, Any]] = []
    scatter: list[dict[str, Any]] = []
    texts: list[dict[str, Any]] = []
    for line in list(Axes.get_lines(ax))[: MAX_LINES + 2 * MAX_MARKS]:
        if type(line) is not Line2D:
            continue
        kind = _marks(ax, line, Axes)
        style = _text(Line2D.get_linestyle(line))
        label = _label(Line2D.get_label(line))
        color = _color(Line2D.get_color(line))
        if kind is not None:
            data = Line2D.get_xdata(line) if kind == "v" else Line2D.get_ydata(line)
            n, values = _data(data)
            if values and len(set(values)) == 1:
                mark = {"at": values[0], "label": label, "style": style, "color": color}
                target = vlines if kind == "v" else hlines
                if len(target) < MAX_MARKS:
                    target.append(mark)
                continue
        if len(lines) >= MAX_LINES:
            continue
        n, xs = _data(Line2D.get_xdata(line))
        m, ys = _data(Line2D.get_ydata(line))
        if n != m:
            raise FigureError("a line whose x and y data have different lengths")
        _spend(budget, n if xs is not None else 0)
        lines.append({"label": label, "style": style, "color": color, "marker": _text(str(Line2D.get_marker(line))),
                      "n": n, "x": xs, "y": ys})
    for coll in list(ax.collections)[:MAX_LINES]:
        if type(coll) is PathCollection and len(lines) + len(scatter) < MAX_LINES:
            offsets: Any = PathCollection.get_offsets(coll)
            n = len(offsets)
            xs = ys = None
            if n <= MAX_POINTS:
                import numpy as np

                pts = np.asarray(offsets, dtype=float).reshape(-1, 2)
                xs, ys = [float(v) for v in pts[:, 0]], [float(v) for v in pts[:, 1]]
                _spend(budget, n)
            faces = PathCollection.get_facecolor(coll)
            scatter.append({"label": _label(PathCollection.get_label(coll)), "n": n, "x": xs, "y": ys,
                            "color": _color(faces[0]) if len(faces) else ""})
        elif type(coll) is LineCollection:  # ax.vlines / ax.hlines
            for seg in list(LineCollection.get_segments(coll))[:MAX_MARKS]:
                if len(seg) == 2 and float(seg[0][0]) == float(seg[1][0]) and len(vlines) < MAX_MARKS:
                    vlines.append({"at": float(seg[0][0]), "label": _label(LineCollection.get_label(coll)),
                                   "style": "-", "color": ""})
                elif len(seg) == 2 and float(seg[0][1]) == float(seg[1][1]) and len(hlines) < MAX_MARKS:
                    hlines.append({"at": float(seg[0][1]), "label": _label(LineCollection.get_label(coll)),
                                   "style": "-", "color": ""})
    for t in list(ax.texts)[:MAX_TEXTS]:
        if type(t) is Text:
            x, y = Text.get_position(t)
            texts.append({"text": _text(Text.get_text(t)), "x": _float(x), "y": _float(y)})
    legend = Axes.get_legend(ax)
    xlim, ylim = Axes.get_xlim(ax), Axes.get_ylim(ax)
    return {
        "title": _text(Axes.get_title(ax)), "xlabel": _text(Axes.get_xlabel(ax)), "ylabel": _text(Axes.get_ylabel(ax)),
        "xscale": _text(Axes.get_xscale(ax)), "yscale": _text(Axes.get_yscale(ax)),
        "xlim": [_float(xlim[0]), _float(xlim[1])], "ylim": [_float(ylim[0]), _float(ylim[1])],
        "legend": None if legend is None else [_text(Text.get_text(t)) for t in legend.get_texts()
                                               if type(t) is Text][: MAX_LINES + 2 * MAX_MARKS],
        "lines": lines, "vlines": vlines, "hlines": hlines, "scatter": scatter, "texts": texts,
    }


def describe(value: Any) -> dict[str, Any]:
    """The plain description of the figure ``value`` stands for (grader.sandbox.figure_data's shape).

    Raises FigureError when ``value`` is not a figure (its message is None: the caller names the value)."""
    if "matplotlib.pyplot" not in sys.modules:
        if value is None:
            raise FigureError("None, and nothing was drawn with matplotlib: return the Figure (plt.gcf()) or the Axes")
        raise FigureError(None)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    try:
        fig = _figure_of(value)
        axes = [ax for ax in list(Figure.get_axes(fig))[:MAX_AXES] if type(ax) is Axes]
        budget = [MAX_TOTAL]
        described = [_axes(ax, budget) for ax in axes]
        suptitle = getattr(fig, "_suptitle", None)
        title = _text(Text.get_text(suptitle)) if type(suptitle) is Text else ""
    finally:
        try:  # read once; a later call starts from no figure
            sys.modules["matplotlib.pyplot"].close("all")
        except BaseException:  # a hostile figure's own code, run by close(): the verdict is already made
            pass
    return {"kind": FORMAT, "suptitle": title, "axes": described}
