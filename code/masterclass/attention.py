"""Le mécanisme d'attention : softmax stable, attention par produit scalaire normalisé, masques.

Implémentation explicite (sans appel à l'attention fusionnée de PyTorch) de

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V

(Vaswani et al., 2017, équation 1). Convention des masques : booléens, ``True`` = « la requête peut
regarder cette clé », comme ``torch.nn.functional.scaled_dot_product_attention``.

Voir : module 4, « Le mécanisme d'attention ».
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def _check_tensor(name: str, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} doit être un torch.Tensor : reçu {type(x).__name__}.")


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Softmax numériquement stable selon l'axe ``dim`` : ``exp(x - max) / somme(exp(x - max))``.

    Soustraire le maximum ne change pas le résultat (invariance par translation) mais évite le
    dépassement de capacité de ``exp`` pour de grands logits (±1e4). Les lignes entièrement à ``-inf``
    (tout est masqué) donnent des zéros plutôt que des NaN.

    Voir : module 4, « Softmax ».
    """
    _check_tensor("x", x)
    if not x.is_floating_point():
        raise TypeError(f"x doit être un tenseur de flottants : reçu le type {x.dtype}.")
    x_max = x.amax(dim=dim, keepdim=True)
    # Ligne entièrement masquée : max = -inf ; on le remplace par 0 pour éviter (-inf) - (-inf) = NaN.
    x_max = torch.where(torch.isfinite(x_max), x_max, torch.zeros_like(x_max))
    e = torch.exp(x - x_max)
    total = e.sum(dim=dim, keepdim=True)
    return e / torch.where(total > 0, total, torch.ones_like(total))


def causal_mask(T: int, device=None) -> Tensor:
    """Masque causal ``(T, T)`` : la position ``i`` peut regarder les positions ``j ≤ i`` (triangle inférieur).

    Voir : module 4, « Masques ».
    """
    if not isinstance(T, int) or isinstance(T, bool) or T <= 0:
        raise ValueError(f"T doit être un entier strictement positif : reçu {T!r}.")
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


def padding_mask(lengths, S: int) -> Tensor:
    """Masque de remplissage ``(B, 1, 1, S)`` : la clé ``j`` de l'exemple ``b`` est visible si ``j < lengths[b]``.

    La forme se diffuse (broadcast) sur les poids d'attention ``(B, h, T, S)`` et sur ``(B, T, S)`` après
    ``squeeze(1)``. Voir : module 4, « Masques ».
    """
    lengths = torch.as_tensor(lengths)
    if lengths.ndim != 1 or lengths.is_floating_point():
        raise ValueError(
            f"lengths doit être un vecteur d'entiers (une longueur par exemple) : reçu la forme "
            f"{tuple(lengths.shape)} et le type {lengths.dtype}."
        )
    if not isinstance(S, int) or S <= 0:
        raise ValueError(f"S doit être un entier strictement positif : reçu {S!r}.")
    if (lengths < 0).any() or (lengths > S).any():
        raise ValueError(f"Chaque longueur doit être dans [0, S={S}] : reçu {lengths.tolist()}.")
    positions = torch.arange(S, device=lengths.device)  # (S,)
    return (positions[None, :] < lengths[:, None])[:, None, None, :]  # (B, 1, 1, S)


def scaled_dot_product_attention(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Attention par produit scalaire normalisé : renvoie ``(softmax(Q Kᵀ/√d_k) V, poids)``.

    Formes : ``query (..., T, d_k)``, ``key (..., S, d_k)``, ``value (..., S, d_v)`` ; ``mask`` booléen
    diffusable vers ``(..., T, S)``, ``True`` = peut regarder. Sorties : ``(..., T, d_v)`` et les poids
    ``(..., T, S)``. Une requête dont toutes les clés sont masquées reçoit des poids nuls (sortie nulle),
    pas des NaN.

    Voir : module 4, « Attention par produit scalaire normalisé ».
    """
    for name, x in (("query", query), ("key", key), ("value", value)):
        _check_tensor(name, x)
        if x.ndim < 2:
            raise ValueError(f"{name} doit avoir au moins 2 dimensions (..., longueur, largeur) : reçu {tuple(x.shape)}.")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            "query et key doivent avoir la même dernière dimension d_k : "
            f"query {tuple(query.shape)}, key {tuple(key.shape)}."
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            "key et value doivent avoir la même longueur S (avant-dernière dimension) : "
            f"key {tuple(key.shape)}, value {tuple(value.shape)}."
        )
    d_k = query.shape[-1]
    # Mettre q à l'échelle avant le produit coûte T·d_k multiplications au lieu de T·S.
    scores = (query * (1.0 / math.sqrt(d_k))) @ key.transpose(-2, -1)  # (..., T, S)
    if mask is not None:
        _check_tensor("mask", mask)
        if mask.dtype != torch.bool:
            raise TypeError(f"mask doit être booléen (True = peut regarder) : reçu le type {mask.dtype}.")
        try:
            torch.broadcast_shapes(mask.shape, scores.shape)
        except RuntimeError as exc:
            raise ValueError(
                f"mask {tuple(mask.shape)} ne se diffuse pas vers la forme des scores {tuple(scores.shape)}."
            ) from exc
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = softmax(scores, dim=-1)  # (..., T, S)
    return weights @ value, weights  # (..., T, d_v), (..., T, S)
