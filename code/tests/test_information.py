"""Tests de masterclass.maths.information contre PyTorch, SciPy et des cas calculés à la main."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn import functional as F

from masterclass.maths.information import cross_entropy, entropy, kl_divergence, perplexity

DTYPE = torch.float64


def distributions(V_min=2, V_max=12, zeros=True):
    """Stratégie hypothesis : une loi de probabilité (V,) en float64, avec des zéros possibles."""
    weight = st.floats(0.0, 10.0) if zeros else st.floats(0.01, 10.0)
    return st.lists(weight, min_size=V_min, max_size=V_max).filter(lambda w: sum(w) > 1e-3).map(
        lambda w: torch.tensor(w, dtype=DTYPE) / sum(w))


def test_hand_computed_values_in_nats_and_bits():
    p = torch.tensor([0.5, 0.25, 0.25], dtype=DTYPE)
    assert entropy(p, base=2).item() == pytest.approx(1.5, abs=1e-15)  # 1/2·1 + 2·1/4·2 bits
    assert entropy(p).item() == pytest.approx(1.5 * math.log(2), abs=1e-15)
    q = torch.full((3,), 1 / 3, dtype=DTYPE)
    assert cross_entropy(p, q).item() == pytest.approx(math.log(3), abs=1e-15)
    assert kl_divergence(p, q, base=2).item() == pytest.approx(math.log2(3) - 1.5, abs=1e-15)
    assert perplexity(p).item() == pytest.approx(2 ** 1.5, abs=1e-12)  # indépendante de la base


def test_matches_scipy():
    from scipy.stats import entropy as scipy_entropy

    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(7), size=5), rng.dirichlet(np.ones(7), size=5)
    np.testing.assert_allclose(entropy(p).numpy(), scipy_entropy(p, axis=-1), rtol=0, atol=1e-14)
    np.testing.assert_allclose(entropy(p, base=2).numpy(), scipy_entropy(p, base=2, axis=-1), rtol=0, atol=1e-14)
    np.testing.assert_allclose(kl_divergence(p, q).numpy(), scipy_entropy(p, q, axis=-1), rtol=0, atol=1e-14)


@pytest.mark.parametrize("V", [1, 2, 10, 1000, 50_000])
def test_uniform_has_entropy_log_V_and_perplexity_V(V):
    u = torch.full((V,), 1 / V, dtype=DTYPE)
    assert entropy(u).item() == pytest.approx(math.log(V), abs=1e-12)
    assert perplexity(u).item() == pytest.approx(V, rel=1e-12)
    assert perplexity(u, u).item() == pytest.approx(V, rel=1e-12)
    one_hot = F.one_hot(torch.tensor(0), V).to(DTYPE)  # un texte d'un jeton, modèle uniforme : perplexité V
    assert perplexity(one_hot, u).item() == pytest.approx(V, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(distributions())
def test_entropy_between_zero_and_log_V(p):
    """0 ≤ H(p) ≤ log V, avec égalité à droite exactement pour l'uniforme (écart = KL(p ‖ u))."""
    V = p.numel()
    h = entropy(p).item()
    assert -1e-12 <= h <= math.log(V) + 1e-12
    u = torch.full((V,), 1 / V, dtype=DTYPE)
    assert math.log(V) - h == pytest.approx(kl_divergence(p, u).item(), abs=1e-12)


def test_concentrated_distribution_has_zero_entropy():
    p = torch.tensor([0.0, 1.0, 0.0, 0.0], dtype=DTYPE)  # 0 log 0 = 0 : aucune incertitude
    assert entropy(p).item() == 0.0 and perplexity(p).item() == 1.0
    sharper = torch.softmax(torch.tensor([0.0, 5.0, 1.0, 2.0], dtype=DTYPE), -1)
    flatter = torch.softmax(torch.tensor([0.0, 5.0, 1.0, 2.0], dtype=DTYPE) / 10, -1)
    assert entropy(sharper) < entropy(flatter)


@settings(max_examples=200, deadline=None)
@given(distributions(V_min=4, V_max=4), distributions(V_min=4, V_max=4, zeros=False))
def test_gibbs_inequality_and_decomposition(p, q):
    """KL(p ‖ q) ≥ 0, = 0 pour q = p ; H(p, q) = H(p) + KL(p ‖ q) ≥ H(p)."""
    kl = kl_divergence(p, q).item()
    assert kl >= 0
    assert kl_divergence(p, p).item() == pytest.approx(0.0, abs=1e-15)
    assert cross_entropy(p, q).item() == pytest.approx(entropy(p).item() + kl, abs=1e-12)
    if (p - q).abs().max() > 1e-3:  # p ≠ q : l'inégalité est stricte
        assert kl > 0


def test_kl_is_zero_only_when_equal():
    p = torch.tensor([0.2, 0.3, 0.5], dtype=DTYPE)
    for eps in (1e-2, 1e-4):
        q = p + torch.tensor([eps, -eps, 0.0], dtype=DTYPE)
        assert 0 < kl_divergence(p, q).item() < eps  # petit, mais strictement positif


def test_zero_probability_on_a_possible_event_gives_infinity():
    p = torch.tensor([0.5, 0.5, 0.0], dtype=DTYPE)
    q = torch.tensor([1.0, 0.0, 0.0], dtype=DTYPE)
    assert math.isinf(cross_entropy(p, q).item()) and math.isinf(kl_divergence(p, q).item())
    assert math.isinf(perplexity(p, q).item())
    assert kl_divergence(q, p).item() == pytest.approx(math.log(2), abs=1e-15)  # l'autre sens est fini


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 30), st.integers(1, 20), st.integers(0, 2**31 - 1))
def test_perplexity_is_exp_of_torch_cross_entropy(V, N, seed):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(N, V, generator=g, dtype=DTYPE) * 3  # (N, V)
    targets = torch.randint(0, V, (N,), generator=g)  # (N,)
    q, p = torch.softmax(logits, -1), F.one_hot(targets, V).to(DTYPE)
    per_token = perplexity(p, q)  # (N,)
    torch.testing.assert_close(per_token, torch.exp(F.cross_entropy(logits, targets, reduction="none")),
                               rtol=1e-12, atol=0)
    corpus = torch.exp(cross_entropy(p, q).mean())  # perplexité d'un texte : exp de la perte moyenne
    torch.testing.assert_close(corpus, torch.exp(F.cross_entropy(logits, targets)), rtol=1e-12, atol=0)
    soft = torch.softmax(torch.randn(N, V, generator=g, dtype=DTYPE), -1)  # cibles souples
    torch.testing.assert_close(cross_entropy(soft, q), F.cross_entropy(logits, soft, reduction="none"),
                               rtol=1e-12, atol=1e-14)


def test_batched_shapes_and_broadcasting():
    p = torch.softmax(torch.randn(2, 3, 5, dtype=DTYPE), -1)  # (2, 3, 5)
    q = torch.softmax(torch.randn(5, dtype=DTYPE), -1)  # (5,) : un même modèle pour toutes les positions
    assert entropy(p).shape == (2, 3) and cross_entropy(p, q).shape == (2, 3)
    torch.testing.assert_close(cross_entropy(p, q)[1, 2], cross_entropy(p[1, 2], q))


def test_float32_and_lists_are_accepted():
    p32 = torch.tensor([0.1, 0.2, 0.7], dtype=torch.float32)
    assert entropy(p32).dtype == torch.float32
    assert entropy([0.5, 0.5], base=2).item() == pytest.approx(1.0)
    assert entropy(np.array([0.25] * 4), base=2).item() == pytest.approx(2.0)


def test_french_errors():
    with pytest.raises(ValueError, match="positif ou nul"):
        entropy(torch.tensor([1.2, -0.2]))
    with pytest.raises(ValueError, match="sommer à 1"):
        entropy(torch.tensor([0.5, 0.6], dtype=DTYPE))
    with pytest.raises(ValueError, match="même nombre d'issues"):
        cross_entropy(torch.tensor([0.5, 0.5]), torch.tensor([0.2, 0.3, 0.5]))
    with pytest.raises(ValueError, match="formes compatibles"):
        kl_divergence(torch.full((2, 3), 1 / 3), torch.full((4, 3), 1 / 3))
    with pytest.raises(ValueError, match="dernier axe non vide"):
        entropy(torch.tensor(1.0))
    with pytest.raises(ValueError, match="fini"):
        entropy(torch.tensor([float("nan"), 1.0]))
    with pytest.raises(ValueError, match="base"):
        entropy(torch.tensor([0.5, 0.5]), base=1)
    with pytest.raises(TypeError, match="tenseur de probabilités"):
        entropy("0.5, 0.5")
    assert entropy(torch.tensor([0.5, 0.50001]), atol=1e-3).item() == pytest.approx(math.log(2), abs=1e-4)
