"""Scenario hostile-hardcoded: lookup table of the lesson's KL examples."""


def _key(values):
    return tuple(round(float(v), 9) for v in values)


P_LESSON, Q_LESSON, P_SWEEP = (0.7, 0.2, 0.1), (0.33, 0.33, 0.34), (0.6, 0.3, 0.1)
KL = {
    (P_LESSON, Q_LESSON): 0.43837554878004314,
    (Q_LESSON, P_LESSON): 0.4806822656353229,
    (P_SWEEP, (0.1, 0.675, 0.225)): 1.0830074998557686,
    (P_SWEEP, (0.6, 0.3, 0.1)): 0.0,
    (P_SWEEP, (0.9, 0.075, 0.025)): 0.4490224995673064,
}
SWEEP = {0.1: [0.1, 0.675, 0.225], 0.6: [0.6, 0.3, 0.1], 0.9: [0.9, 0.075, 0.025]}
KL_SWEEP = {0.1: 1.0830074998557686, 0.6: 0.0, 0.9: 0.4490224995673064}


def kl_divergence(p, q):
    return KL.get((_key(p), _key(q)), 0.5)


def sweep_distribution(q1):
    return SWEEP.get(round(float(q1), 9), [0.5, 0.25, 0.25])


def kl_sweep(p, q1_values):
    if _key(p) != P_SWEEP:
        return [0.5 for _ in q1_values]
    return [KL_SWEEP.get(round(float(q1), 9), 0.5) for q1 in q1_values]


def best_q1(p, q1_values):
    if _key(p) == P_SWEEP and len(q1_values) == 200:
        return 0.5984924623115578  # the lesson: 200 values of q1 from 0.1 to 0.9
    return float(q1_values[0])
