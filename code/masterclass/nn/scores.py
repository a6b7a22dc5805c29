"""Fonctions de score d'attention autres que le produit scalaire normalisé : Bahdanau, Luong et variantes.

Toute attention s'écrit ``sortie = softmax(score(q, k)) v`` ; seules changent la fonction de score et son
coût. Ce module rassemble :

- l'attention additive de Bahdanau et al. (2015), ``score(q, k) = vᵀ tanh(W_q q + W_k k)`` ;
- l'attention multiplicative de Luong et al. (2015), forme « general » ``score(q, k) = qᵀ W k`` ;
- les scores des expériences du module 4 (produit scalaire au carré, score « inversé », distance) dans
  ``SCORE_FUNCTIONS``.

Convention des masques : booléens, ``True`` = peut regarder (comme :mod:`masterclass.nn.attention`, dont ce module
reprend la softmax et la vérification des masques).

Voir : {ref}`att-pourquoi`.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor, nn

from masterclass.nn.attention import apply_mask, check_query_key, softmax


def attention_from_scores(scores: Tensor, value: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Termine une attention à partir de scores bruts : ``(softmax(scores) v, poids)``.

    Formes : ``scores (..., T, S)``, ``value (..., S, d_v)``, ``mask`` booléen diffusable vers ``(..., T, S)``.
    Le masque est vérifié comme dans :func:`masterclass.nn.attention.scaled_dot_product_attention` ; une requête
    dont toutes les clés sont masquées reçoit des poids nuls. Voir : {ref}`att-pourquoi-candidats`.
    """
    if not isinstance(scores, Tensor) or not isinstance(value, Tensor):
        raise TypeError(
            f"scores et value doivent être des torch.Tensor : reçu {type(scores).__name__}, {type(value).__name__}."
        )
    if scores.ndim < 2 or value.ndim < 2 or scores.shape[-1] != value.shape[-2]:
        raise ValueError(
            "scores (..., T, S) et value (..., S, d_v) doivent partager S : "
            f"scores {tuple(scores.shape)}, value {tuple(value.shape)}."
        )
    weights = softmax(apply_mask(scores, mask), dim=-1)  # (..., T, S)
    return weights @ value, weights  # (..., T, d_v), (..., T, S)


def dot_scores(query: Tensor, key: Tensor) -> Tensor:
    """Produit scalaire normalisé ``q·k / √d`` : le score du Transformer. ``(..., T, d), (..., S, d) → (..., T, S)``."""
    check_query_key(query, key)
    return (query / math.sqrt(query.shape[-1])) @ key.transpose(-2, -1)  # (..., T, S)


def squared_dot_scores(query: Tensor, key: Tensor) -> Tensor:
    """Produit scalaire au carré ``(q·k)² / d`` : insensible au signe, q et -q deviennent indiscernables."""
    return dot_scores(query, key) ** 2  # (..., T, S)


def squared_entries_scores(query: Tensor, key: Tensor) -> Tensor:
    """Produit scalaire des carrés ``Σ_i q_i² k_i² / √d`` : chaque coordonnée perd son signe avant le produit."""
    check_query_key(query, key)
    return dot_scores(query**2, key**2)  # (..., T, S)


def inverted_dot_scores(query: Tensor, key: Tensor) -> Tensor:
    """Score « inversé » ``-q·k / √d`` : les clés opposées à la requête l'emportent."""
    return -dot_scores(query, key)  # (..., T, S)


def negative_distance_scores(query: Tensor, key: Tensor) -> Tensor:
    """Opposé du carré de la distance ``-‖q - k‖² / √d`` : la clé la plus proche l'emporte.

    ``-‖q - k‖² = 2 q·k - ‖q‖² - ‖k‖²`` ; le terme ``‖q‖²`` est constant sur une ligne et s'efface dans la
    softmax : c'est un produit scalaire pénalisé par la norme des clés.
    """
    check_query_key(query, key)
    q_sq = (query**2).sum(-1, keepdim=True)  # (..., T, 1)
    k_sq = (key**2).sum(-1).unsqueeze(-2)  # (..., 1, S)
    dist_sq = q_sq - 2 * query @ key.transpose(-2, -1) + k_sq  # (..., T, S)
    return -dist_sq / math.sqrt(query.shape[-1])


#: Fonctions de score sans paramètre comparées au module 4 : nom → ``score(query, key) -> (..., T, S)``.
SCORE_FUNCTIONS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "produit scalaire": dot_scores,
    "produit scalaire au carré": squared_dot_scores,
    "produit des carrés": squared_entries_scores,
    "produit scalaire inversé": inverted_dot_scores,
    "distance négative": negative_distance_scores,
}


class AdditiveAttention(nn.Module):
    """Attention additive (Bahdanau et al., 2015) : ``score(q, k) = vᵀ tanh(W_q q + W_k k)``.

    Un petit réseau à une couche cachée de largeur ``d_hidden`` compare chaque couple (requête, clé).
    Coût : un tenseur intermédiaire ``(..., T, S, d_hidden)``, bien plus lourd que le produit matriciel
    du produit scalaire. Voir : {ref}`att-pourquoi-cout`.
    """

    def __init__(self, d_query: int, d_key: int, d_hidden: int) -> None:
        super().__init__()
        self.w_query = nn.Linear(d_query, d_hidden, bias=False)
        self.w_key = nn.Linear(d_key, d_hidden, bias=True)
        self.v = nn.Linear(d_hidden, 1, bias=False)

    def scores(self, query: Tensor, key: Tensor) -> Tensor:
        """Scores bruts ``(..., T, S)`` pour ``query (..., T, d_query)`` et ``key (..., S, d_key)``."""
        if query.shape[-1] != self.w_query.in_features or key.shape[-1] != self.w_key.in_features:
            raise ValueError(
                f"Largeurs attendues : query (..., T, {self.w_query.in_features}), key (..., S, "
                f"{self.w_key.in_features}) ; reçu query {tuple(query.shape)}, key {tuple(key.shape)}."
            )
        return self.scores_from_projected_keys(query, self.w_key(key))

    def scores_from_projected_keys(self, query: Tensor, projected_keys: Tensor) -> Tensor:
        """Les mêmes scores, les clés déjà projetées (``W_k k + b``, ``(..., S, d_hidden)``).

        Un décodeur qui interroge la même source à chaque pas projette ses clés une seule fois.
        Voir : {ref}`ed-bahdanau-modele`.
        """
        hidden = self.w_query(query).unsqueeze(-2) + projected_keys.unsqueeze(-3)  # (..., T, S, d_hidden)
        return self.v(torch.tanh(hidden)).squeeze(-1)  # (..., T, S)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Renvoie ``(sortie (..., T, d_v), poids (..., T, S))``."""
        return attention_from_scores(self.scores(query, key), value, mask)


class MultiplicativeAttention(nn.Module):
    """Attention multiplicative (Luong et al., 2015, forme « general ») : ``score(q, k) = qᵀ W k``.

    Une tête du Transformer calcule ``xᵀ W^Q (W^K)ᵀ y`` : c'est la forme de Luong avec ``W = W^Q (W^K)ᵀ``,
    factorisée, donc de rang au plus ``d_k``, et divisée par √d_k. Les deux sont aussi expressives seulement si
    ``d_k ≥ d`` ; sinon la tête n'atteint que les ``W`` de rang ``≤ d_k``. ``scaled=True`` ajoute la division.
    Voir : {ref}`fondements-score-bilineaire` et {ref}`att-pourquoi-luong`.
    """

    def __init__(self, d_query: int, d_key: int, scaled: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(d_query, d_key))
        nn.init.xavier_uniform_(self.weight)
        self.scaled = scaled

    def scores(self, query: Tensor, key: Tensor) -> Tensor:
        """Scores bruts ``(..., T, S)`` pour ``query (..., T, d_query)`` et ``key (..., S, d_key)``."""
        d_query, d_key = self.weight.shape
        if query.shape[-1] != d_query or key.shape[-1] != d_key:
            raise ValueError(
                f"Largeurs attendues : query (..., T, {d_query}), key (..., S, {d_key}) ; "
                f"reçu query {tuple(query.shape)}, key {tuple(key.shape)}."
            )
        scores = (query @ self.weight) @ key.transpose(-2, -1)  # (..., T, d_key) @ (..., d_key, S) → (..., T, S)
        return scores / math.sqrt(d_key) if self.scaled else scores

    def forward(self, query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Renvoie ``(sortie (..., T, d_v), poids (..., T, S))``."""
        return attention_from_scores(self.scores(query, key), value, mask)
