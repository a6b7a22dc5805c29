"""Word2vec skip-gram à échantillonnage négatif, et l'espace des vecteurs de mots : voisins cosinus, analogies.

Le skip-gram (Mikolov et al., 2013) donne à chaque mot deux vecteurs : ``v_w`` quand il est au centre d'une fenêtre,
``u_c`` quand il est dans le contexte d'un autre. Pour une paire observée ``(w, c)`` et ``k`` mots négatifs
``n_1, …, n_k`` tirés au hasard, la perte de l'échantillonnage négatif est

    ℓ = −log σ(u_c · v_w) − Σ_j log σ(−u_{n_j} · v_w).

:func:`sgns_loss` la calcule, :func:`sgns_gradients` donne ses dérivées écrites à la main (le livre les dérive et un
test les compare à autograd). :class:`VectorSpace` range des vecteurs de mots quelconques (ceux du skip-gram, ceux de
spaCy) et répond aux questions du livre : plus proches voisins au sens du cosinus, analogies, rang d'un mot.

Voir : {ref}`lm-plongements-word2vec`.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F


def _check_triplet(v: Tensor, u_pos: Tensor, u_neg: Tensor) -> None:
    if not all(isinstance(t, Tensor) for t in (v, u_pos, u_neg)):
        raise TypeError("v, u_pos et u_neg doivent être des tenseurs torch.")
    if v.ndim != 2 or u_pos.shape != v.shape or u_neg.ndim != 3 or u_neg.shape[0] != v.shape[0] \
            or u_neg.shape[2] != v.shape[1]:
        raise ValueError(
            "formes attendues : v (B, d), u_pos (B, d), u_neg (B, k, d) : reçu "
            f"v {tuple(v.shape)}, u_pos {tuple(u_pos.shape)}, u_neg {tuple(u_neg.shape)}."
        )


def sgns_loss(v: Tensor, u_pos: Tensor, u_neg: Tensor) -> Tensor:
    """Perte du skip-gram à échantillonnage négatif de chaque exemple : tenseur ``(B,)``.

    ``v`` : vecteurs des mots centraux ``(B, d)`` ; ``u_pos`` : vecteurs de contexte des mots observés ``(B, d)`` ;
    ``u_neg`` : vecteurs de contexte des ``k`` mots négatifs ``(B, k, d)``. Perte :
    ``−log σ(u_pos·v) − Σ_j log σ(−u_neg_j·v)`` (``logsigmoid`` : stable pour les grands scores).

    Voir : {ref}`lm-plongements-word2vec`.
    """
    _check_triplet(v, u_pos, u_neg)
    positive = (u_pos * v).sum(-1)  # (B,)
    negative = torch.bmm(u_neg, v.unsqueeze(-1)).squeeze(-1)  # (B, k, d) @ (B, d, 1) -> (B, k)
    return -F.logsigmoid(positive) - F.logsigmoid(-negative).sum(-1)  # (B,)


def sgns_gradients(v: Tensor, u_pos: Tensor, u_neg: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Dérivées de ``sgns_loss(v, u_pos, u_neg).sum()`` écrites à la main : ``(∂ℓ/∂v, ∂ℓ/∂u_pos, ∂ℓ/∂u_neg)``.

    Avec ``s = σ(u_pos·v)`` et ``s_j = σ(u_neg_j·v)`` :
    ``∂ℓ/∂v = (s − 1) u_pos + Σ_j s_j u_neg_j``, ``∂ℓ/∂u_pos = (s − 1) v``, ``∂ℓ/∂u_neg_j = s_j v``.
    Mêmes formes que les entrées.

    Voir : {ref}`lm-plongements-gradient`.
    """
    _check_triplet(v, u_pos, u_neg)
    s = torch.sigmoid((u_pos * v).sum(-1))  # (B,)
    s_neg = torch.sigmoid(torch.bmm(u_neg, v.unsqueeze(-1)).squeeze(-1))  # (B, k)
    weighted_neg = torch.bmm(s_neg.unsqueeze(1), u_neg).squeeze(1)  # (B, 1, k) @ (B, k, d) -> (B, d)
    grad_v = (s - 1).unsqueeze(-1) * u_pos + weighted_neg  # (B, d)
    grad_pos = (s - 1).unsqueeze(-1) * v  # (B, d)
    grad_neg = s_neg.unsqueeze(-1) * v.unsqueeze(1)  # (B, k, 1) * (B, 1, d) -> (B, k, d)
    return grad_v, grad_pos, grad_neg


class SkipGram(nn.Module):
    """Le skip-gram à échantillonnage négatif : une table de vecteurs centraux et une table de vecteurs de contexte.

    Initialisation du programme original de Mikolov : vecteurs centraux uniformes dans ``[−0,5/d, 0,5/d]``,
    vecteurs de contexte nuls. ``forward(center, context, negatives)`` rend la perte moyenne du lot
    (:func:`sgns_loss`) ; les vecteurs de mots retenus ensuite sont les vecteurs centraux (:meth:`word_vectors`).

    Voir : {ref}`lm-plongements-word2vec`.
    """

    def __init__(self, vocab_size: int, dim: int, generator: torch.Generator | None = None):
        super().__init__()
        if not isinstance(vocab_size, int) or not isinstance(dim, int) or vocab_size < 1 or dim < 1:
            raise ValueError(f"vocab_size et dim doivent être des entiers ≥ 1 : reçu {vocab_size!r}, {dim!r}.")
        self.center = nn.Embedding(vocab_size, dim)
        self.context = nn.Embedding(vocab_size, dim)
        with torch.no_grad():
            self.center.weight.uniform_(-0.5 / dim, 0.5 / dim, generator=generator)
            self.context.weight.zero_()

    def forward(self, center: Tensor, context: Tensor, negatives: Tensor) -> Tensor:
        if center.ndim != 1 or context.shape != center.shape or negatives.ndim != 2 \
                or negatives.shape[0] != center.shape[0]:
            raise ValueError(
                "formes attendues : center (B,), context (B,), negatives (B, k) : reçu "
                f"{tuple(center.shape)}, {tuple(context.shape)}, {tuple(negatives.shape)}."
            )
        return sgns_loss(self.center(center), self.context(context), self.context(negatives)).mean()

    def word_vectors(self) -> Tensor:
        """Les vecteurs centraux, détachés : ``(V, d)``."""
        return self.center.weight.detach().clone()


class VectorSpace:
    """Des mots et leurs vecteurs (une ligne par mot), interrogés au sens du cosinus.

    ``words`` : suite de mots distincts ; ``vectors`` : tableau ``(N, d)`` (tenseur ou tableau NumPy), converti en
    float32 et normalisé ligne par ligne (un vecteur nul est refusé). :meth:`nearest` classe les mots selon leur
    cosinus avec un vecteur requête ; :meth:`neighbors` et :meth:`analogy` s'en servent.

    Voir : {ref}`lm-plongements-spacy`.
    """

    def __init__(self, words: Sequence[str], vectors):
        if isinstance(words, str):
            raise TypeError("words doit être une suite de mots : reçu une chaîne isolée.")
        self.words = list(words)
        matrix = torch.as_tensor(vectors, dtype=torch.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(self.words):
            raise ValueError(
                f"vectors doit avoir une ligne par mot : attendu ({len(self.words)}, d), reçu {tuple(matrix.shape)}."
            )
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("words ne doit pas contenir deux fois le même mot.")
        norms = matrix.norm(dim=1, keepdim=True)  # (N, 1)
        if bool((norms == 0).any()):
            raise ValueError("vectors contient un vecteur nul : son cosinus n'est pas défini.")
        self.unit = matrix / norms  # (N, d)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def vector(self, word: str) -> Tensor:
        """Le vecteur unitaire d'un mot ; ``ValueError`` si le mot est hors vocabulaire."""
        if word not in self.index:
            raise ValueError(f"mot hors vocabulaire : « {word} » n'a pas de vecteur ({len(self)} mots connus).")
        return self.unit[self.index[word]]

    def cosine(self, a: str, b: str) -> float:
        """Similarité cosinus de deux mots."""
        return float(self.vector(a) @ self.vector(b))

    def similarities(self, query: Tensor) -> Tensor:
        """Cosinus de ``query`` (vecteur ``(d,)``, non nul) avec chaque mot : ``(N,)``."""
        query = torch.as_tensor(query, dtype=torch.float32)
        if query.shape != (self.unit.shape[1],) or float(query.norm()) == 0:
            raise ValueError(f"query doit être un vecteur non nul de forme ({self.unit.shape[1]},) : "
                             f"reçu {tuple(query.shape)}.")
        return self.unit @ (query / query.norm())  # (N, d) @ (d,) -> (N,)

    def nearest(self, query: Tensor, k: int = 10, exclude: Iterable[str] = ()) -> list[tuple[str, float]]:
        """Les ``k`` mots de plus grand cosinus avec ``query``, hors ``exclude`` : liste de ``(mot, cosinus)``.

        Voir : {ref}`lm-plongements-spacy`.
        """
        if not isinstance(k, int) or k <= 0:
            raise ValueError(f"k doit être un entier ≥ 1 : reçu {k!r}.")
        scores = self.similarities(query).clone()
        for word in exclude:
            if word in self.index:
                scores[self.index[word]] = -float("inf")
        k = min(k, len(self) - len(set(exclude) & self.index.keys()))
        values, rows = scores.topk(k)
        return [(self.words[int(r)], float(s)) for s, r in zip(values, rows, strict=True)]

    def neighbors(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """Les ``k`` plus proches voisins d'un mot au sens du cosinus, le mot lui-même exclu.

        Voir : {ref}`lm-plongements-spacy`.
        """
        return self.nearest(self.vector(word), k, exclude=(word,))

    def analogy_vector(self, a: str, b: str, c: str) -> Tensor:
        """Le vecteur de l'analogie « a est à b ce que c est à ? » : ``b − a + c`` (vecteurs unitaires)."""
        return self.vector(b) - self.vector(a) + self.vector(c)

    def analogy(self, a: str, b: str, c: str, k: int = 5, exclude_query: bool = True) -> list[tuple[str, float]]:
        """Réponses à « a est à b ce que c est à ? » : les ``k`` mots les plus proches de ``b − a + c``.

        Méthode « 3CosAdd » de Mikolov et al. (2013). Avec ``exclude_query=True`` (usage courant, à dire quand on
        cite un résultat), les trois mots de la requête sont exclus des réponses : sans cela, ``b`` ou ``c`` sort
        souvent premier.

        Voir : {ref}`lm-plongements-analogies`.
        """
        exclude = (a, b, c) if exclude_query else ()
        return self.nearest(self.analogy_vector(a, b, c), k, exclude=exclude)

    def rank(self, word: str, query: Tensor, exclude: Iterable[str] = ()) -> int:
        """Rang (1 = premier) de ``word`` parmi les mots classés par cosinus avec ``query``, hors ``exclude``.

        Voir : {ref}`lm-plongements-analogies`.
        """
        exclude = set(exclude)
        if word in exclude:
            raise ValueError(f"le mot « {word} » est dans exclude : il n'a pas de rang.")
        self.vector(word)  # mot hors vocabulaire : ValueError
        scores = self.similarities(query)
        target = scores[self.index[word]]
        keep = torch.ones(len(self), dtype=torch.bool)
        for w in exclude:
            if w in self.index:
                keep[self.index[w]] = False
        return int((scores[keep] > target).sum()) + 1
