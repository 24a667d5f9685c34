"""Scenario hostile-hardcoded: a lookup table of every public lesson example, nothing else.

ATTACKS: a grader that only checks the public examples. Inputs are matched after rounding
to 9 decimals; anything unknown gets a fixed wrong-ish answer.
"""


def _key(values):
    return tuple(round(float(v), 9) for v in values)


ENTROPY = {
    (0.25, 0.25, 0.25, 0.25): 2.0,
    (0.97, 0.01, 0.01, 0.01): 0.24194073285321088,
    (0.4, 0.3, 0.2, 0.1): 1.8464393446710154,
}
MOST_UNCERTAIN = {
    ((0.25, 0.25, 0.25, 0.25), (0.97, 0.01, 0.01, 0.01), (0.4, 0.3, 0.2, 0.1)): 0,
}


def entropy(probs):
    return ENTROPY.get(_key(probs), 0.5)


def most_uncertain(distributions):
    return MOST_UNCERTAIN.get(tuple(_key(d) for d in distributions), 0)
