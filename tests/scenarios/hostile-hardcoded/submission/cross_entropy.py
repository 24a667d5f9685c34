"""Scenario hostile-hardcoded: lookup table of the lesson's cross-entropy examples."""


def _key(values):
    return tuple(round(float(v), 9) for v in values)


P = (0.0, 1.0, 0.0)
Q_BEFORE, Q_AFTER = (0.1, 0.7, 0.2), (0.05, 0.9, 0.05)
LOSS = {
    (P, Q_BEFORE): 0.35667494393873245,
    (P, Q_AFTER): 0.10536051565782628,
}
CHANGE = {
    (P, Q_BEFORE, Q_AFTER): -0.25131442828090617,
    (P, Q_AFTER, Q_BEFORE): 0.25131442828090617,
}


def cross_entropy_loss(p, q):
    return LOSS.get((_key(p), _key(q)), 0.5)


def loss_change(p, q_before, q_after):
    return CHANGE.get((_key(p), _key(q_before), _key(q_after)), -0.5)
