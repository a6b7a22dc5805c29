"""Tests de masterclass.training.dynamics : variances à l'initialisation, normes de gradient, test de plage, bruit."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from masterclass.training.dynamics import (
    DeepMLP,
    encoder_gradient_norms,
    fit_encoder_dynamics,
    gradient_norms,
    layer_statistics,
    lr_range_test,
    minibatch_noise,
    per_example_gradients,
    teacher_task,
)


def _x(n=512, width=256, seed=1000):
    return torch.randn(n, width, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_backward_statistics_are_autograd():
    """Une couche : ∂L/∂z = r ⊙ φ'(z) avec le r tiré par layer_statistics (même graine)."""
    model = DeepMLP(1, 16, "tanh", "xavier", seed=0).double()
    x = _x(64, 16)
    stats = layer_statistics(model, x, seed=5)
    z = model.layers[0](x)
    r = torch.randn(z.shape, generator=torch.Generator().manual_seed(5), dtype=z.dtype)
    grad = r * (1 - torch.tanh(z) ** 2)
    assert stats["forward"][0] == pytest.approx(float(z.detach().var()), rel=1e-12)
    assert stats["backward"][0] == pytest.approx(float(grad.detach().var()), rel=1e-12)


def test_xavier_first_layer_variance():
    """Var(z₁) = fan_in σ² Var(x) = 1 : 256 lignes de W, chacune de norme² ≈ 256 σ² à √(2/256) près ; la moyenne
    sur 256 lignes et 512 exemples fluctue de moins de 2 %, la tolérance de 5 % est à plus de 3 écarts types."""
    stats = layer_statistics(DeepMLP(1, 256, "tanh", "xavier", seed=0).double(), _x())
    assert stats["forward"][0] == pytest.approx(1.0, rel=0.05)


def test_he_preserves_second_moment_on_average():
    """ReLU + He : E[Var(z₂) / Var(z₁)] = 1. Sur 30 réseaux de largeur 256, le rapport a un écart type ≈ 0,15 par
    réseau, donc ≈ 0,03 pour la moyenne : tolérance 0,12 (4 écarts types). Avec Xavier, le rapport vaut 1/2."""
    ratios = {}
    for name in ("he", "xavier"):
        r = []
        for seed in range(30):
            s = layer_statistics(DeepMLP(2, 256, "relu", name, seed=seed).double(), _x(256))
            r.append(s["forward"][1] / s["forward"][0])
        ratios[name] = float(np.mean(r))
    assert ratios["he"] == pytest.approx(1.0, abs=0.12)
    assert ratios["xavier"] == pytest.approx(0.5, abs=0.06)


def test_gradient_norms_are_autograd():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    x, y = torch.randn(11, 5), torch.randint(3, (11,))
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, list(model.parameters()), retain_graph=True)
    loss.backward()
    expected = [math.sqrt(sum(float(g.double().pow(2).sum()) for g in grads[:2])), 0.0,
                math.sqrt(sum(float(g.double().pow(2).sum()) for g in grads[2:]))]
    np.testing.assert_allclose(gradient_norms(list(model)), expected, rtol=1e-10)


def test_encoder_gradient_norms_shapes_and_ffn_bound():
    out = encoder_gradient_norms(norm_first=True, depth=3, d_model=16, nhead=2, dim_feedforward=32, batch=2, length=4)
    assert len(out["layer"]) == len(out["ffn"]) == 3
    assert all(0 < f <= g for f, g in zip(out["ffn"], out["layer"], strict=True))  # W₂ est une partie de la couche
    again = encoder_gradient_norms(norm_first=True, depth=3, d_model=16, nhead=2, dim_feedforward=32, batch=2,
                                   length=4)
    assert again == out


@given(lam=st.floats(0.5, 200.0), w0=st.floats(0.1, 10.0))
@settings(max_examples=30, deadline=None)
def test_range_test_finds_stability_limit(lam, w0):
    """Sur L(w) = ½ λ w², un pas de descente multiplie w par 1 − ηλ : la perte baisse tant que η < 2 / λ et monte
    ensuite. Le taux de perte minimale est donc le premier taux de la grille qui atteint 2 / λ."""
    w = nn.Parameter(torch.tensor([w0], dtype=torch.float64))

    def loss_fn(model, k):
        return 0.5 * lam * (model[0] ** 2).sum()

    model = nn.ParameterList([w])
    steps, lo, hi = 200, 1e-4, 1e2
    out = lr_range_test(model, loss_fn, lo, hi, steps)
    ratio = (hi / lo) ** (1 / (steps - 1))
    limit = 2 / lam
    assert limit * (1 - 1e-9) <= out["lr_at_min"] < limit * ratio * (1 + 1e-9)
    assert out["suggested"] == pytest.approx(out["lr_at_min"] / 10)


def test_per_example_gradients_match_loop():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    x, y = torch.randn(9, 4, dtype=torch.float64), torch.randint(3, (9,))
    grads = per_example_gradients(model, F.cross_entropy, x, y)
    for i in range(9):
        g = torch.autograd.grad(F.cross_entropy(model(x[i:i + 1]), y[i:i + 1]), list(model.parameters()))
        torch.testing.assert_close(grads[i], torch.cat([t.reshape(-1) for t in g]), rtol=1e-10, atol=1e-12)


def test_minibatch_noise_formula():
    """B = N : aucun bruit. B = 1, 4, 16 : 4000 tirages, l'erreur relative de la moyenne mesurée est ≈ √(2/4000)·(un
    facteur d'aplatissement ≤ 3) ≈ 4 % ; tolérance 12 %."""
    g = torch.randn(64, 10, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * torch.arange(1, 11)
    out = minibatch_noise(g, [1, 4, 16, 64], draws=4000, seed=1)
    np.testing.assert_allclose(out["measured"][:3], out["predicted"][:3], rtol=0.12)
    assert out["measured"][3] == pytest.approx(0.0, abs=1e-20) and out["predicted"][3] == 0.0


def test_french_errors():
    with pytest.raises(ValueError, match="activation doit être"):
        DeepMLP(2, 4, activation="sigmoid")
    with pytest.raises(ValueError, match="init doit être"):
        DeepMLP(2, 4, init="lecun")
    with pytest.raises(ValueError, match="aucun paramètre n'a de gradient"):
        gradient_norms([nn.Linear(2, 2)])
    with pytest.raises(ValueError, match="lr_min < lr_max"):
        lr_range_test(nn.Linear(1, 1), lambda m, k: m.weight.sum(), 1.0, 0.1, 10)
    with pytest.raises(ValueError, match="≤ N"):
        minibatch_noise(torch.zeros(4, 2), [8], draws=2)


def test_teacher_task_labels():
    """La classe est argmax P x̄, la même à chaque position ; le professeur ne dépend pas de la graine des entrées."""
    x, y = teacher_task(3, 5, 7, 16)
    teacher = torch.randn(16, 10, generator=torch.Generator().manual_seed(0))
    assert torch.equal(y[:, 0], (x.mean(1) @ teacher).argmax(-1))
    assert torch.equal(y, y[:, :1].expand(5, 7))


def test_fit_encoder_dynamics_is_reproducible_and_learns():
    a = fit_encoder_dynamics(0, norm_first=True, warmup=5, lr=3e-3, steps=40, depth=1, d_model=16, batch=32)
    b = fit_encoder_dynamics(0, norm_first=True, warmup=5, lr=3e-3, steps=40, depth=1, d_model=16, batch=32)
    assert a == b and len(a["loss"]) == 40
    assert np.mean(a["loss"][-10:]) < np.mean(a["loss"][:10])  # la perte baisse
