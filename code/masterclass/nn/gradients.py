"""Pertes et gradients écrits à la main : ce que ``loss.backward()`` calcule, couche par couche.

Chaque fonction ``*_backward`` reçoit le gradient de la perte par rapport à la sortie d'une opération (noté
``grad_out``, le δ du texte) et ce qu'il faut garder de la passe avant, et rend le gradient par rapport aux entrées
et aux paramètres : c'est le produit vecteur-jacobienne ``Jᵀ δ`` de l'opération, écrit comme la formule du livre,
sans jamais former la jacobienne. Les tests (``code/tests/test_gradients.py``) comparent chaque fonction à la
différentiation automatique de PyTorch en float64.

Conventions : un lot de vecteurs est rangé en lignes (dernier axe = coordonnées), comme dans ``torch.nn`` ; une
couche linéaire calcule ``y = x Wᵀ + b`` avec ``W`` de forme ``(d_out, d_in)`` (le ``weight`` de ``nn.Linear``).

Voir : {ref}`opt-jacobiennes`.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F


def _check_tensors(**tensors) -> None:
    for name, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"{name} doit être un torch.Tensor : reçu {type(value).__name__}.")


def _check_same_shape(name_a: str, a: Tensor, name_b: str, b: Tensor) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} et {name_b} doivent avoir la même forme : {name_a} {tuple(a.shape)}, {name_b} {tuple(b.shape)}."
        )


def _check_logits_target(logits: Tensor, target: Tensor) -> None:
    _check_tensors(logits=logits, target=target)
    if logits.ndim != 2:
        raise ValueError(f"logits doit avoir la forme (N, V) : reçu {tuple(logits.shape)}.")
    if target.dtype in (torch.int64, torch.int32):
        if target.shape != logits.shape[:1]:
            raise ValueError(
                f"target (classes) doit avoir la forme (N,) = {tuple(logits.shape[:1])} : reçu {tuple(target.shape)}."
            )
        if target.numel() and (int(target.min()) < 0 or int(target.max()) >= logits.shape[1]):
            raise ValueError(
                f"les classes de target doivent être entre 0 et V - 1 = {logits.shape[1] - 1} : "
                f"reçu de {int(target.min())} à {int(target.max())}."
            )
    else:
        _check_same_shape("logits", logits, "target (loi cible)", target)


def _target_distribution(logits: Tensor, target: Tensor, label_smoothing: float) -> Tensor:
    """La loi cible ``q`` (N, V) : one-hot lissé si ``target`` donne des classes, ``target`` lui-même sinon."""
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing doit être dans [0, 1[ : reçu {label_smoothing!r}.")
    if target.dtype in (torch.int64, torch.int32):
        q = F.one_hot(target.long(), logits.shape[1]).to(logits.dtype)  # (N, V)
    else:
        q = target
    V = logits.shape[1]
    return (1 - label_smoothing) * q + label_smoothing / V  # (N, V)


# ---------------------------------------------------------------- pertes et leur gradient


def mse_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Erreur quadratique moyenne ``L = (1/n) Σ_i (ŷ_i - y_i)²`` sur tous les coefficients (``n = pred.numel()``).

    Égale à ``torch.nn.functional.mse_loss(pred, target)`` (réduction ``"mean"``). Voir : {ref}`opt-pertes-mse`.
    """
    _check_tensors(pred=pred, target=target)
    _check_same_shape("pred", pred, "target", target)
    return ((pred - target) ** 2).mean()


def mse_backward(pred: Tensor, target: Tensor) -> Tensor:
    """Gradient de :func:`mse_loss` par rapport aux prédictions : ``∂L/∂ŷ = 2 (ŷ - y) / n``.

    Voir : {ref}`opt-pertes-mse`.
    """
    _check_tensors(pred=pred, target=target)
    _check_same_shape("pred", pred, "target", target)
    return 2 * (pred - target) / pred.numel()


def cross_entropy(logits: Tensor, target: Tensor, label_smoothing: float = 0.0) -> Tensor:
    """Entropie croisée moyenne ``L = -(1/N) Σ_n Σ_k q_nk log softmax(z_n)_k`` à partir des logits ``(N, V)``.

    ``target`` donne soit les classes ``(N,)`` (entiers), soit une loi cible ``(N, V)`` ; avec des classes, la
    cible est le one-hot lissé ``q = (1 - ε) 1[k = y] + ε / V`` (``ε = label_smoothing``), comme dans
    ``torch.nn.functional.cross_entropy``. Voir : {ref}`opt-pertes-entropie-croisee`.
    """
    _check_logits_target(logits, target)
    q = _target_distribution(logits, target, label_smoothing)  # (N, V)
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)  # (N, V) : log softmax stable
    return -(q * log_p).sum(dim=1).mean()


def cross_entropy_backward(logits: Tensor, target: Tensor, label_smoothing: float = 0.0) -> Tensor:
    """Gradient de :func:`cross_entropy` par rapport aux logits : ``∂L/∂z = (p - q) / N``, ``p = softmax(z)``.

    Sans lissage et avec des classes, ``q`` est le one-hot ``y`` : c'est le célèbre ``p - y`` (divisé par ``N``,
    la taille du lot, à cause de la moyenne). Voir : {ref}`opt-pertes-gradient`.
    """
    _check_logits_target(logits, target)
    q = _target_distribution(logits, target, label_smoothing)  # (N, V)
    p = torch.softmax(logits, dim=1)  # (N, V)
    return (p - q) / logits.shape[0]


# ---------------------------------------------------------------- couches


def linear_backward(grad_out: Tensor, x: Tensor, weight: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Gradients d'une couche linéaire ``y = x Wᵀ + b`` : ``(∂L/∂x, ∂L/∂W, ∂L/∂b)``.

    Pour un vecteur colonne, ``∂L/∂W = δ xᵀ`` et ``∂L/∂x = Wᵀ δ`` avec ``δ = ∂L/∂y``. En lot (lignes), les
    exemples s'ajoutent : ``∂L/∂W = Δᵀ X`` (somme des ``δ_n x_nᵀ``), ``∂L/∂X = Δ W`` et ``∂L/∂b = Σ_n δ_n``.
    Formes : ``grad_out (..., d_out)``, ``x (..., d_in)``, ``weight (d_out, d_in)``.
    Voir : {ref}`opt-jacobiennes-lineaire`.
    """
    _check_tensors(grad_out=grad_out, x=x, weight=weight)
    if weight.ndim != 2 or x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"x (..., d_in) et weight (d_out, d_in) doivent partager d_in : x {tuple(x.shape)}, "
            f"weight {tuple(weight.shape)}."
        )
    if grad_out.shape != x.shape[:-1] + weight.shape[:1]:
        raise ValueError(
            f"grad_out doit avoir la forme de la sortie {tuple(x.shape[:-1] + weight.shape[:1])} : "
            f"reçu {tuple(grad_out.shape)}."
        )
    delta = grad_out.reshape(-1, weight.shape[0])  # (N, d_out) : tous les axes de lot à plat
    inputs = x.reshape(-1, weight.shape[1])  # (N, d_in)
    grad_x = grad_out @ weight  # (..., d_in) : chaque ligne est Wᵀ δ
    grad_weight = delta.T @ inputs  # (d_out, N) @ (N, d_in) = Σ_n δ_n x_nᵀ
    grad_bias = delta.sum(dim=0)  # (d_out,)
    return grad_x, grad_weight, grad_bias


def softmax_backward(grad_out: Tensor, probs: Tensor) -> Tensor:
    """Gradient à travers ``s = softmax(z)`` (dernier axe) : ``∂L/∂z = s ⊙ (δ - ⟨s, δ⟩)``.

    C'est ``Jᵀ δ`` avec la jacobienne ``J = diag(s) - s sᵀ`` (symétrique), en ``O(V)`` au lieu de ``O(V²)``.
    ``probs`` est la sortie de la softmax. Voir : {ref}`opt-jacobiennes-softmax`.
    """
    _check_tensors(grad_out=grad_out, probs=probs)
    _check_same_shape("grad_out", grad_out, "probs", probs)
    inner = (grad_out * probs).sum(dim=-1, keepdim=True)  # (..., 1) : ⟨s, δ⟩
    return probs * (grad_out - inner)


def layer_norm_backward(grad_out: Tensor, x: Tensor, weight: Tensor | None = None,
                        eps: float = 1e-5) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Gradients de la normalisation de couche ``y = γ ⊙ x̂ + β`` sur le dernier axe : ``(∂L/∂x, ∂L/∂γ, ∂L/∂β)``.

    Avec ``x̂ = (x - μ) / σ``, ``σ = √(var + eps)`` (variance biaisée, comme ``torch.nn.LayerNorm``), ``C`` la
    largeur et ``g = γ ⊙ δ`` : ``∂L/∂x = (g - moyenne(g) - x̂ · moyenne(g ⊙ x̂)) / σ`` ; ``∂L/∂γ = Σ δ ⊙ x̂`` et
    ``∂L/∂β = Σ δ`` (sommes sur les axes de lot). Sans ``weight`` (``γ = 1``), les deux derniers sont ``None``.
    Formes : ``grad_out`` et ``x`` ``(..., C)``, ``weight (C,)``. Voir : {ref}`opt-jacobiennes-layernorm`.
    """
    _check_tensors(grad_out=grad_out, x=x)
    _check_same_shape("grad_out", grad_out, "x", x)
    if weight is not None:
        _check_tensors(weight=weight)
        if weight.shape != x.shape[-1:]:
            raise ValueError(f"weight doit avoir la forme (C,) = {tuple(x.shape[-1:])} : reçu {tuple(weight.shape)}.")
    mu = x.mean(dim=-1, keepdim=True)  # (..., 1)
    sigma = torch.sqrt(x.var(dim=-1, unbiased=False, keepdim=True) + eps)  # (..., 1)
    x_hat = (x - mu) / sigma  # (..., C)
    g = grad_out if weight is None else grad_out * weight  # (..., C) : δ remonté à travers γ
    grad_x = (g - g.mean(dim=-1, keepdim=True) - x_hat * (g * x_hat).mean(dim=-1, keepdim=True)) / sigma
    if weight is None:
        return grad_x, None, None
    flat = grad_out.reshape(-1, x.shape[-1])  # (N, C)
    grad_weight = (flat * x_hat.reshape(-1, x.shape[-1])).sum(dim=0)  # (C,)
    return grad_x, grad_weight, flat.sum(dim=0)
