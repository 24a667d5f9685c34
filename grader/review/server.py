"""Serving the review page, as Jupyter serves a notebook: on 127.0.0.1, at an address with a random token.

Werkzeug's threaded server is enough for a handful of reviewers on one machine; it is the server Flask
itself runs on. Another address than the loopback one is served only when asked for (``--host``), with a
warning: anyone who can reach it and has the address can read every student's answers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from grader.classroom.gradebook import CanvasMap
from grader.review.app import LOOPBACK, Review, create_app
from grader.spec.course import Course

HOST_WARNING = ("Warning: serving on {host}, not only this machine: anyone who can reach it and has the address "
                "(its token) can read every answer and change every decision. Use it on a network you trust, "
                "or keep the default 127.0.0.1 and reach it through an SSH tunnel.")


def serve(out: Path, course: Course, *, host: str = "127.0.0.1", port: int = 0, canvas: CanvasMap | None = None,
          moodle: Path | None = None, reviewer: str = "", say: Callable[[str], None] = print,
          token: str | None = None) -> None:
    """Serve until Ctrl-C; prints the address (with its token) once the socket is listening."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        """No line per request on the instructor's terminal (the first one would repeat the token)."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    review = Review.open(out, course, token=token, canvas=canvas, moodle=moodle, loopback_only=host in LOOPBACK,
                         reviewer=reviewer)
    if review.applier is not None:
        review.applier.request()  # a server killed while applying left outputs behind its store: catch up first
    server = make_server(host, port, create_app(review), threaded=True, request_handler=Quiet)
    shown = f"[{host}]" if ":" in host else host
    if host not in LOOPBACK:
        say(HOST_WARNING.format(host=host))
    total = sum(len(qa.answers) for qa in review.questions.values())
    groups = sum(len(g) for g in review.groups.values())
    say(f"Reviewing {total} written answers in {groups} groups ({len(review.questions)} questions) from {out}.")
    say(f"Open this address in a browser (Ctrl-C stops the server; every decision is already saved):\n"
        f"    http://{shown}:{server.server_port}/?token={review.token}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
