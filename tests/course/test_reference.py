"""The reference solutions reproduce every figure the lesson prints."""

from __future__ import annotations

import numpy as np
import pytest

from reference import cross_entropy, entropy, kl_sweep


@pytest.mark.parametrize(("probs", "bits"), [
    ([0.25, 0.25, 0.25, 0.25], 2.0000),
    ([0.97, 0.01, 0.01, 0.01], 0.2419),
    ([0.4, 0.3, 0.2, 0.1], 1.8464),
    ([0.5, 0.5], 1.000),
    ([0.9, 0.1], 0.469),
    ([1.0, 0.0], 0.0),
    ([1 / 6] * 6, 2.585),
])
def test_entropy_figures(probs, bits):
    assert round(entropy.entropy(probs), 4 if len(str(bits)) > 5 else 3) == pytest.approx(bits)


def test_most_uncertain_is_the_four_sided_die():
    assert entropy.most_uncertain([[0.25] * 4, [0.97, 0.01, 0.01, 0.01], [0.4, 0.3, 0.2, 0.1]]) == 0


def test_cross_entropy_losses_in_nats():
    p = [0, 1, 0]
    assert f"{cross_entropy.cross_entropy_loss(p, [0.1, 0.7, 0.2]):.4f}" == "0.3567"
    assert f"{cross_entropy.cross_entropy_loss(p, [0.05, 0.9, 0.05]):.4f}" == "0.1054"
    assert cross_entropy.loss_change(p, [0.1, 0.7, 0.2], [0.05, 0.9, 0.05]) < 0


def test_kl_sweep_figures():
    p = [0.6, 0.3, 0.1]
    values = kl_sweep.kl_sweep(p, [0.1, 0.6, 0.9])
    assert [f"{abs(v):.4f}" for v in values] == ["1.0830", "0.0000", "0.4490"]
    assert np.allclose(kl_sweep.sweep_distribution(0.1), [0.1, 0.675, 0.225])
    assert kl_sweep.best_q1(p, np.linspace(0.1, 0.9, 200)) == pytest.approx(0.6, abs=0.005)


def test_kl_asymmetry_figures():
    p, q = [0.7, 0.2, 0.1], [0.33, 0.33, 0.34]
    assert f"{kl_sweep.kl_divergence(p, q):.4f}" == "0.4384"
    assert f"{kl_sweep.kl_divergence(q, p):.4f}" == "0.4807"
    assert f"{kl_sweep.kl_divergence(p, [0.65, 0.25, 0.10]):.4f}" == "0.0105"
