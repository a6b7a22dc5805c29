"""Initialisations de Xavier (Glorot et Bengio, 2010) et de He (He et al., 2015), écrites comme leurs formules.

Pour une couche ``y = W x`` de poids ``W (fan_out, fan_in)`` tirés indépendamment, centrés, de variance ``σ²`` :

- Xavier conserve la variance en avant (``fan_in σ² = 1``) et en arrière (``fan_out σ² = 1``) au mieux des deux :
  ``σ² = 2 / (fan_in + fan_out)`` ; la loi uniforme de cette variance est ``U(−a, a)``,
  ``a = √(6 / (fan_in + fan_out))``.
- He compense la moitié de la variance qu'efface ReLU : ``σ² = 2 / fan_in`` (mode ``fan_in``, en avant) ou
  ``2 / fan_out`` (mode ``fan_out``, en arrière).

Mêmes lois que ``torch.nn.init.xavier_uniform_``, ``xavier_normal_`` et ``kaiming_normal_`` (``nonlinearity="relu"``).

Voir : {ref}`opt-initialisation-xavier`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def fans(weight: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` d'un poids ``(fan_out, fan_in, *noyau)`` : nombres d'entrées et de sorties par unité.

    Voir : {ref}`opt-initialisation-xavier`.
    """
    if not isinstance(weight, Tensor):
        raise TypeError(f"weight doit être un torch.Tensor : reçu {type(weight).__name__}.")
    if weight.ndim < 2:
        raise ValueError(f"weight doit avoir au moins deux dimensions (fan_out, fan_in) : reçu {tuple(weight.shape)}.")
    receptive = math.prod(weight.shape[2:])  # 1 pour une couche linéaire
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def _check_gain(gain: float) -> None:
    if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not gain > 0:
        raise ValueError(f"gain doit être un nombre > 0 : reçu {gain!r}.")


def xavier_std(weight: Tensor, gain: float = 1.0) -> float:
    """Écart type de Xavier : ``gain · √(2 / (fan_in + fan_out))``.

    Voir : {ref}`opt-initialisation-xavier`.
    """
    _check_gain(gain)
    fan_in, fan_out = fans(weight)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def he_std(weight: Tensor, mode: str = "fan_in") -> float:
    """Écart type de He pour ReLU : ``√(2 / fan_in)`` (``mode="fan_in"``) ou ``√(2 / fan_out)``.

    Voir : {ref}`opt-initialisation-xavier`.
    """
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode doit être 'fan_in' ou 'fan_out' : reçu {mode!r}.")
    fan_in, fan_out = fans(weight)
    return math.sqrt(2.0 / (fan_in if mode == "fan_in" else fan_out))


@torch.no_grad()
def xavier_uniform_(weight: Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """Remplit ``weight`` (en place) selon ``U(−a, a)``, ``a = √3 · σ`` : la loi uniforme de variance ``σ²`` de Xavier.

    Voir : {ref}`opt-initialisation-xavier`.
    """
    bound = math.sqrt(3.0) * xavier_std(weight, gain)  # Var U(−a, a) = a² / 3
    return weight.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def xavier_normal_(weight: Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """Remplit ``weight`` (en place) selon ``N(0, σ²)``, ``σ`` de Xavier.

    Voir : {ref}`opt-initialisation-xavier`.
    """
    return weight.normal_(0.0, xavier_std(weight, gain), generator=generator)


@torch.no_grad()
def he_normal_(weight: Tensor, mode: str = "fan_in", generator: torch.Generator | None = None) -> Tensor:
    """Remplit ``weight`` (en place) selon ``N(0, 2 / fan)`` : l'initialisation de He pour ReLU.

    Voir : {ref}`opt-initialisation-xavier`.
    """
    return weight.normal_(0.0, he_std(weight, mode), generator=generator)
