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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from grader.spec.expr import Expr, ExprError, parse
from grader.spec.tolerance import Tolerance

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
    """A law the student's functions must obey on random inputs (KL >= 0, ...), as declared."""

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
