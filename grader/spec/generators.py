"""Seeded inputs for hidden cases, so a case's arguments are the same on every machine and every run."""

from __future__ import annotations

from typing import Any

import numpy as np


def distribution(outcomes: int, seed: int, *, zeros: int = 0, tiny: int = 0,
                 concentration: float = 1.0, stream: int = 0) -> list[float]:
    """A probability vector with ``zeros`` exact zeros and ``tiny`` entries between 1e-12 and 1e-8."""
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
        return [float(x) for x in np.linspace(spec["start"], spec["stop"], spec["num"])]
    return arg
