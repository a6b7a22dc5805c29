"""Entraîner Word2vec (skip-gram, échantillonnage négatif) sur le texte du projet ; cooccurrences et PPMI.

Étapes, celles de Mikolov et al. (2013) :

1. vocabulaire : les mots vus au moins ``min_count`` fois (:func:`build_vocabulary`) ;
2. sous-échantillonnage des mots fréquents : chaque occurrence d'un mot de fréquence relative ``f`` est gardée avec
   la probabilité ``min(1, √(t / f))`` (:func:`keep_probabilities`), retirée au hasard à chaque époque ;
3. paires ``(centre, contexte)`` : chaque mot et ses voisins à distance ``1 … window`` dans le même texte
   (:func:`skipgram_pairs`) ;
4. mots négatifs tirés selon la loi unigramme élevée à la puissance 3/4 (:func:`negative_distribution`) ;
5. descente de gradient (Adam) sur la perte de :class:`masterclass.models.word2vec.SkipGram`.

:func:`cached_skipgram` range le résultat dans le cache du livre (clé : réglages, empreinte du corpus, code).
:func:`cooccurrence_matrix` et :func:`ppmi` donnent la matrice de cooccurrence et son information mutuelle
ponctuelle positive, que la page factorise par SVD.

Voir : {ref}`lm-plongements-entrainement`.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections import Counter
from typing import Sequence

import numpy as np
import torch

from masterclass.models.word2vec import SkipGram
from masterclass.utils.result_cache import cached_torch


def _check_sentences(sentences) -> None:
    if isinstance(sentences, str) or not all(isinstance(s, (list, tuple)) for s in sentences):
        raise TypeError("sentences doit être une liste de textes, chacun une liste de mots.")


def build_vocabulary(sentences: Sequence[Sequence[str]], min_count: int = 1) -> tuple[list[str], np.ndarray]:
    """Mots vus au moins ``min_count`` fois, du plus fréquent au moins fréquent (ex æquo : ordre alphabétique),
    et leurs nombres d'occurrences.

    Voir : {ref}`lm-plongements-entrainement`.
    """
    _check_sentences(sentences)
    if not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count doit être un entier ≥ 1 : reçu {min_count!r}.")
    counts = Counter(w for s in sentences for w in s)
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    if not kept:
        raise ValueError(f"aucun mot n'apparaît {min_count} fois ou plus : vocabulaire vide.")
    return kept, np.array([counts[w] for w in kept], dtype=np.int64)


def keep_probabilities(counts: np.ndarray, threshold: float) -> np.ndarray:
    """Probabilité de garder chaque occurrence d'un mot : ``min(1, √(t / f))``, ``f`` sa fréquence relative.

    ``threshold`` (``t``) de l'ordre de 1e-3 pour un petit corpus ; ``0`` désactive le sous-échantillonnage.

    Voir : {ref}`lm-plongements-entrainement`.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if threshold < 0:
        raise ValueError(f"threshold doit être ≥ 0 : reçu {threshold!r}.")
    if threshold == 0:
        return np.ones_like(counts)
    return np.minimum(1.0, np.sqrt(threshold / (counts / counts.sum())))


def negative_distribution(counts: np.ndarray, power: float = 0.75) -> torch.Tensor:
    """Loi de tirage des mots négatifs : ``count^power`` normalisé (Mikolov et al. : ``power = 3/4``).

    Voir : {ref}`lm-plongements-word2vec`.
    """
    counts = torch.as_tensor(np.asarray(counts), dtype=torch.float64)
    if counts.ndim != 1 or bool((counts <= 0).any()):
        raise ValueError("counts doit être un vecteur de nombres d'occurrences > 0.")
    weights = counts**power
    return weights / weights.sum()


def _flatten(id_sentences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Tous les identifiants bout à bout, et le numéro du texte de chacun."""
    ids = np.concatenate([np.asarray(s, dtype=np.int64) for s in id_sentences]) if id_sentences else np.zeros(0, int)
    sent = np.repeat(np.arange(len(id_sentences)), [len(s) for s in id_sentences])
    return ids, sent


def skipgram_pairs(id_sentences: Sequence[np.ndarray], window: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Paires ``(centre, contexte)`` : chaque mot et chacun de ses voisins à distance ``1 … window`` dans son texte.

    ``id_sentences`` : un tableau d'identifiants par texte. Une paire ne franchit jamais la frontière de deux textes.
    Renvoie deux tenseurs d'entiers de même longueur (ordre : décalage +1, −1, +2, −2…).

    Voir : {ref}`lm-plongements-entrainement`.
    """
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window doit être un entier ≥ 1 : reçu {window!r}.")
    ids, sent = _flatten(id_sentences)
    centers, contexts = [], []
    for offset in range(1, window + 1):
        same = sent[:-offset] == sent[offset:]  # les deux mots sont dans le même texte
        left, right = ids[:-offset][same], ids[offset:][same]
        centers += [left, right]
        contexts += [right, left]
    if not centers:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)
    return torch.from_numpy(np.concatenate(centers)), torch.from_numpy(np.concatenate(contexts))


def cooccurrence_matrix(id_sentences: Sequence[np.ndarray], vocab_size: int, window: int) -> np.ndarray:
    """Matrice ``(V, V)`` des cooccurrences : ``X[i, j]`` compte les fois où ``j`` est à distance ``≤ window`` de ``i``.

    Symétrique ; mêmes paires que :func:`skipgram_pairs` (sans sous-échantillonnage).

    Voir : {ref}`lm-plongements-glove`.
    """
    centers, contexts = skipgram_pairs(id_sentences, window)
    flat = centers.numpy() * vocab_size + contexts.numpy()
    return np.bincount(flat, minlength=vocab_size * vocab_size).reshape(vocab_size, vocab_size).astype(np.float64)


def ppmi(counts: np.ndarray) -> np.ndarray:
    """Information mutuelle ponctuelle positive : ``max(0, log(X_ij · N / (X_i· · X_·j)))``, 0 là où ``X_ij = 0``.

    Voir : {ref}`lm-plongements-glove`.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2 or bool((counts < 0).any()):
        raise ValueError(f"counts doit être une matrice de comptes ≥ 0 : reçu la forme {counts.shape}.")
    total = counts.sum()
    rows, cols = counts.sum(1, keepdims=True), counts.sum(0, keepdims=True)  # (V, 1), (1, V)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(counts * total / (rows * cols))  # (V, V)
    return np.where(counts > 0, np.maximum(pmi, 0.0), 0.0)


def train_skipgram(sentences: Sequence[Sequence[str]], dim: int = 50, window: int = 3, negatives: int = 5,
                   epochs: int = 8, batch_size: int = 8192, lr: float = 0.02, min_count: int = 3,
                   subsample: float = 1e-3, seed: int = 0) -> dict:
    """Entraîne un :class:`SkipGram` et rend ``{"words", "counts", "vectors", "losses", "pairs", "seconds"}``.

    ``vectors`` : les vecteurs centraux ``(V, dim)`` ; ``losses`` : perte moyenne de chaque époque ; ``pairs`` :
    nombre de paires vues par époque (après sous-échantillonnage). Tout le hasard (initialisation, sous-échantillonnage,
    ordre des paires, mots négatifs) vient d'un générateur de graine ``seed``. Les opérations sont petites : le
    calcul tourne sur un seul fil (``torch.set_num_threads(1)``, rétabli à la fin), mesuré plus rapide que deux.

    Voir : {ref}`lm-plongements-entrainement`.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(sentences, dim, window, negatives, epochs, batch_size, lr, min_count, subsample, seed)
    finally:
        torch.set_num_threads(threads)


def _train(sentences, dim, window, negatives, epochs, batch_size, lr, min_count, subsample, seed) -> dict:
    start = time.perf_counter()
    words, counts = build_vocabulary(sentences, min_count)
    index = {w: i for i, w in enumerate(words)}
    id_sentences = [np.array([index[w] for w in s if w in index], dtype=np.int64) for s in sentences]
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SkipGram(len(words), dim, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    keep = keep_probabilities(counts, subsample)
    noise = negative_distribution(counts)
    losses, pairs = [], []
    for _ in range(epochs):
        kept = [s[rng.random(len(s)) < keep[s]] for s in id_sentences]  # sous-échantillonnage, neuf à chaque époque
        centers, contexts = skipgram_pairs(kept, window)
        order = torch.randperm(len(centers), generator=generator)
        total = 0.0
        for i in range(0, len(order), batch_size):
            batch = order[i : i + batch_size]
            noise_ids = torch.multinomial(noise, len(batch) * negatives, replacement=True, generator=generator)
            loss = model(centers[batch], contexts[batch], noise_ids.view(len(batch), negatives))  # (B,), (B,), (B, k)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(batch)
        losses.append(total / max(len(order), 1))
        pairs.append(len(order))
    return {"words": words, "counts": counts.tolist(), "vectors": model.word_vectors(), "losses": losses,
            "pairs": pairs, "seconds": time.perf_counter() - start}


def corpus_digest(sentences: Sequence[Sequence[str]]) -> str:
    """Empreinte (16 caractères hexadécimaux) d'un corpus découpé en mots : elle entre dans la clé du cache."""
    _check_sentences(sentences)
    return hashlib.sha256(json.dumps(sentences, ensure_ascii=False).encode()).hexdigest()[:16]


def cached_skipgram(sentences: Sequence[Sequence[str]], **config) -> dict:
    """``train_skipgram(sentences, **config)``, relu du cache ``$MASTERCLASS_CACHE/word2vec`` s'il y est.

    La clé tient compte des réglages, de l'empreinte du corpus (:func:`corpus_digest`) et du code de ce module
    (et de ce qu'il importe du paquet) : un corpus ou un code modifié est réentraîné.

    Voir : {ref}`lm-plongements-entrainement`.
    """
    settings = dict(config, corpus=corpus_digest(sentences))

    def compute(corpus: str, **options) -> dict:
        return train_skipgram(sentences, **options)

    return cached_torch("skipgram", settings, compute, (sys.modules[__name__],), namespace="word2vec")
