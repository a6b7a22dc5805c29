"""Statistiques de découpage en jetons : combien de morceaux WordPiece un vocabulaire donne à chaque mot.

Un mot est une suite de lettres (expression régulière ``[^\\W\\d_]+`` : chiffres, ponctuation et soulignés en sont
exclus ; l'apostrophe coupe « l'hôtel » en « l » et « hôtel »). Un mot présent dans le vocabulaire donne un seul
morceau ; un mot absent est coupé en plusieurs (``del``, ``##ici``, ``##eus``, ``##e``). Comparer la moyenne sur des
textes anglais et français mesure ce que coûte un vocabulaire anglais au français.

Voir : {ref}`atelier-3-handicap`.
"""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np

#: Un mot : une suite de lettres (ni chiffre, ni soulignement, ni ponctuation).
WORD_RE = re.compile(r"[^\W\d_]+")


def pieces_per_word(tokenizer, texts: Iterable[str]) -> np.ndarray:
    """Nombre de morceaux WordPiece de chaque mot (suite de lettres) des textes, dans l'ordre : tableau d'entiers.

    ``tokenizer`` est un tokenizer Hugging Face (méthode ``tokenize``) ; ``texts`` une liste (ou une colonne) de
    chaînes. Un mot du vocabulaire donne 1 ; un mot inconnu est coupé en plusieurs morceaux (``##…``). Une chaîne
    isolée est refusée (``TypeError``) : on la parcourrait caractère par caractère.

    Voir : {ref}`atelier-3-handicap` et {ref}`m7-bert-wordpiece`.
    """
    if isinstance(texts, str):
        raise TypeError("texts doit être une liste de chaînes : reçu une chaîne isolée.")
    words = []
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts doit contenir des chaînes : reçu {type(text).__name__} en position {position}.")
        words.extend(WORD_RE.findall(text))
    pieces = {word: len(tokenizer.tokenize(word)) for word in dict.fromkeys(words)}  # chaque mot distinct, une fois
    return np.array([pieces[w] for w in words], dtype=np.int64)
