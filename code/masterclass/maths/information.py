"""Théorie de l'information sur des lois discrètes : entropie, entropie croisée, divergence KL, perplexité.

Chaque fonction prend des tenseurs de probabilités dont le **dernier axe** porte la distribution (forme
``(..., V)``) et renvoie un tenseur de forme ``(...)`` : une valeur par distribution. Les logarithmes sont naturels
(nats) ; ``base=2`` donne des bits. Conventions : :math:`0 \\log 0 = 0` (un événement impossible ne contribue pas) et
:math:`-p \\log 0 = +\\infty` quand :math:`p > 0` (un modèle qui exclut ce qui arrive a une perte infinie).
Référence : Shannon (1948) ; Cover et Thomas, *Elements of Information Theory*, chapitre 2.

Voir : {ref}`lm-entropie`.
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import Tensor

__all__ = ["entropy", "cross_entropy", "kl_divergence", "perplexity", "as_distribution"]


def _tolerance(dtype: torch.dtype) -> float:
    """Écart toléré entre la somme d'une distribution et 1 : plus large en simple précision."""
    return 1e-9 if dtype == torch.float64 else 1e-4


def as_distribution(name: str, p, atol: float | None = None) -> Tensor:
    """Convertit ``p`` en tenseur flottant et vérifie que son dernier axe est une loi de probabilité.

    Refuse (erreur en français) : un objet non numérique, un tenseur sans axe ou au dernier axe vide, une valeur
    négative ou non finie, une somme qui s'écarte de 1 de plus que ``atol`` (par défaut 1e-9 en ``float64``,
    1e-4 sinon).

    Voir : {ref}`lm-entropie`.
    """
    if isinstance(p, (str, bytes)) or p is None:
        raise TypeError(f"{name} doit être un tenseur de probabilités : reçu {type(p).__name__}.")
    try:
        t = torch.as_tensor(p)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} doit être un tenseur de probabilités : reçu {type(p).__name__}.") from exc
    if t.dtype == torch.bool or not (t.is_floating_point() or t.dtype in (torch.int8, torch.int16, torch.int32,
                                                                             torch.int64, torch.uint8)):
        raise TypeError(f"{name} doit contenir des nombres réels : reçu le type {t.dtype}.")
    if not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    if t.ndim == 0 or t.shape[-1] == 0:
        raise ValueError(f"{name} doit avoir un dernier axe non vide (la distribution) : reçu la forme "
                         f"{tuple(t.shape)}.")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} doit être fini (ni nan ni inf).")
    if (t < 0).any():
        raise ValueError(f"{name} doit être positif ou nul : valeur minimale reçue {t.min().item():.3g}.")
    tol = _tolerance(t.dtype) if atol is None else atol
    gap = (t.sum(dim=-1, dtype=torch.float64) - 1).abs().max().item()
    if gap > tol:
        raise ValueError(f"chaque distribution de {name} doit sommer à 1 (à {tol:.0e} près) selon le dernier axe : "
                         f"écart maximal reçu {gap:.3g}.")
    return t


def _log_base(base) -> float:
    """log(base), le diviseur qui convertit des nats dans l'unité demandée (1 pour les nats)."""
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, numbers.Real) or not base > 0 or base == 1 \
            or not math.isfinite(base):
        raise ValueError(f"base doit être un réel > 0, différent de 1 (2 pour des bits) : reçu {base!r}.")
    return math.log(base)


def _pair(p, q, atol) -> tuple[Tensor, Tensor]:
    """Les deux distributions, vérifiées, dans un même type flottant et de formes compatibles."""
    p, q = as_distribution("p", p, atol), as_distribution("q", q, atol)
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(f"p et q doivent porter sur le même nombre d'issues (dernier axe) : p {tuple(p.shape)}, "
                         f"q {tuple(q.shape)}.")
    try:
        torch.broadcast_shapes(p.shape, q.shape)
    except RuntimeError as exc:
        raise ValueError(f"p et q doivent avoir des formes compatibles (diffusion) : p {tuple(p.shape)}, "
                         f"q {tuple(q.shape)}.") from exc
    dtype = torch.promote_types(p.dtype, q.dtype)
    return p.to(dtype), q.to(dtype)


def entropy(p, base: float | None = None, atol: float | None = None) -> Tensor:
    """Entropie de Shannon :math:`H(p) = -\\sum_x p(x) \\log p(x)`, avec :math:`0 \\log 0 = 0`.

    ``p`` : tenseur ``(..., V)`` ; renvoie ``(...)``, en nats (ou dans la ``base`` donnée : 2 pour des bits).
    Nulle pour une loi concentrée sur une issue, maximale (:math:`\\log V`) pour la loi uniforme.

    Voir : {ref}`lm-entropie`.
    """
    p = as_distribution("p", p, atol)
    h = 0.0 - torch.xlogy(p, p).sum(dim=-1)  # (...) ; 0 - 0 = +0 (et non -0) pour une loi certaine
    return h / _log_base(base)


def cross_entropy(p, q, base: float | None = None, atol: float | None = None) -> Tensor:
    """Entropie croisée :math:`H(p, q) = -\\sum_x p(x) \\log q(x)` : perte moyenne du modèle ``q`` sur ``p``.

    ``p``, ``q`` : tenseurs ``(..., V)`` de formes compatibles ; renvoie ``(...)``. Vaut :math:`+\\infty` si ``q``
    donne 0 à une issue que ``p`` rend possible ; pour ``p`` one-hot sur la classe ``y``, c'est :math:`-\\log q(y)`,
    la perte de ``torch.nn.functional.cross_entropy``.

    Voir : {ref}`lm-entropie`.
    """
    p, q = _pair(p, q, atol)
    return (0.0 - torch.xlogy(p, q).sum(dim=-1)) / _log_base(base)  # (...)


def kl_divergence(p, q, base: float | None = None, atol: float | None = None) -> Tensor:
    """Divergence de Kullback-Leibler :math:`\\operatorname{KL}(p \\,\\Vert\\, q) = \\sum_x p(x) \\log (p(x)/q(x))`.

    Égale à :math:`H(p, q) - H(p)` ; positive ou nulle, nulle si et seulement si ``p = q`` (inégalité de Gibbs) ;
    :math:`+\\infty` si ``q`` exclut une issue possible sous ``p``. Renvoie ``(...)``.

    Voir : {ref}`lm-entropie`.
    """
    p, q = _pair(p, q, atol)
    kl = (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1)  # (...) ; 0 log 0 = 0 des deux côtés
    return kl.clamp_min(0.0) / _log_base(base)  # les arrondis peuvent donner -1e-17 quand p = q


def perplexity(p, q=None, atol: float | None = None) -> Tensor:
    """Perplexité :math:`\\exp H(p, q)`, ou :math:`\\exp H(p)` si ``q`` est omis : un nombre effectif d'issues.

    Ne dépend pas de la base des logarithmes (:math:`2^{H_2} = e^{H}`). Pour la loi uniforme sur ``V`` issues,
    elle vaut ``V`` ; pour un modèle évalué sur un texte (``p`` one-hot à chaque position), c'est l'exponentielle de
    la perte moyenne par jeton. Renvoie ``(...)``.

    Voir : {ref}`lm-entropie`.
    """
    h = entropy(p, atol=atol) if q is None else cross_entropy(p, q, atol=atol)
    return torch.exp(h)  # (...)
