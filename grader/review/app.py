"""The review page: a small Flask application over a batch's OUT folder.

Every answer on it is hostile text, so: Jinja2 autoescapes every page, the Content-Security-Policy allows
scripts from this server's own /static only (no inline script, no eval, nothing from elsewhere), the script
writes student text with ``textContent`` only, requests are capped in size, and every request needs the
token the command printed. A page is opened with ``?token=`` once, which sets an HttpOnly, SameSite=Strict
cookie; a state-changing request must also carry the token in its body or an ``X-Review-Token`` header,
which another site cannot read, so the cookie alone never suffices. While bound to the loopback address the
Host header must name it too (no DNS rebinding).

Decisions are written to SQLite at once, one transaction each (``store``), and applied to the batch's
outputs by one background thread (``Applier``), so a large group never makes the page wait on rendering.
"""

from __future__ import annotations

import secrets
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.classroom.gradebook import CanvasMap
from grader.reports.render import default_templates, environment
from grader.review import store
from grader.review.answers import QuestionAnswers, collect
from grader.review.apply import Applied, apply, rubric_score
from grader.review.groups import Group, group_answers
from grader.spec.course import Course

COOKIE = "grader_review_token"
MAX_REQUEST = 64 * 1024  # a decision is a few ids and a comment
MAX_COMMENT = 2000
MAX_REVIEWER = 80
MAX_ITEMS = 50
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
STATIC = {"review.js": "text/javascript", "review.css": "text/css"}
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class Applier:
    """One thread that applies decisions to the batch's outputs, as often as they arrive (coalesced)."""

    def __init__(self, out: Path, course: Course, canvas: CanvasMap | None, moodle: Path | None = None) -> None:
        self.out, self.course, self.canvas, self.moodle = out, course, canvas, moodle
        self.wanted = 0  # decisions saved
        self.done = 0  # decisions whose application has finished
        self.last: Applied | None = None
        self.error: str | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="grader-review-apply", daemon=True)
        self._thread.start()

    def request(self) -> None:
        with self._cond:
            self.wanted += 1
            self._cond.notify()

    def idle(self) -> bool:
        with self._cond:
            return self.done >= self.wanted

    def _run(self) -> None:
        while True:
            with self._cond:
                while self.done >= self.wanted:
                    self._cond.wait()
                target = self.wanted
            try:
                self.last = apply(self.out, self.course, self.canvas, self.moodle, wait=True)
                self.error = None
            except Exception:  # shown on the page; the decisions are safe in the store whatever happens here
                self.error = traceback.format_exc(limit=3)
            with self._cond:
                self.done = target


@dataclass
class Review:
    """What the application serves: the course, the batch's answers grouped per question, the store's folder."""

    out: Path
    course: Course
    token: str
    questions: dict[str, QuestionAnswers]
    groups: dict[str, list[Group]]
    applier: Applier | None = None
    unreadable: list[str] = field(default_factory=list)  # records that could not be read, named on the index
    loopback_only: bool = True
    reviewer: str = ""
    templates: Path = field(default_factory=default_templates)

    @classmethod
    def open(cls, out: Path, course: Course, *, token: str | None = None, canvas: CanvasMap | None = None,
             moodle: Path | None = None, apply_decisions: bool = True, loopback_only: bool = True,
             reviewer: str = "") -> Review:
        unreadable: list[str] = []
        questions = collect(out, course, unreadable)
        groups = {key: group_answers(qa.question, qa.answers) for key, qa in questions.items()}
        store.connect(out).close()  # create the store (and its WAL) before the first request
        applier = Applier(out, course, canvas, moodle) if apply_decisions else None
        return cls(out, course, token or secrets.token_urlsafe(32), questions, groups, applier, unreadable,
                   loopback_only, reviewer)

    def decisions(self) -> store.Decisions:
        return store.read(self.out)


def group_state(review: Review, key: str, group: Group, decisions: store.Decisions) -> dict[str, Any]:
    """A group as the page shows it: which students are decided, by whom, and with which items."""
    question = review.questions[key].question
    decided: dict[str, store.Decision] = {}
    for v in group.variants:
        for s in v.students:
            d = decisions.find(key, s, v.hash)
            if d is not None:
                decided[s] = d
    first = decisions.by_hash.get((key, group.id))
    shown = first or (next(iter(decided.values())) if decided else None)
    ticked = set(shown.items) if shown else set(group.suggestions)
    own = {s: d for s, d in decided.items() if d.student}
    score = rubric_score(question, tuple(shown.items)) if shown else None
    if len(decided) == group.size and shown is not None:
        status = (f"reviewed{' by ' + shown.reviewer if shown.reviewer else ''} · {score:g} of "
                  f"{question.points:g} points")
    elif decided:
        status = f"{len(decided)} of {group.size} reviewed"
    else:
        status = "not reviewed yet"
    return {"status": status,
        "group": group, "reviewed": len(decided), "done": len(decided) == group.size, "decision": shown,
        "ticked": ticked, "own": own, "score": score,
        "stale": [s for v in group.variants for s in v.students if decisions.stale(key, s, v.hash)],
    }


def progress(review: Review, key: str, decisions: store.Decisions) -> dict[str, int]:
    qa = review.questions[key]
    reviewed = sum(decisions.find(key, a.student, a.hash) is not None for a in qa.answers)
    return {"reviewed": reviewed, "total": len(qa.answers), "groups": len(review.groups[key]),
            "groups_done": sum(all(decisions.find(key, s, v.hash) is not None for v in g.variants for s in v.students)
                               for g in review.groups[key])}


@dataclass(frozen=True)
class Posted:
    """A decision as the page posted it, checked: its group, the items, the words, and whom it covers."""

    group: Group
    items: tuple[str, ...]
    comment: str
    reviewer: str
    targets: list[tuple[str, str]]  # (answer hash, student or '' for every answer with that hash)
    clear: bool


def read_posted(review: Review, key: str, form: Any) -> Posted:
    """Refuse anything the page could not have sent: another group, an item outside the rubric, oversized text,
    a student outside the group."""
    from flask import abort

    group = next((g for g in review.groups[key] if g.id == form.get("group")), None)
    if group is None:
        abort(400, "no such group on this page; reload it")
    rubric = {it.id for it in review.questions[key].question.rubric}
    items = tuple(dict.fromkeys(form.getlist("items")))
    if len(items) > MAX_ITEMS or not set(items) <= rubric:
        abort(400, "an item that is not in this question's rubric")
    comment = form.get("comment", "")[: MAX_COMMENT + 1]
    reviewer = form.get("reviewer", "")[: MAX_REVIEWER + 1].strip()
    if len(comment) > MAX_COMMENT or len(reviewer) > MAX_REVIEWER:
        abort(413, f"a comment holds at most {MAX_COMMENT} characters, a reviewer's name {MAX_REVIEWER}")
    scope = form.get("scope", "group")
    if scope == "group":
        targets = [(v.hash, "") for v in group.variants]
    elif scope.startswith("student:") and scope[8:] in group.students:
        student = scope[8:]
        targets = [next((v.hash, student) for v in group.variants if student in v.students)]
    else:
        abort(400, "apply to the group, or to one student of it")
    return Posted(group, items, comment.strip(), reviewer, targets, form.get("action") == "clear")


def record(review: Review, key: str, posted: Posted) -> None:
    """One reviewer action, one transaction; then the outputs catch up in the background."""
    conn = store.connect(review.out)
    try:
        if posted.clear:
            store.forget(conn, key, posted.targets)
        else:
            store.save(conn, [store.Decision(key, h, posted.items, posted.comment, posted.reviewer, s)
                              for h, s in posted.targets])
    finally:
        conn.close()
    if review.applier is not None:
        review.applier.request()


def create_app(review: Review) -> Any:
    """The Flask application; see the module docstring for what it refuses."""
    from flask import Flask, Response, abort, jsonify, redirect, request

    app = Flask("grader.review", static_folder=None, template_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST
    env = environment()

    def page(name: str, **context: Any) -> Response:
        html = env.get_template(name).render(token=review.token, **context)
        return Response(html, mimetype="text/html")

    def token_ok(value: str | None) -> bool:
        return bool(value) and secrets.compare_digest(str(value).encode(), review.token.encode())

    @app.before_request
    def guard() -> Any:
        if review.loopback_only and request.host.rsplit(":", 1)[0] not in LOOPBACK:
            abort(403, "this review server answers on 127.0.0.1 only")
        if request.method == "GET" and token_ok(request.args.get("token")):
            clean = redirect(request.path, code=303)  # the token leaves the address bar and the history
            clean.set_cookie(COOKIE, review.token, httponly=True, samesite="Strict", path="/")
            return clean
        if request.method not in ("GET", "HEAD"):
            if not (token_ok(request.headers.get("X-Review-Token")) or token_ok(request.form.get("token"))):
                abort(403, "this request does not carry the review token; reload the page from the address "
                           "grader review printed")
        elif not token_ok(request.cookies.get(COOKIE)):
            abort(403, "open the address grader review printed: it carries the token this page needs")
        return None

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(400)
    @app.errorhandler(413)
    def refused(err: Any) -> Any:
        message = getattr(err, "description", "") or "refused"
        return Response(f"{err.code}: {message}\n", status=err.code, mimetype="text/plain")

    @app.get("/static/<name>")
    def static(name: str) -> Response:
        if name not in STATIC:
            abort(404)
        return Response((review.templates / name).read_bytes(), mimetype=STATIC[name])

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)  # no icon, and no 404 in the browser's console

    @app.get("/")
    def index() -> Response:
        decisions = review.decisions()
        rows = [{"key": key, "qa": qa, "progress": progress(review, key, decisions)}
                for key, qa in review.questions.items()]
        return page("review_index.html.j2", course=review.course, rows=rows, applier=review.applier,
                    unreadable=review.unreadable)

    def find(quiz: str, question: str) -> str:
        key = f"{quiz}/{question}"
        if key not in review.questions:
            abort(404, f"no text question {key}")
        return key

    @app.get("/q/<quiz>/<question>")
    def question_page(quiz: str, question: str) -> Response:
        key = find(quiz, question)
        decisions = review.decisions()
        todo = request.args.get("show") == "todo"
        states = [group_state(review, key, g, decisions) for g in review.groups[key]]
        shown = [s for s in states if not (todo and s["done"])]
        keys = list(review.questions)
        at = keys.index(key)
        return page("review_question.html.j2", course=review.course, key=key, qa=review.questions[key],
                    states=shown, todo=todo, progress=progress(review, key, decisions), reviewer=review.reviewer,
                    previous=keys[at - 1] if at > 0 else None, next=keys[at + 1] if at + 1 < len(keys) else None,
                    applier=review.applier)

    @app.post("/q/<quiz>/<question>/decide")
    def decide(quiz: str, question: str) -> Any:
        key = find(quiz, question)
        posted = read_posted(review, key, request.form)
        record(review, key, posted)
        decisions = store.read(review.out)
        state = group_state(review, key, posted.group, decisions)
        if request.accept_mimetypes.best == "application/json":
            return jsonify({"ok": True, "group": posted.group.id, "status": state["status"],
                            "reviewed": state["reviewed"], "size": posted.group.size, "done": state["done"],
                            "score": state["score"], "progress": progress(review, key, decisions)})
        show = "?show=todo" if request.form.get("show") == "todo" else ""
        return redirect(f"/q/{quiz}/{question}{show}#g-{posted.group.id}", code=303)

    @app.get("/api/progress")
    def api_progress() -> Any:
        decisions = review.decisions()
        applier = review.applier
        return jsonify({"questions": {key: progress(review, key, decisions) for key in review.questions},
                        "applied": applier.idle() if applier else None,
                        "apply_error": applier.error if applier else None})

    return app
