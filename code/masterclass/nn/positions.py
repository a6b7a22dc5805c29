"""Encodages de position : table sinusoïdale, positions apprises, rotations de RoPE, biais d'ALiBi.

Table sinusoïdale (Vaswani et al., 2017, section 3.5), pour la position p et la colonne 2i ou 2i + 1 :

    PE(p, 2i)     = sin(p / base^(2i / d_model))
    PE(p, 2i + 1) = cos(p / base^(2i / d_model))

avec ``base = 10000`` : les longueurs d'onde ``λ_i = 2π · base^(2i / d_model)`` forment une progression géométrique
de raison ``base^(2 / d_model)``, de 2π à ``2π · base^(1 − 2 / d_model)`` (moins que base · 2π, atteint à la limite).
La table n'a aucun paramètre : c'est une fonction fixe de la position, définie pour toute position.
Les positions apprises (BERT, GPT) sont une table de plongements ``(num_positions, d_model)`` ajoutée aux jetons.

RoPE (Su et al., 2021) ne s'ajoute pas aux jetons : il tourne les requêtes et les clés de chaque tête, paire de
coordonnées (2i, 2i + 1) par paire, de l'angle ``p · ω_i`` (mêmes fréquences que la table sinusoïdale). ALiBi
(Press et al., 2022) n'encode rien : il ajoute aux scores de la tête ``j`` le biais ``−m_j · |t − s|``.

Voir : {ref}`pos-sinus`.
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

    Voir : {ref}`pos-sinus-formule`.
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

    Voir : {ref}`pos-relatives`.
    """

    def __init__(self, num_positions: int, d_model: int) -> None:
        super().__init__()
        num_positions, d_model = _check_size("num_positions", num_positions), _check_size("d_model", d_model)
        self.position_embeddings = nn.Embedding(num_positions, d_model)
        nn.init.normal_(self.position_embeddings.weight, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        """Ajoute la position de chaque pas à ``x (B, T, d_model)``.

        Voir : {ref}`pos-relatives`.
        """
        num_positions, d_model = self.position_embeddings.weight.shape
        if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[-1] != d_model:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x doit avoir la forme (B, T, {d_model}) : reçu {shape}.")
        if x.shape[1] > num_positions:
            raise ValueError(f"la table ne connaît que {num_positions} positions : reçu une séquence de {x.shape[1]}.")
        return x + self.position_embeddings.weight[: x.shape[1]]  # (B, T, C) + (T, C)


def _frequencies(d_model: int, base: float) -> Tensor:
    """Fréquences angulaires ``ω_i = base^(−2i / d_model)`` pour i = 0 … ⌈d_model / 2⌉ − 1, en float64."""
    return base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)  # (⌈C/2⌉,)


def sinusoidal_wavelengths(d_model: int, base: float = 10000.0) -> Tensor:
    """Longueurs d'onde ``λ_i = 2π / ω_i = 2π · base^(2i / d_model)`` des paires de colonnes, en float64.

    Une par paire (sinus, cosinus) : ``⌈d_model / 2⌉`` valeurs, de ``2π`` (i = 0) à ``2π · base^(1 − 2 / d_model)``
    pour ``d_model`` pair, en progression géométrique de raison ``base^(2 / d_model)``. La colonne ``2i`` reprend la
    même valeur toutes les ``λ_i`` positions.

    Voir : {ref}`pos-sinus-longueurs`.
    """
    _check_size("d_model", d_model)
    if not isinstance(base, (int, float)) or isinstance(base, bool) or not base > 1:
        raise ValueError(f"base doit être un nombre > 1 : reçu {base!r}.")
    return 2 * torch.pi / _frequencies(d_model, base)  # (⌈C/2⌉,)


def sinusoidal_rotation(k: int, d_model: int, base: float = 10000.0, dtype: torch.dtype = torch.float64) -> Tensor:
    """Matrice ``R(k)`` ``(d_model, d_model)`` telle que ``PE(p + k) = R(k) PE(p)`` pour toute position ``p``.

    Diagonale par blocs 2 × 2 ``[[cos kω_i, sin kω_i], [−sin kω_i, cos kω_i]]`` agissant sur la paire
    ``(sin pω_i, cos pω_i)`` : c'est la formule d'addition du sinus et du cosinus. Ne dépend pas de ``p``.
    ``d_model`` doit être pair (sinon la dernière colonne n'a pas de paire). ``R(k)`` est orthogonale,
    ``R(a) R(b) = R(a + b)`` et ``R(k)ᵀ = R(−k)`` ; c'est ``R(k)ᵀ`` que RoPE applique à un vecteur en position ``k``
    (:func:`apply_rotary` tourne la paire ``(x_2i, x_2i+1)`` dans l'autre sens que ``R(k)`` ne tourne
    ``(sin, cos)``).

    Voir : {ref}`pos-sinus-rotation`.
    """
    if isinstance(k, bool) or not isinstance(k, int):
        raise ValueError(f"k doit être un entier (décalage de positions) : reçu {k!r}.")
    _check_size("d_model", d_model)
    if d_model % 2:
        raise ValueError(f"d_model doit être pair pour former des paires (sinus, cosinus) : reçu {d_model}.")
    angle = k * _frequencies(d_model, base)  # (C/2,) : k · ω_i
    cos, sin = torch.cos(angle), torch.sin(angle)
    blocks = torch.stack((torch.stack((cos, sin), -1), torch.stack((-sin, cos), -1)), -2)  # (C/2, 2, 2)
    return torch.block_diag(*blocks).to(dtype)  # (C, C)


def apply_rotary(x: Tensor, positions: Tensor | None = None, base: float = 10000.0) -> Tensor:
    """RoPE : tourne chaque paire ``(x_2i, x_2i+1)`` de ``x (..., T, d)`` de l'angle ``p_t · ω_i``.

    ``(x_2i, x_2i+1) ↦ (x_2i cos θ − x_2i+1 sin θ, x_2i sin θ + x_2i+1 cos θ)`` avec ``θ = p_t · base^(−2i/d)``
    (Su et al., 2021, formule 34, paires adjacentes). ``positions`` : entiers ``(T,)`` (par défaut ``0 … T − 1``).
    Appliquée aux requêtes et aux clés d'une tête, elle rend le score ⟨R_p q, R_m k⟩ fonction de ``m − p`` seul.
    Pour un vecteur en position ``p``, ``R_p = sinusoidal_rotation(p, d)ᵀ = sinusoidal_rotation(−p, d)``.
    ``d`` doit être pair.

    Voir : {ref}`pos-relatives`.
    """
    if not isinstance(x, Tensor) or x.ndim < 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x doit avoir la forme (..., T, d) : reçu {shape}.")
    T, d = x.shape[-2], x.shape[-1]
    if d % 2:
        raise ValueError(f"RoPE tourne des paires de coordonnées : la dernière dimension doit être paire, reçu {d}.")
    if positions is None:
        positions = torch.arange(T)
    if not isinstance(positions, Tensor) or positions.shape != (T,) or positions.is_floating_point():
        shape = tuple(positions.shape) if isinstance(positions, Tensor) else type(positions).__name__
        raise ValueError(f"positions doit être un tenseur d'entiers de forme ({T},) : reçu {shape}.")
    angle = positions.to(torch.float64)[:, None] * _frequencies(d, base)  # (T, d/2) : p_t · ω_i
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)  # (T, d/2)
    even, odd = x[..., 0::2], x[..., 1::2]  # (..., T, d/2) chacune
    rotated = torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1)  # (..., T, d/2, 2)
    return rotated.flatten(-2)  # (..., T, d), paires remises côte à côte


def alibi_slopes(num_heads: int) -> Tensor:
    """Pentes ``m_j`` d'ALiBi (Press et al., 2022) : suite géométrique ``2^(−8j/h)``, j = 1 … h.

    Pour un nombre de têtes qui n'est pas une puissance de 2, la règle de l'article : les pentes de la puissance de
    2 inférieure ``n``, complétées par une pente sur deux de celles de ``2n``.

    Voir : {ref}`pos-relatives`.
    """
    _check_size("num_heads", num_heads)

    def powers(n: int) -> list[float]:
        return [2.0 ** (-8.0 * j / n) for j in range(1, n + 1)]

    n = 2 ** (num_heads.bit_length() - 1)  # plus grande puissance de 2 ≤ h
    slopes = powers(n) + powers(2 * n)[0::2][: num_heads - n]
    return torch.tensor(slopes)  # (h,)


def alibi_bias(num_heads: int, T: int, S: int | None = None) -> Tensor:
    """Biais d'ALiBi ``(h, T, S)`` : ``−m_j · |t − s|``, à ajouter aux scores de la tête ``j``.

    Avec un masque causal (``s ≤ t``), c'est exactement le biais ``−m_j (t − s)`` de Press et al. (2022) ; sans
    masque, la version symétrique pénalise de même la distance vers la gauche et vers la droite. ``S`` vaut ``T``
    par défaut (auto-attention).

    Voir : {ref}`pos-relatives`.
    """
    _check_size("T", T)
    S = T if S is None else _check_size("S", S)
    distance = (torch.arange(T)[:, None] - torch.arange(S)[None, :]).abs()  # (T, S) : |t − s|
    return -alibi_slopes(num_heads)[:, None, None] * distance  # (h, T, S)
