"""Invariants: properties every correct answer has, checked on seeded random inputs.

A case checks one input against one expected value; an invariant checks a *law* (KL ≥ 0, H(P,Q) = H(P) +
KL(P‖Q), ...) on many random inputs, with no expected value at all, so it also catches answers that were
memorised or fitted to the visible cases. Declared in an exercise's YAML::

    invariants:
      - id: entropy-range
        says: "0 ≤ H(P) ≤ log2 n"
        intuition: "..."
        given: {n: "randint(2, 8)", p: "dist(n)"}     # drawn afresh for every trial, in order
        calls: {h: "entropy(p)"}                       # student functions; other exercises as "kl_sweep.kl_divergence(p, q)"
        expect: ["0 <= h", "h <= log2(n)"]             # every expression must hold, under the tolerance

Inputs are drawn and expectations evaluated here, in the grader's process; only the calls run in the
sandbox, as ordinary tasks. Nothing here imports student code.
"""

from __future__ import annotations

import ast
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.expr import Expr, ExprError, evaluate, parse, plain
from grader.record import Check, Status
from grader.tolerance import Tolerance, short

DEFAULT_TRIALS = 12


@dataclass(frozen=True)
class Call:
    """One call of a student function per trial; ``exercise`` is the id of the exercise that owns it."""

    name: str
    exercise: str
    function: str
    args: tuple[Expr, ...]
    text: str


@dataclass(frozen=True)
class Invariant:
    id: str
    says: str
    intuition: str
    exercise: str
    given: tuple[tuple[str, Expr], ...]
    calls: tuple[Call, ...]
    expect: tuple[Expr, ...]
    trials: int = DEFAULT_TRIALS
    seed: int = 0
    points: float = 0.0
    tolerance: Tolerance = field(default_factory=Tolerance)
    line: int = 0

    @property
    def check_name(self) -> str:
        return f"property: {self.says}"


@dataclass(frozen=True)
class Trial:
    """The inputs of one trial and the plain arguments of each call."""

    index: int
    inputs: dict[str, Any]
    args: dict[str, list[Any]]

    @property
    def size(self) -> tuple[int, int]:
        """Smaller is simpler: fewer numbers, then shorter text; used to pick the counter-example to show."""
        count = sum(np.asarray(v, dtype=float).size for v in self.inputs.values())
        return count, len(format_inputs(self.inputs))


def _parse_call(text: str, name: str, exercise: str, known: set[str]) -> Call:
    try:
        tree = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"calls.{name}: cannot parse {text!r}: {exc.msg}") from None
    if not isinstance(tree, ast.Call) or tree.keywords:
        raise ExprError(f"calls.{name}: write a call such as entropy(p), not {text!r}")
    func = tree.func
    if isinstance(func, ast.Name):
        target_ex, function = exercise, func.id
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        target_ex, function = func.value.id, func.attr
    else:
        raise ExprError(f"calls.{name}: call a function by name (entropy) or exercise.function "
                        f"(kl_sweep.kl_divergence), not {ast.unparse(func)}")
    args = tuple(parse(ast.unparse(a), known=known) for a in tree.args)
    return Call(name, target_ex, function, args, str(text).strip())


def parse_invariant(spec: Mapping[str, Any], exercise: str, tolerance: Tolerance, line: int = 0) -> Invariant:
    """Build an Invariant from its YAML mapping; raise ExprError naming the key at fault."""
    known: set[str] = set()
    given = []
    for name, text in (spec.get("given") or {}).items():
        try:
            given.append((name, parse(text, known=known, allow_random=True)))
        except ExprError as exc:
            raise ExprError(f"given.{name}: {exc}") from None
        known.add(name)
    inputs = set(known)
    calls = []
    for name, text in spec["calls"].items():
        if name in inputs:
            raise ExprError(f"calls.{name}: {name!r} is already an input under given:; pick another name")
        calls.append(_parse_call(text, name, exercise, inputs))
    known |= {c.name for c in calls}
    texts = spec["expect"] if isinstance(spec["expect"], list) else [spec["expect"]]
    expect = []
    for i, text in enumerate(texts):
        try:
            expect.append(parse(text, known=known))
        except ExprError as exc:
            raise ExprError(f"expect[{i}]: {exc}") from None
    tol = tolerance
    if "tolerance" in spec:
        tol = Tolerance(rtol=float(spec["tolerance"].get("rtol", tol.rtol)),
                        atol=float(spec["tolerance"].get("atol", tol.atol)), nan="fail")
    seed = int(spec.get("seed", zlib.crc32(f"{exercise}/{spec['id']}".encode())))
    return Invariant(
        id=spec["id"], says=spec["says"], intuition=str(spec["intuition"]).strip(), exercise=exercise,
        given=tuple(given), calls=tuple(calls), expect=tuple(expect), trials=int(spec.get("trials", DEFAULT_TRIALS)),
        seed=seed, points=float(spec.get("points", 0)), tolerance=Tolerance(tol.rtol, tol.atol, "fail"), line=line,
    )


def draw(inv: Invariant) -> tuple[Trial, ...]:
    """The trials' inputs: the same on every machine and run, because each trial has its own seeded stream."""
    trials = []
    for t in range(inv.trials):
        rng = np.random.Generator(np.random.PCG64([inv.seed, t]))
        env: dict[str, Any] = {}
        for name, expr in inv.given:
            env[name] = evaluate(expr, env, rng=rng, tol=inv.tolerance)
        args = {c.name: [plain(evaluate(a, env, tol=inv.tolerance)) for a in c.args] for c in inv.calls}
        trials.append(Trial(t, {k: plain(v) for k, v in env.items()}, args))
    return tuple(trials)


def format_inputs(inputs: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {short(v)}" for k, v in inputs.items())


Outcome = tuple[bool, Any]  # (True, value) or (False, "raised ValueError: ..." / "not run: ...")


def evaluate_trial(inv: Invariant, trial: Trial, results: Mapping[str, Outcome]) -> tuple[str, Expr | None, str]:
    """("ok" | "failed" | "error", the expectation that failed, a message) for one trial."""
    env: dict[str, Any] = {k: (np.asarray(v, dtype=float) if isinstance(v, list) else v)
                           for k, v in trial.inputs.items()}
    for call in inv.calls:
        ok, value = results[call.name]
        if not ok:
            reason = str(value)
            return "error", None, reason[len("not run: "):] if reason.startswith("not run: ") else f"{call.text} {reason}"
        env[call.name] = np.asarray(value, dtype=float) if isinstance(value, list) else value
    for expr in inv.expect:
        try:
            holds = evaluate(expr, env, tol=inv.tolerance)
        except ExprError as exc:
            return "failed", expr, f"{expr.text} cannot be evaluated ({exc})"
        if not isinstance(holds, (bool, np.bool_)):
            holds = bool(np.all(holds))
        if not holds:
            return "failed", expr, f"{expr.text} does not hold"
    return "ok", None, ""


def _values(inv: Invariant, trial: Trial, results: Mapping[str, Outcome], expr: Expr) -> dict[str, str]:
    """The call results an expectation reads, as the report shows them: ``h: entropy(p) = 1.5``."""
    out = {}
    for call in inv.calls:
        if call.name in expr.names:
            out[call.name] = f"{call.text} = {short(plain(results[call.name][1]))}"
    return out


def judge(inv: Invariant, trials: tuple[Trial, ...], results: Mapping[int, Mapping[str, Outcome]]) -> Check:
    """The result record's view of an invariant: passed, or the smallest counter-example and what it breaks."""
    functions = sorted({c.function if c.exercise == inv.exercise else f"{c.exercise}.{c.function}"
                        for c in inv.calls})
    check = Check(
        name=inv.check_name, status=Status.PASSED, score=inv.points, max_score=inv.points,
        message=f"holds on {len(trials)} random inputs", kind="invariant", visibility="public",
        intuition=inv.intuition or None,
        details={"invariant": inv.id, "says": inv.says, "trials": len(trials), "functions": functions,
                 "expect": [e.text for e in inv.expect], "advisory": inv.points == 0},
    )
    failed: list[tuple[Trial, Expr, str]] = []
    errors: list[tuple[Trial, str]] = []
    for trial in trials:
        status, expr, message = evaluate_trial(inv, trial, results[trial.index])
        if status == "failed":
            assert expr is not None
            failed.append((trial, expr, message))
        elif status == "error":
            errors.append((trial, message))
    if failed:
        trial, expr, message = min(failed, key=lambda f: f[0].size)
        values = _values(inv, trial, results[trial.index], expr)
        check.status, check.score = Status.FAILED, 0.0
        check.input = format_inputs(trial.inputs)
        check.message = (f"fails on {len(failed)} of {len(trials)} random inputs; smallest counter-example: "
                         f"{check.input}: {message}")
        check.details.update(failed_trials=len(failed), counterexample=trial.inputs, broken=expr.text,
                             values=values)
        check.got = values
    elif errors:
        trial, message = min(errors, key=lambda e: e[0].size)
        check.status, check.score = Status.ERROR, 0.0
        check.input = format_inputs(trial.inputs)
        if len(errors) == len(trials) and len({m for _, m in errors}) == 1:
            check.input = None
            check.message = f"not checked: {message}"
        else:
            check.message = (f"could not be checked on {len(errors)} of {len(trials)} random inputs: {message}; "
                             f"the smallest: {check.input}")
        check.details.update(error_trials=len(errors))
    return check


def judge_in_process(inv: Invariant, trials: tuple[Trial, ...],
                     call: Callable[[str, str, list[Any]], Outcome]) -> Check:
    """Judge an invariant against trusted code (the reference, or a known mistake) without the sandbox."""
    results = {t.index: {c.name: call(c.exercise, c.function, t.args[c.name]) for c in inv.calls} for t in trials}
    return judge(inv, trials, results)
