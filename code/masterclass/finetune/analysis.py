"""Analyse d'erreurs par phénomène : quels avis un classifieur réussit-il, lesquels manque-t-il ?

Les phénomènes sont repérés automatiquement dans le texte français, par des règles qu'on peut lire :

- **mots marqués** : les mots pleins (hors mots outils de la liste française de spaCy et nombres) dont la
  fréquence diffère nettement entre avis positifs et négatifs de l'entraînement, par le logarithme du rapport des
  cotes avec *a priori* de Dirichlet informatif et sa cote z (Monroe, Colaresi et Quinn, 2008) :
  :func:`polarized_words` ;
- **négation** : « ne », « n' », « pas », « jamais », « rien », « aucun(e) », « ni », « personne » ;
- **négation d'un mot marqué** (litotes et leurs cousines : « pas mal », « pas déçu », « pas terrible ») : un mot de
  négation suivi, à trois mots au plus, d'un mot marqué ;
- **opposition** (avis mixtes) : « mais », « pourtant », « cependant », « toutefois », « néanmoins », « malgré »,
  « même si », « sauf », « en revanche » ;
- **sans mot marqué** : aucun mot marqué dans l'avis ; la polarité passe par le sens, pas par le vocabulaire.

Ce sont des approximations : une règle manque des cas et en attrape d'autres à tort. Elles servent à comparer
des modèles sur les mêmes sous-ensembles d'avis, pas à mesurer la langue.

Voir : {ref}`atelier-3-langue-phenomenes`.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

import numpy as np

from masterclass.data.corpus import normalize

NEGATION_WORDS = frozenset({"ne", "n", "pas", "jamais", "rien", "aucun", "aucune", "ni", "personne"})
CONTRAST_RE = re.compile(r"\b(mais|pourtant|cependant|toutefois|néanmoins|malgré|même si|sauf|en revanche)\b")
#: Nombre maximal de mots entre une négation et le mot marqué qu'elle porte.
NEGATION_WINDOW = 3
#: Mots de la liste de mots outils de spaCy qui portent pourtant un jugement : gardés comme candidats.
EVALUATIVE_STOP_WORDS = frozenset({"nul", "nulle", "peu", "juste", "merci"})
PHENOMENA = ("négation", "négation d'un mot marqué", "opposition", "sans mot marqué")


def tokens(text: str) -> list[str]:
    """Mots d'un avis : texte normalisé (minuscules, sans ponctuation ; « n'a » donne « n », « a »)."""
    return normalize(text.replace("'", " ").replace("’", " ")).split()


def polarized_words(texts: Sequence[str], labels: Sequence[int], prior: float = 0.01, min_count: int = 5,
                    z_min: float = 1.96, stop_words: set[str] | None = None) -> dict[str, float]:
    """Mots marqués de l'entraînement : cote z du logarithme du rapport des cotes (positif − négatif).

    Avec ``y`` les comptes d'un mot dans chaque classe, ``n`` les totaux de mots, ``α_w = prior · c_w`` (``c_w`` :
    compte total du mot) et ``α_0 = Σ α_w`` : ``δ = log((y⁺ + α)/(n⁺ + α_0 − y⁺ − α)) − log((y⁻ + α)/(n⁻ + α_0 − y⁻
    − α))``, ``σ² ≈ 1/(y⁺ + α) + 1/(y⁻ + α)``, ``z = δ / σ``. Renvoie ``{mot: z}`` des mots vus au moins
    ``min_count`` fois et de ``|z| ≥ z_min`` (z > 0 : mot des avis positifs), hors ``stop_words`` (par défaut les
    mots outils français de spaCy, moins :data:`EVALUATIVE_STOP_WORDS`) et hors nombres.
    """
    if stop_words is None:
        from spacy.lang.fr.stop_words import STOP_WORDS

        stop_words = set(STOP_WORDS) - EVALUATIVE_STOP_WORDS
    labels = np.asarray(labels)
    if len(texts) != len(labels) or not len(texts) or not np.isin(labels, (0, 1)).all():
        raise ValueError(f"texts et labels (0 ou 1) doivent avoir la même longueur non nulle : reçu {len(texts)} "
                         f"textes et {len(labels)} étiquettes.")
    counts = {0: Counter(), 1: Counter()}
    for text, label in zip(texts, labels, strict=True):
        counts[int(label)].update(tokens(text))
    total = counts[0] + counts[1]
    n = {k: sum(c.values()) for k, c in counts.items()}
    alpha0 = prior * sum(total.values())
    out = {}
    for word, c in total.items():
        if c < min_count or word in stop_words or word.isdigit():
            continue
        a = prior * c
        y1, y0 = counts[1][word], counts[0][word]
        delta = (np.log((y1 + a) / (n[1] + alpha0 - y1 - a)) - np.log((y0 + a) / (n[0] + alpha0 - y0 - a)))
        z = float(delta / np.sqrt(1 / (y1 + a) + 1 / (y0 + a)))
        if abs(z) >= z_min:
            out[word] = z
    return out


def phenomena(texts: Sequence[str], lexicon: dict[str, float] | set[str]) -> dict[str, np.ndarray]:
    """Pour chaque phénomène de :data:`PHENOMENA`, un vecteur booléen : l'avis ``i`` le présente-t-il ?"""
    if isinstance(texts, str):
        raise TypeError("texts doit être une liste de chaînes : reçu une chaîne isolée.")
    marked = set(lexicon) - NEGATION_WORDS
    out = {name: np.zeros(len(texts), dtype=bool) for name in PHENOMENA}
    for i, text in enumerate(texts):
        words = tokens(text)
        negations = [k for k, w in enumerate(words) if w in NEGATION_WORDS]
        out["négation"][i] = bool(negations)
        out["négation d'un mot marqué"][i] = any(
            w in marked for k in negations for w in words[k + 1 : k + 1 + NEGATION_WINDOW])
        out["opposition"][i] = bool(CONTRAST_RE.search(" ".join(words)))
        out["sans mot marqué"][i] = not marked & set(words)
    return out
