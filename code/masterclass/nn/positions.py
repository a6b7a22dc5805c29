"""Encodages de position : la table sinusoïdale du Transformer et des positions apprises.

Table sinusoïdale (Vaswani et al., 2017, section 3.5), pour la position p et la colonne 2i ou 2i + 1 :

    PE(p, 2i)     = sin(p / base^(2i / d_model))
    PE(p, 2i + 1) = cos(p / base^(2i / d_model))

avec ``base = 10000`` : les longueurs d'onde forment une progression géométrique de 2π à base · 2π.
Les positions apprises (BERT, GPT) sont une table de plongements ``(num_positions, d_model)`` ajoutée aux jetons.

Voir : {ref}`seq-limites-distance`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def _check_size(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} doit être un entier ≥ 1 : reçu {value!r}.")
    return value


def sinusoidal_encoding(
    num_positions: int, d_model: int, base: float = 10000.0, dtype: torch.dtype = torch.float32
) -> Tensor:
    """Table ``(num_positions, d_model)`` : colonnes paires en sinus, colonnes impaires en cosinus.

    La colonne 2i a la fréquence angulaire ``ω_i = base^(−2i / d_model)``, partagée avec la colonne 2i + 1.
    Un ``d_model`` impair est accepté : la dernière colonne est alors un sinus sans cosinus associé.

    Voir : {ref}`seq-limites-distance`.
    """
    _check_size("num_positions", num_positions)
    _check_size("d_model", d_model)
    if not isinstance(base, (int, float)) or isinstance(base, bool) or not base > 1:
        raise ValueError(f"base doit être un nombre > 1 : reçu {base!r}.")
    if not dtype.is_floating_point:
        raise TypeError(f"dtype doit être un type flottant : reçu {dtype}.")
    position = torch.arange(num_positions, dtype=torch.float64).unsqueeze(1)  # (P, 1)
    omega = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)  # (⌈C/2⌉,) : ω_i
    angle = position * omega  # (P, ⌈C/2⌉) : p · ω_i, calculé en float64 puis converti
    table = torch.empty(num_positions, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angle)
    table[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return table.to(dtype)


class LearnedPositions(nn.Module):
    """Positions apprises : ``x + P[:T]`` où ``P`` est une table ``(num_positions, d_model)`` entraînée avec le modèle.

    Comme les ``position_embeddings`` de BERT, initialisées selon N(0, 0,02²). Une séquence plus longue que
    ``num_positions`` n'a pas de ligne dans la table : erreur.

    Voir : {ref}`seq-limites-distance`.
    """

    def __init__(self, num_positions: int, d_model: int) -> None:
        super().__init__()
        num_positions, d_model = _check_size("num_positions", num_positions), _check_size("d_model", d_model)
        self.position_embeddings = nn.Embedding(num_positions, d_model)
        nn.init.normal_(self.position_embeddings.weight, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        """Ajoute la position de chaque pas à ``x (B, T, d_model)``.

        Voir : {ref}`seq-limites-distance`.
        """
        num_positions, d_model = self.position_embeddings.weight.shape
        if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[-1] != d_model:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x doit avoir la forme (B, T, {d_model}) : reçu {shape}.")
        if x.shape[1] > num_positions:
            raise ValueError(f"la table ne connaît que {num_positions} positions : reçu une séquence de {x.shape[1]}.")
        return x + self.position_embeddings.weight[: x.shape[1]]  # (B, T, C) + (T, C)
