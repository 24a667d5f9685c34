"""A small, safe expression language for the course YAML (invariants and misconception transforms).

Authors write ordinary Python-looking expressions such as ``0 <= h <= log2(n)`` or ``1 / len(p)``. They
are parsed with :mod:`ast` and only a whitelist of nodes and functions is accepted, so a course file can
never run arbitrary code in the grader's process. Comparisons use the course tolerance, in the manner of
pytest's ``approx``: ``a == b`` means close, ``a <= b`` allows ``b`` plus the tolerance, and anything
compared with NaN is false, so a NaN answer never satisfies an invariant.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.spec.tolerance import Tolerance


class ExprError(ValueError):
    """An expression that is not allowed or cannot be evaluated; the message says which part."""


def _arr(x: Any) -> Any:
    return np.asarray(x, dtype=float) if isinstance(x, (list, tuple)) else x


def uniform(n: Any) -> np.ndarray:
    """The uniform distribution over ``n`` outcomes."""
    n = int(n)
    if n < 1:
        raise ExprError(f"uniform({n}): need at least one outcome")
    return np.full(n, 1.0 / n)


def _argbest(pick: Callable[[np.ndarray], Any]) -> Callable[[Any], int]:
    def run(values: Any) -> int:
        a = np.asarray(values, dtype=float)
        if a.size == 0:
            raise ExprError("argmin/argmax of an empty list")
        return int(pick(a))
    return run


# Pure functions available everywhere.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": lambda x: len(x),
    "abs": lambda x: np.abs(_arr(x)),
    "min": lambda *xs: float(np.min(_arr(xs[0]))) if len(xs) == 1 else min(xs),
    "max": lambda *xs: float(np.max(_arr(xs[0]))) if len(xs) == 1 else max(xs),
    "sum": lambda x: float(np.sum(_arr(x))),
    "log2": lambda x: np.log2(_arr(x)),
    "ln": lambda x: np.log(_arr(x)),
    "log10": lambda x: np.log10(_arr(x)),
    "sqrt": lambda x: np.sqrt(_arr(x)),
    "exp": lambda x: np.exp(_arr(x)),
    "argmin": _argbest(np.argmin),
    "argmax": _argbest(np.argmax),
    "all": lambda x: bool(np.all(_arr(x))),
    "any": lambda x: bool(np.any(_arr(x))),
    "linspace": lambda a, b, n: np.linspace(float(a), float(b), int(n)),
    "uniform": uniform,
    "round": lambda x, d=0: np.round(_arr(x), int(d)),
    "reversed": lambda x: np.asarray(x)[::-1].copy(),
}
CONSTANTS: dict[str, Any] = {"pi": math.pi, "e": math.e, "inf": math.inf}


def random_dist(rng: np.random.Generator, n: Any, zeros: Any = 0) -> np.ndarray:
    """A random distribution that reads well in a report: two decimals, each entry at least 0.01.

    ``zeros`` entries are exactly 0, to probe the 0 · log 0 convention.
    """
    n, zeros = int(n), int(zeros)
    if n < 1 or not 0 <= zeros < n or n - zeros > 100:
        raise ExprError(f"dist({n}, zeros={zeros}): need 1 to 100 non-zero outcomes")
    k = n - zeros
    raw = rng.dirichlet(np.ones(k))
    cents = np.maximum(1, np.floor(raw * (100 - k)).astype(int) + 1)  # at least 0.01 each
    cents[int(np.argmax(cents))] += 100 - int(cents.sum())
    values = np.zeros(n)
    slots = rng.permutation(n)[:k]
    values[np.sort(slots)] = cents / 100.0
    return values


def random_functions(rng: np.random.Generator) -> dict[str, Callable[..., Any]]:
    """Seeded generators, only allowed where inputs are drawn (an invariant's ``given``)."""
    return {
        "randint": lambda a, b: int(rng.integers(int(a), int(b) + 1)),
        "random": lambda: float(rng.random()),
        "dist": lambda n, zeros=0: random_dist(rng, n, zeros),
    }


RANDOM_NAMES = ("randint", "random", "dist")

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: _arr(a) + _arr(b),
    ast.Sub: lambda a, b: _arr(a) - _arr(b),
    ast.Mult: lambda a, b: _arr(a) * _arr(b),
    ast.Div: lambda a, b: _arr(a) / _arr(b),
    ast.Pow: lambda a, b: _arr(a) ** _arr(b),
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: lambda a: -_arr(a),
    ast.UAdd: lambda a: +_arr(a),
    ast.Not: lambda a: not _truth(a),
}
_ALLOWED = (ast.Expression, ast.Constant, ast.Name, ast.Load, ast.List, ast.Tuple, ast.BinOp, ast.UnaryOp,
            ast.Compare, ast.BoolOp, ast.And, ast.Or, ast.Call, ast.keyword, ast.Subscript, ast.Slice, ast.IfExp,
            *_BINOPS, *_UNARY, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


@dataclass(frozen=True)
class Expr:
    """A parsed, checked expression; ``names`` are the free variables it reads."""

    text: str
    tree: ast.Expression
    names: frozenset[str]


def parse(text: Any, *, known: Iterable[str] = (), allow_random: bool = False) -> Expr:
    """Parse ``text`` and refuse anything outside the language; ``known`` are the variables in scope."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ExprError(f"expected an expression, got {text!r}")
    text = str(text).strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"cannot parse {text!r}: {exc.msg}") from None
    functions = set(FUNCTIONS) | (set(RANDOM_NAMES) if allow_random else set())
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ExprError(f"{text!r}: {type(node).__name__} is not allowed in an expression")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ExprError(f"{text!r}: only numbers are allowed as constants, not {node.value!r}")
        if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name) or node.func.id not in functions):
            what = ast.unparse(node.func)
            hint = " (random inputs are drawn only under given:)" if what in RANDOM_NAMES else ""
            raise ExprError(f"{text!r}: unknown function {what}(){hint}; use one of {', '.join(sorted(functions))}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not any(
                isinstance(p, ast.Call) and p.func is node for p in ast.walk(tree)):
            names.add(node.id)
    known_set = set(known) | set(CONSTANTS)
    unknown = sorted(names - known_set)
    if unknown:
        scope = ", ".join(sorted(set(known))) or "none"
        raise ExprError(f"{text!r}: unknown name {unknown[0]!r}; names in scope: {scope}")
    return Expr(text, tree, frozenset(names - set(CONSTANTS)))


def _truth(value: Any) -> bool:
    a = np.asarray(value)
    if a.dtype.kind == "f" and np.isnan(a).any():
        return False
    return bool(np.all(a))


def _slack(b: Any, tol: Tolerance) -> Any:
    return np.maximum(tol.atol, tol.rtol * np.abs(_arr(b)))


_PLAIN = (float, int, np.float64)  # compared without building arrays: the same IEEE arithmetic, less overhead


def compare(op: ast.cmpop, a: Any, b: Any, tol: Tolerance) -> bool:
    """One comparison under tolerance; NaN makes every comparison false (also ``!=``)."""
    if type(a) in _PLAIN and type(b) in _PLAIN:
        return _compare_plain(op, float(a), float(b), tol)
    x = np.asarray(_arr(a), dtype=float)
    y = np.asarray(_arr(b), dtype=float)
    if np.isnan(x).any() or np.isnan(y).any():
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        slack = _slack(y, tol)
        close = (np.abs(x - y) <= slack) | (x == y)
        if isinstance(op, ast.Eq):
            return bool(np.all(close))
        if isinstance(op, ast.NotEq):
            return not bool(np.all(close))
        if isinstance(op, ast.LtE):
            return bool(np.all((x <= y + slack) | (x == y)))
        if isinstance(op, ast.GtE):
            return bool(np.all((x >= y - slack) | (x == y)))
        if isinstance(op, ast.Lt):
            return bool(np.all(x < y - slack))
        if isinstance(op, ast.Gt):
            return bool(np.all(x > y + slack))
    raise ExprError(f"comparison {type(op).__name__} is not supported")


def _compare_plain(op: ast.cmpop, x: float, y: float, tol: Tolerance) -> bool:
    """``compare`` for two numbers, line for line (an invariant's trial is mostly scalar comparisons)."""
    if x != x or y != y:
        return False
    scaled = tol.rtol * abs(y)
    slack = math.nan if scaled != scaled or tol.atol != tol.atol else max(tol.atol, scaled)  # as np.maximum
    if isinstance(op, ast.Eq):
        return abs(x - y) <= slack or x == y
    if isinstance(op, ast.NotEq):
        return not (abs(x - y) <= slack or x == y)
    if isinstance(op, ast.LtE):
        return x <= y + slack or x == y
    if isinstance(op, ast.GtE):
        return x >= y - slack or x == y
    if isinstance(op, ast.Lt):
        return x < y - slack
    if isinstance(op, ast.Gt):
        return x > y + slack
    raise ExprError(f"comparison {type(op).__name__} is not supported")


def evaluate(expr: Expr, env: Mapping[str, Any], *, tol: Tolerance | None = None,
             rng: np.random.Generator | None = None) -> Any:
    """Evaluate a parsed expression; ``rng`` enables the random generators."""
    tol = tol or Tolerance(nan="fail")
    functions = dict(FUNCTIONS)
    if rng is not None:
        functions.update(random_functions(rng))
    scope = {**CONSTANTS, **env}

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return scope[node.id]
        if isinstance(node, (ast.List, ast.Tuple)):
            return np.asarray([ev(e) for e in node.elts], dtype=float)
        if isinstance(node, ast.BinOp):
            with np.errstate(all="ignore"):
                return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                return all(_truth(ev(v)) for v in node.values)
            return any(_truth(ev(v)) for v in node.values)
        if isinstance(node, ast.IfExp):
            return ev(node.body) if _truth(ev(node.test)) else ev(node.orelse)
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = ev(right_node)
                if not compare(op, left, right, tol):
                    return False
                left = right
            return True
        if isinstance(node, ast.Subscript):
            value = np.asarray(ev(node.value))
            if isinstance(node.slice, ast.Slice):
                parts = [None if p is None else int(ev(p)) for p in (node.slice.lower, node.slice.upper, node.slice.step)]
                return value[slice(*parts)]
            return value[int(ev(node.slice))]
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            fn = functions[node.func.id]
            args = [ev(a) for a in node.args]
            kwargs = {k.arg: ev(k.value) for k in node.keywords if k.arg}
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)
        raise ExprError(f"{type(node).__name__} is not supported")

    try:
        return ev(expr.tree)
    except ExprError:
        raise
    except (TypeError, ValueError, IndexError, KeyError, ZeroDivisionError, OverflowError) as exc:
        raise ExprError(f"{expr.text!r}: {type(exc).__name__}: {exc}") from None


def plain(value: Any) -> Any:
    """NumPy values back to JSON-able Python data, for sandbox arguments and reports."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
