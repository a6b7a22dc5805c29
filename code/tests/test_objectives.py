"""Tests de masterclass.training.objectives : masquage MLM de BERT, perte de distillation (Hinton et al., 2015).

Le masquage est aléatoire : ses proportions sont vérifiées à ±5 écarts-types de la loi binomiale, ses lois
(jamais de jeton spécial choisi, rien ne change hors des positions choisies) sur des entrées quelconques
(hypothesis). La perte de distillation est comparée à un calcul de référence en float64 avec NumPy.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass.training.objectives import IGNORE_INDEX, distillation_loss, mask_tokens

# ---------------------------------------------------------------- masquage MLM
# Sur N positions ordinaires, le nombre choisi suit une loi binomiale B(N, 0.15) : on accepte ±5 écarts-types
# (probabilité de fausse alarme < 1e-6). Même règle pour les parts 80/10/10 parmi les positions choisies.
V, MASK, N_ROWS, N_COLS = 1000, 3, 400, 250


def _within(count, n, p, k=5.0):
    return abs(count - n * p) <= k * math.sqrt(n * p * (1 - p))


@pytest.fixture(scope="module")
def masking():
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(10, V, (N_ROWS, N_COLS), generator=gen)
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = special[:, -1] = True  # [CLS] … [SEP]
    special[: N_ROWS // 2, -50:] = True  # remplissage
    masked, labels = mask_tokens(ids, MASK, V, special, generator=gen)
    return ids, special, masked, labels


def test_mlm_selection_rate_is_15_percent_of_ordinary_tokens(masking):
    ids, special, masked, labels = masking
    chosen = labels != IGNORE_INDEX
    assert not chosen[special].any()
    n = int((~special).sum())
    assert _within(int(chosen.sum()), n, 0.15)
    assert torch.equal(labels[chosen], ids[chosen])  # l'étiquette est le jeton d'origine
    assert torch.equal(masked[~chosen], ids[~chosen])  # rien ne change hors des positions choisies


def test_mlm_count_per_sequence_is_binomial(masking):
    """Choix indépendant par position (comme DataCollatorForLanguageModeling) : le nombre de positions choisies
    par séquence de n jetons ordinaires a la variance binomiale n p (1 − p), et non la variance nulle du nombre
    fixe round(0,15 × longueur) du script d'origine de BERT."""
    _, special, _, labels = masking
    rows = slice(N_ROWS // 2, N_ROWS)  # séquences sans remplissage : n = N_COLS − 2 jetons ordinaires chacune
    n = int((~special[rows]).sum(1)[0])
    counts = (labels[rows] != IGNORE_INDEX).sum(1).double()
    expected = n * 0.15 * 0.85
    # Variance empirique de 200 séquences : écart-type relatif ≈ √(2/199) ≈ 0,1 ; ±50 % ≈ 5 écarts-types.
    assert 0.5 * expected < counts.var().item() < 1.5 * expected


def test_mlm_80_10_10_rule(masking):
    ids, special, masked, labels = masking
    chosen = labels != IGNORE_INDEX
    n = int(chosen.sum())
    is_mask = masked[chosen] == MASK
    unchanged = masked[chosen] == ids[chosen]
    other = ~is_mask & ~unchanged
    # Le tirage « au hasard » retombe sur le jeton d'origine avec probabilité 1/V.
    assert _within(int(is_mask.sum()), n, 0.8)
    assert _within(int(other.sum()), n, 0.1 * (1 - 1 / V))
    assert _within(int(unchanged.sum()), n, 0.1 + 0.1 / V)
    # Les jetons aléatoires couvrent le vocabulaire uniformément : moyenne ≈ (V - 1)/2.
    rand = masked[chosen][other].double()
    assert abs(rand.mean().item() - (V - 1) / 2) < 5 * (V / math.sqrt(12)) / math.sqrt(len(rand))


def test_mlm_is_reproducible_and_checks_inputs():
    ids = torch.arange(100).reshape(4, 25)
    a = mask_tokens(ids, 1, 200, generator=torch.Generator().manual_seed(1))
    b = mask_tokens(ids, 1, 200, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert torch.equal(ids, torch.arange(100).reshape(4, 25))  # entrée non modifiée
    with pytest.raises(TypeError, match="entiers"):
        mask_tokens(ids.float(), 1, 200)
    with pytest.raises(ValueError, match="probability"):
        mask_tokens(ids, 1, 200, probability=1.5)
    with pytest.raises(ValueError, match="special_tokens_mask"):
        mask_tokens(ids, 1, 200, special_tokens_mask=torch.zeros(3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"mask_token_id doit être dans \[0, vocab_size=200\)"):
        mask_tokens(ids, 200, 200)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    B=st.integers(1, 4),
    T=st.integers(1, 30),
    probability=st.floats(0.0, 1.0),
)
def test_mlm_laws_hold_for_any_input(seed, B, T, probability):
    """Lois du masquage : jamais de jeton spécial choisi, rien ne change hors des positions choisies."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 100, (B, T), generator=gen)
    special = torch.rand(B, T, generator=gen) < 0.3
    masked, labels = mask_tokens(ids, 4, 100, special, probability=probability, generator=gen)
    chosen = labels != IGNORE_INDEX
    assert not chosen[special].any()
    assert torch.equal(masked[~chosen], ids[~chosen]) and torch.equal(labels[chosen], ids[chosen])
    assert ((masked >= 0) & (masked < 100)).all()
    if probability == 0.0:
        assert not chosen.any()


# ---------------------------------------------------------------- perte de distillation


def reference_loss(s, t, y, temperature, alpha):
    """Calcul de référence en float64 avec NumPy : α τ² · moyenne Σ_k p_t (log p_t − log p_s) + (1 − α) CE."""
    s, t = np.asarray(s, dtype=np.float64), np.asarray(t, dtype=np.float64)

    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    log_ps, log_pt = log_softmax(s / temperature), log_softmax(t / temperature)
    kl = (np.exp(log_pt) * (log_pt - log_ps)).sum(axis=1).mean()
    ce = -log_softmax(s)[np.arange(len(y)), y].mean()
    return alpha * temperature**2 * kl + (1 - alpha) * ce


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6), st.integers(2, 5), st.floats(0.5, 8.0), st.floats(0.0, 1.0), st.integers(0, 10_000),
)
def test_distillation_loss_matches_reference(batch, classes, temperature, alpha, seed):
    rng = np.random.default_rng(seed)
    s, t = rng.normal(scale=3, size=(2, batch, classes))
    y = rng.integers(0, classes, size=batch)
    got = distillation_loss(torch.tensor(s), torch.tensor(t), torch.tensor(y), temperature, alpha)
    assert got.item() == pytest.approx(reference_loss(s, t, y, temperature, alpha), rel=1e-10, abs=1e-12)


def test_soft_term_vanishes_when_student_equals_teacher():
    z = torch.randn(4, 2, dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 0])
    assert distillation_loss(z, z, y, temperature=3.0, alpha=1.0).item() == pytest.approx(0.0, abs=1e-12)


def test_high_temperature_gradient_is_logit_matching():
    """Hinton et al. (2015), § 2.1 : pour τ grand, ∂(τ² KL)/∂z_s ≈ ((z_s − z̄_s) − (z_t − z̄_t)) / (K · B)."""
    torch.manual_seed(0)
    s = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    t = torch.randn(3, 4, dtype=torch.float64)
    y = torch.zeros(3, dtype=torch.long)
    distillation_loss(s, t, y, temperature=1000.0, alpha=1.0).backward()
    centered = (s - s.mean(1, keepdim=True)) - (t - t.mean(1, keepdim=True))
    expected = centered.detach() / (4 * 3)
    # Erreur d'approximation relative en O(1/τ) : tolérance relative 1e-2 pour τ = 1000.
    torch.testing.assert_close(s.grad, expected, rtol=1e-2, atol=1e-9)
    # Cet écart est bien le terme en 1/τ : avec le développement au second ordre de softmax(z/τ),
    # (1/K)(1 + z̃/τ + (z̃² − moyenne(z̃²))/(2τ²)) où z̃ = z − z̄, il ne reste qu'un O(1/τ²), soit ~1e-6 relatif.
    def second_order(z):
        z = z - z.mean(1, keepdim=True)
        return z + (z**2 - (z**2).mean(1, keepdim=True)) / (2 * 1000.0)

    expected2 = (second_order(s.detach()) - second_order(t)) / (4 * 3)
    torch.testing.assert_close(s.grad, expected2, rtol=1e-5, atol=1e-12)


def test_unscaled_soft_gradient_decays_as_inverse_square_temperature():
    """Hinton et al. (2015), § 2 : sans le facteur τ², le gradient des cibles souples décroît comme 1/τ², pas 1/τ.

    La dérivation en chaîne donne un 1/τ, et s − t ≈ (z̃_s − z̃_t)/(Kτ) en donne un second (logits centrés) :
    τ² × gradient sans facteur tend vers (z̃_s − z̃_t)/(K B), et la pente log-log vaut −2.
    """
    torch.manual_seed(1)
    s = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    t = torch.randn(3, 5, dtype=torch.float64)
    y = torch.zeros(3, dtype=torch.long)
    taus = np.array([10.0, 100.0, 1000.0])
    norms = []
    for tau in taus:
        (grad,) = torch.autograd.grad(distillation_loss(s, t, y, temperature=tau, alpha=1.0) / tau**2, s)
        norms.append(grad.norm().item())
    slopes = np.diff(np.log(norms)) / np.diff(np.log(taus))
    assert np.all(np.abs(slopes + 2) < 0.02), slopes  # une décroissance en 1/τ donnerait −1
    centered = (s - s.mean(1, keepdim=True)) - (t - t.mean(1, keepdim=True))
    limit = (centered / (5 * 3)).norm().item()
    assert taus[-1] ** 2 * norms[-1] == pytest.approx(limit, rel=1e-2)


def test_distillation_loss_checks_its_inputs():
    with pytest.raises(ValueError, match="même forme"):
        distillation_loss(torch.zeros(2, 2), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="temperature > 0"):
        distillation_loss(torch.zeros(2, 2), torch.zeros(2, 2), torch.zeros(2, dtype=torch.long), temperature=0)
    with pytest.raises(ValueError, match="0 ≤ alpha ≤ 1"):
        distillation_loss(torch.zeros(2, 2), torch.zeros(2, 2), torch.zeros(2, dtype=torch.long), alpha=1.5)
