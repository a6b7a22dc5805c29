"""Tests de masterclass.training.optimizers : égalité avec torch.optim sur 100 pas, AdamW ≠ Adam + L2, erreurs."""

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass.training.optimizers import SGD, Adam, AdamW, RMSprop, trajectory

STEPS = 100


def _model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()


def _groups(model, hyper_a: dict, hyper_b: dict) -> list[dict]:
    """Deux groupes : les matrices (hyperparamètres ``hyper_a``) et les biais (``hyper_b``)."""
    weights = [p for p in model.parameters() if p.ndim == 2]
    biases = [p for p in model.parameters() if p.ndim == 1]
    return [{"params": weights, **hyper_a}, {"params": biases, **hyper_b}]


def _run(model, opt, steps: int = STEPS, seed: int = 1) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(16, 5, generator=gen, dtype=torch.float64)
        y = torch.randn(16, 3, generator=gen, dtype=torch.float64)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


CASES = [
    (SGD, torch.optim.SGD, dict(lr=0.05), dict(lr=0.1, weight_decay=0.01)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.01), dict(lr=0.02, momentum=0.5)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
     dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.1)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01, weight_decay=0.01), dict(lr=0.003, alpha=0.9, eps=1e-6)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.9, weight_decay=0.05), dict(lr=0.001, momentum=0.5)),
    (Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.01), dict(lr=0.003, betas=(0.8, 0.99), eps=1e-6)),
    (AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1), dict(lr=0.003, betas=(0.5, 0.9), weight_decay=0.0)),
]


@pytest.mark.parametrize("ours_cls, ref_cls, hyper_a, hyper_b", CASES)
def test_equals_torch_optim_over_100_steps(ours_cls, ref_cls, hyper_a, hyper_b):
    model = _model()
    reference = copy.deepcopy(model)
    initial = [p.detach().clone() for p in model.parameters()]
    ours = _run(model, ours_cls(_groups(model, hyper_a, hyper_b)))
    theirs = _run(reference, ref_cls(_groups(reference, hyper_a, hyper_b)))
    for a, b, p0 in zip(ours, theirs, initial, strict=True):
        assert (a - p0).abs().max() > 1e-3  # les paramètres ont bougé : l'égalité n'est pas triviale
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("ours_cls, ref_cls, hyper_a, hyper_b", CASES)
def test_state_dict_resumes_like_torch(ours_cls, ref_cls, hyper_a, hyper_b):
    """50 pas, sauvegarde/rechargement de l'état dans un nouvel optimiseur, 50 pas : comme 100 pas d'affilée."""
    model = _model()
    straight = copy.deepcopy(model)
    _run(straight, ours_cls(_groups(straight, hyper_a, hyper_b)), steps=STEPS)
    opt = ours_cls(_groups(model, hyper_a, hyper_b))
    gen = torch.Generator().manual_seed(1)
    for i in range(STEPS):
        if i == STEPS // 2:
            saved = opt.state_dict()
            opt = ours_cls(_groups(model, hyper_a, hyper_b))
            opt.load_state_dict(saved)
        x = torch.randn(16, 5, generator=gen, dtype=torch.float64)
        y = torch.randn(16, 3, generator=gen, dtype=torch.float64)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    for a, b in zip(model.parameters(), straight.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_adamw_differs_from_adam_with_l2():
    hyper = dict(lr=0.01, weight_decay=0.1)
    models = [_model() for _ in range(2)]
    a = _run(models[0], Adam(models[0].parameters(), **hyper))
    w = _run(models[1], AdamW(models[1].parameters(), **hyper))
    gap = max((x - y).abs().max().item() for x, y in zip(a, w, strict=True))
    assert gap > 1e-2


def test_decoupled_decay_is_exact_geometric_shrinkage():
    """Perte constante (gradient nul) : AdamW multiplie θ par (1 − ηλ) à chaque pas ; Adam + L2 fait un pas ≈ η."""
    lr, wd, t = 0.01, 0.1, 20
    theta0 = torch.tensor([3.0, -0.5, 1e-3], dtype=torch.float64)
    zero_loss = lambda x: 0.0 * x.sum()  # noqa: E731
    pts_w, _ = trajectory(AdamW, zero_loss, theta0, t, lr=lr, weight_decay=wd)
    torch.testing.assert_close(pts_w[-1], theta0 * (1 - lr * wd) ** t, rtol=1e-14, atol=0)
    pts_a, _ = trajectory(Adam, zero_loss, theta0, 1, lr=lr, weight_decay=wd, eps=0.0)
    # Avec L2, m̂ / √v̂ = signe(θ) au premier pas : chaque coordonnée bouge de η, quelle que soit sa taille.
    torch.testing.assert_close(pts_a[1], theta0 - lr * torch.sign(theta0), rtol=1e-14, atol=0)


def test_adam_bias_correction_first_step_is_sign():
    g = torch.tensor([1e-4, -3.0, 250.0], dtype=torch.float64)
    pts, _ = trajectory(Adam, lambda x: (g * x).sum(), torch.zeros(3), 1, lr=0.1, eps=0.0)
    torch.testing.assert_close(pts[1], -0.1 * torch.sign(g), rtol=1e-14, atol=0)


@settings(max_examples=25, deadline=None)
@given(lam=st.floats(0.1, 10.0), lr_frac=st.floats(0.05, 1.9), x0=st.floats(-5, 5))
def test_sgd_on_quadratic_is_geometric(lam, lr_frac, x0):
    """Sur ½ λ x², un pas de SGD multiplie x par (1 − ηλ) exactement."""
    lr = lr_frac / lam
    pts, _ = trajectory(SGD, lambda x: 0.5 * lam * (x**2).sum(), [x0], 10, lr=lr)
    expected = x0 * (1 - lr * lam) ** np.arange(11)
    np.testing.assert_allclose(pts[:, 0].numpy(), expected, rtol=1e-12, atol=1e-300)


def test_trajectory_shapes_and_losses():
    pts, losses = trajectory(SGD, lambda x: (x**2).sum(), [1.0, 2.0], 7, lr=0.1)
    assert pts.shape == (8, 2) and losses.shape == (8,)
    torch.testing.assert_close(losses, (pts**2).sum(1), rtol=1e-15, atol=0)


def test_closure_returns_loss():
    p = torch.nn.Parameter(torch.tensor([2.0], dtype=torch.float64))
    opt = SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 4.0 and p.item() == 1.0


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: SGD(p, lr=-0.1), "taux d'apprentissage lr doit être un réel ≥ 0"),
        (lambda p: Adam(p, lr=-1e-3), "taux d'apprentissage lr doit être un réel ≥ 0"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), r"betas \(β₂\) doit être un réel de \[0.0, 1.0\)"),
        (lambda p: AdamW(p, betas=(-0.1, 0.999)), r"betas \(β₁\)"),
        (lambda p: Adam(p, betas=(0.9,)), "couple"),
        (lambda p: Adam(p, eps=-1.0), "eps doit être un réel ≥ 0"),
        (lambda p: AdamW(p, weight_decay=-0.01), "weight_decay doit être un réel ≥ 0"),
        (lambda p: SGD(p, lr=0.1, momentum=1.5), r"momentum doit être un réel de \[0.0, 1.0\]"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), "Nesterov demande une inertie"),
        (lambda p: RMSprop(p, alpha=1.0), r"alpha doit être un réel de \[0.0, 1.0\)"),
        (lambda p: SGD(p, lr="0.1"), "reçu '0.1'"),
    ],
)
def test_invalid_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make([torch.nn.Parameter(torch.zeros(2))])


def test_invalid_group_added_later():
    opt = Adam([torch.nn.Parameter(torch.zeros(2))])
    with pytest.raises(ValueError, match="betas"):
        opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "betas": (0.9, 1.2)})


def test_invalid_steps():
    with pytest.raises(ValueError, match="steps doit être un entier ≥ 0"):
        trajectory(SGD, lambda x: x.sum(), [0.0], -1, lr=0.1)
