"""Tests de masterclass.nn.gradients : chaque gradient écrit à la main contre la différentiation automatique.

Référence : ``torch.autograd.grad`` sur l'opération de PyTorch (``F.linear``, ``torch.softmax``,
``F.layer_norm``, ``F.cross_entropy``, ``F.mse_loss``), en float64. Tolérance : 1e-10 (les deux calculs ne
diffèrent que par l'ordre des opérations) ; les propriétés ``hypothesis`` parcourent les formes.
"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass.nn.gradients import (
    cross_entropy,
    cross_entropy_backward,
    layer_norm_backward,
    linear_backward,
    mse_backward,
    mse_loss,
    softmax_backward,
)

TOL = dict(rtol=0, atol=1e-10)
dims = st.integers(1, 7)
seeds = st.integers(0, 2**31 - 1)


def randn(*shape, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(*shape, generator=g, dtype=torch.float64)).requires_grad_(True)


# ---------------------------------------------------------------- pertes


@settings(max_examples=50, deadline=None)
@given(st.lists(dims, min_size=1, max_size=3), seeds)
def test_mse_loss_and_backward_equal_torch(shape, seed):
    pred, target = randn(*shape, seed=seed), randn(*shape, seed=seed + 1).detach()
    ref = F.mse_loss(pred, target)
    torch.testing.assert_close(mse_loss(pred, target), ref, **TOL)
    (grad,) = torch.autograd.grad(ref, pred)
    torch.testing.assert_close(mse_backward(pred.detach(), target), grad, **TOL)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 9), st.integers(2, 12), st.sampled_from([0.0, 0.1, 0.37]), seeds)
def test_cross_entropy_and_backward_equal_torch(N, V, eps, seed):
    logits = randn(N, V, seed=seed, scale=3.0)
    target = torch.randint(0, V, (N,), generator=torch.Generator().manual_seed(seed))
    ref = F.cross_entropy(logits, target, label_smoothing=eps)
    torch.testing.assert_close(cross_entropy(logits, target, label_smoothing=eps), ref, **TOL)
    (grad,) = torch.autograd.grad(ref, logits)
    torch.testing.assert_close(cross_entropy_backward(logits.detach(), target, label_smoothing=eps), grad, **TOL)


def test_gradient_of_softmax_cross_entropy_is_p_minus_y():
    logits = randn(1, 5, seed=3, scale=2.0)
    y = torch.tensor([2])
    (grad,) = torch.autograd.grad(F.cross_entropy(logits, y), logits)
    p_minus_y = torch.softmax(logits.detach(), dim=1) - F.one_hot(y, 5).double()
    torch.testing.assert_close(grad, p_minus_y, **TOL)
    torch.testing.assert_close(cross_entropy_backward(logits.detach(), y), p_minus_y, **TOL)
    assert abs(float(grad.sum())) < 1e-15  # Σ_k (p_k - y_k) = 1 - 1


@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_cross_entropy_with_soft_targets_equals_torch(eps):
    logits = randn(4, 6, seed=8)
    q = torch.softmax(randn(4, 6, seed=9).detach(), dim=1)
    ref = F.cross_entropy(logits, q, label_smoothing=eps)
    torch.testing.assert_close(cross_entropy(logits, q, label_smoothing=eps), ref, **TOL)
    (grad,) = torch.autograd.grad(ref, logits)
    torch.testing.assert_close(cross_entropy_backward(logits.detach(), q, label_smoothing=eps), grad, **TOL)


def test_cross_entropy_survives_huge_logits():
    logits = torch.tensor([[1000.0, 0.0, -1000.0]], dtype=torch.float64)
    assert torch.isfinite(cross_entropy(logits, torch.tensor([2])))
    torch.testing.assert_close(cross_entropy(logits, torch.tensor([2])), torch.tensor(2000.0, dtype=torch.float64))


# ---------------------------------------------------------------- couches


@settings(max_examples=50, deadline=None)
@given(st.lists(dims, min_size=1, max_size=3), dims, dims, seeds)
def test_linear_backward_equals_autograd(batch, d_in, d_out, seed):
    x, W, b = randn(*batch, d_in, seed=seed), randn(d_out, d_in, seed=seed + 1), randn(d_out, seed=seed + 2)
    delta = randn(*batch, d_out, seed=seed + 3).detach()
    ref = torch.autograd.grad(F.linear(x, W, b), (x, W, b), grad_outputs=delta)
    for mine, theirs in zip(linear_backward(delta, x.detach(), W.detach()), ref, strict=True):
        torch.testing.assert_close(mine, theirs, **TOL)


def test_linear_backward_is_outer_product_for_one_vector():
    x, W, delta = randn(3, seed=1).detach(), randn(4, 3, seed=2).detach(), randn(4, seed=3).detach()
    grad_x, grad_W, grad_b = linear_backward(delta, x, W)
    torch.testing.assert_close(grad_W, torch.outer(delta, x), **TOL)  # δ xᵀ
    torch.testing.assert_close(grad_x, W.T @ delta, **TOL)  # Wᵀ δ
    torch.testing.assert_close(grad_b, delta, **TOL)


@settings(max_examples=50, deadline=None)
@given(st.lists(dims, min_size=1, max_size=3), seeds, st.floats(0.1, 10.0))
def test_softmax_backward_equals_autograd(shape, seed, scale):
    z = randn(*shape, seed=seed, scale=scale)
    delta = randn(*shape, seed=seed + 1).detach()
    s = torch.softmax(z, dim=-1)
    (ref,) = torch.autograd.grad(s, z, grad_outputs=delta)
    torch.testing.assert_close(softmax_backward(delta, s.detach()), ref, **TOL)


@settings(max_examples=50, deadline=None)
@given(st.lists(dims, min_size=0, max_size=2), st.integers(2, 16), seeds, st.floats(0.01, 100.0),
       st.sampled_from([1e-5, 1e-12, 0.5]))
def test_layer_norm_backward_equals_autograd(batch, C, seed, scale, eps):
    """LayerNorm backward equals autograd : la dérivée complète, avec γ, β, sur des échelles variées."""
    x, gamma, beta = randn(*batch, C, seed=seed, scale=scale), randn(C, seed=seed + 1), randn(C, seed=seed + 2)
    delta = randn(*batch, C, seed=seed + 3).detach()
    y = F.layer_norm(x, (C,), gamma, beta, eps=eps)
    ref = torch.autograd.grad(y, (x, gamma, beta), grad_outputs=delta)
    mine = layer_norm_backward(delta, x.detach(), gamma.detach(), eps=eps)
    rel = dict(rtol=1e-10, atol=1e-10)  # ∂L/∂x est en 1/σ : relative quand x est petit
    for a, b in zip(mine, ref, strict=True):
        torch.testing.assert_close(a, b, **rel)


def test_layer_norm_backward_without_affine_and_its_invariances():
    x = randn(5, 8, seed=4)
    delta = randn(5, 8, seed=5).detach()
    (ref,) = torch.autograd.grad(F.layer_norm(x, (8,)), x, grad_outputs=delta)
    grad_x, grad_w, grad_b = layer_norm_backward(delta, x.detach())
    torch.testing.assert_close(grad_x, ref, **TOL)
    assert grad_w is None and grad_b is None
    # LayerNorm ignore un décalage de x (et, avec eps = 0, une échelle) : son gradient est orthogonal à 1 et à x̂.
    torch.testing.assert_close(grad_x.sum(-1), torch.zeros(5, dtype=torch.float64), **TOL)
    grad_x, _, _ = layer_norm_backward(delta, x.detach(), eps=0.0)
    x_hat = F.layer_norm(x.detach(), (8,), eps=0.0)
    torch.testing.assert_close((grad_x * x_hat).sum(-1), torch.zeros(5, dtype=torch.float64), **TOL)


def test_layer_norm_backward_matches_nn_layernorm_module():
    ln = torch.nn.LayerNorm(6, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.normal_(generator=torch.Generator().manual_seed(0))
        ln.bias.normal_(generator=torch.Generator().manual_seed(1))
    x = randn(2, 3, 6, seed=6)
    delta = randn(2, 3, 6, seed=7).detach()
    ln(x).backward(delta)
    grad_x, grad_w, grad_b = layer_norm_backward(delta, x.detach(), ln.weight.detach(), eps=ln.eps)
    torch.testing.assert_close(grad_x, x.grad, **TOL)
    torch.testing.assert_close(grad_w, ln.weight.grad, **TOL)
    torch.testing.assert_close(grad_b, ln.bias.grad, **TOL)


# ---------------------------------------------------------------- entrées invalides


def test_shape_errors_are_in_french():
    x, W = torch.zeros(2, 3), torch.zeros(4, 5)
    with pytest.raises(ValueError, match="doivent partager d_in.*x \\(2, 3\\), weight \\(4, 5\\)"):
        linear_backward(torch.zeros(2, 4), x, W)
    with pytest.raises(ValueError, match="grad_out doit avoir la forme de la sortie \\(2, 4\\) : reçu \\(2, 5\\)"):
        linear_backward(torch.zeros(2, 5), x, torch.zeros(4, 3))
    with pytest.raises(ValueError, match="même forme : pred \\(2, 3\\), target \\(3, 2\\)"):
        mse_backward(torch.zeros(2, 3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="target \\(classes\\) doit avoir la forme \\(N,\\) = \\(2,\\) : reçu \\(3,"):
        cross_entropy(torch.zeros(2, 4), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="entre 0 et V - 1 = 3 : reçu de 0 à 4"):
        cross_entropy_backward(torch.zeros(2, 4), torch.tensor([0, 4]))
    with pytest.raises(ValueError, match="label_smoothing doit être dans \\[0, 1\\["):
        cross_entropy(torch.zeros(2, 4), torch.tensor([0, 1]), label_smoothing=1.0)
    with pytest.raises(ValueError, match="logits doit avoir la forme \\(N, V\\) : reçu \\(4,\\)"):
        cross_entropy(torch.zeros(4), torch.tensor([0]))
    with pytest.raises(ValueError, match="weight doit avoir la forme \\(C,\\) = \\(3,\\) : reçu \\(4,\\)"):
        layer_norm_backward(torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(4))
    with pytest.raises(ValueError, match="grad_out et probs doivent avoir la même forme"):
        softmax_backward(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(TypeError, match="x doit être un torch.Tensor : reçu list"):
        linear_backward(torch.zeros(1, 2), [[1.0, 2.0]], torch.zeros(2, 2))
