"""Seeded inputs for hidden cases, so a case's arguments are the same on every machine and every run."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

MEMO_KEY = "specs/distributions"  # in the grader's cache: drawn vectors, so loading a course need not import
MEMO_SIZE = 4096                   # numpy.random (a quarter of NumPy's import time) once they are known
_memo: dict[str, Any] = {}


def distribution(outcomes: int, seed: int, *, zeros: int = 0, tiny: int = 0,
                 concentration: float = 1.0, stream: int = 0) -> list[float]:
    """A probability vector with ``zeros`` exact zeros and ``tiny`` entries between 1e-12 and 1e-8."""
    from grader.spec import cache

    if not _memo:
        stored: Any = cache.load(MEMO_KEY)
        ok = isinstance(stored, dict) and stored.get("numpy") == np.__version__ and isinstance(stored.get("drawn"), dict)
        _memo.update(numpy=np.__version__, drawn=dict(stored["drawn"]) if ok else {})
    key = json.dumps([outcomes, seed, zeros, tiny, concentration, stream])
    known = _memo["drawn"].get(key)
    if isinstance(known, list) and len(known) == outcomes and all(type(x) is float for x in known):
        return list(known)
    drawn = _draw(outcomes, seed, zeros, tiny, concentration, stream)
    if len(_memo["drawn"]) < MEMO_SIZE:
        _memo["drawn"][key] = drawn
        cache.store(MEMO_KEY, _memo)
    return list(drawn)


def _draw(outcomes: int, seed: int, zeros: int, tiny: int, concentration: float, stream: int) -> list[float]:
    rng = np.random.Generator(np.random.PCG64([seed, stream]))
    p = rng.dirichlet(np.full(outcomes, concentration))
    order = rng.permutation(outcomes)
    zero_idx = order[:zeros]
    tiny_idx = order[zeros:zeros + tiny]
    p[zero_idx] = 0.0
    p[tiny_idx] = 10.0 ** rng.uniform(-12, -8, size=len(tiny_idx))
    rest = np.setdiff1d(np.arange(outcomes), np.concatenate([zero_idx, tiny_idx]))
    if rest.size:
        p[rest] *= (1.0 - p[tiny_idx].sum()) / p[rest].sum()
    # Round the ordinary entries so reports stay readable; tiny entries keep their magnitude.
    p[rest] = np.round(p[rest], 6)
    return [float(x) for x in p]


def expand_arg(arg: Any) -> Any:
    """Turn a YAML argument (a literal, ``{random: ...}`` or ``{linspace: ...}``) into plain data."""
    if isinstance(arg, dict) and "random" in arg:
        spec = dict(arg["random"])
        count = spec.pop("count", None)
        outcomes = spec.pop("outcomes")
        seed = spec.pop("seed")
        if count is None:
            return distribution(outcomes, seed, **spec)
        return [distribution(outcomes, seed, stream=i, **spec) for i in range(count)]
    if isinstance(arg, dict) and "linspace" in arg:
        spec = arg["linspace"]
        # float() first: YAML's 10**30 is a Python int that NumPy would hold as an object, and then fail on
        return [float(x) for x in np.linspace(float(spec["start"]), float(spec["stop"]), spec["num"])]
    return arg
