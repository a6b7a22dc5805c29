"""Paires de phrases faites des mêmes mots et de sens opposés : ce qu'un sac de mots ne peut pas distinguer.

Chaque gabarit a deux places, ``{0}`` et ``{1}`` ; la place ``{1}`` porte le verdict, la place ``{0}`` reçoit le mot
nié ou écarté. Avec un couple (mot positif, mot négatif), le gabarit donne deux phrases qui ne diffèrent que par
l'ordre de leurs mots : « Pas mauvais, vraiment bon. » (positive) et « Pas bon, vraiment mauvais. » (négative).
Leurs comptes de mots sont identiques, donc tout modèle qui ne voit que ces comptes leur donne la même sortie.

Voir : {ref}`seq-donnees-ordre`.
"""

from __future__ import annotations

from collections import Counter
from string import Formatter
from typing import NamedTuple

from masterclass.data.corpus import normalize

#: Couples (positif, négatif) d'adjectifs au masculin singulier, tous présents dans les avis d'entraînement.
ADJECTIVES = (
    ("bon", "mauvais"),
    ("excellent", "décevant"),
    ("agréable", "désagréable"),
    ("réussi", "raté"),
    ("parfait", "médiocre"),
    ("simple", "compliqué"),
)

#: Gabarits et couples (positif, négatif) qui les remplissent. ``{1}`` porte le verdict ; aucun mot de remplissage
#: ne commence par une voyelle après « ne » ou « de », pour que l'élision ne change pas les mots de la phrase.
PAIR_TEMPLATES = (
    ("pas {0}, vraiment {1}", ADJECTIVES),
    ("ce n'est pas {0} du tout, c'est {1}", ADJECTIVES),
    ("loin d'être {0}, c'est {1}", ADJECTIVES),
    ("on me l'avait décrit comme {0}, je l'ai trouvé {1}", ADJECTIVES),
    ("{0} ? Non, franchement {1}", ADJECTIVES),
    ("on ne {0} jamais, on {1} souvent", (("rit", "s'ennuie"), ("sourit", "soupire"))),
    ("pas de {0}, que des {1}", (("qualités", "défauts"), ("compliments", "reproches"))),
    ("le service n'était pas {0} mais {1}", (("rapide", "lent"), ("souriant", "froid"))),
    ("je n'ai pas {0}, j'ai {1}", (("aimé", "détesté"), ("apprécié", "regretté"))),
)


class ReorderedPair(NamedTuple):
    """Une paire de phrases de mêmes mots : ``positive`` (étiquette 1), ``negative`` (étiquette 0), son gabarit.

    Voir : {ref}`seq-donnees-ordre`.
    """

    positive: str
    negative: str
    template: str


def word_counts(text: str) -> Counter:
    """Sac de mots d'un texte : nombre d'occurrences de chaque mot après :func:`~masterclass.data.corpus.normalize`.

    Voir : {ref}`seq-donnees-ordre`.
    """
    return Counter(normalize(text).split())


def _sentence(template: str, first: str, second: str) -> str:
    text = template.format(first, second)
    return text[0].upper() + text[1:] + "."


def reordered_pairs(templates=PAIR_TEMPLATES) -> list[ReorderedPair]:
    """Paires (positive, négative) de phrases faites des mêmes mots, une par gabarit et par couple de mots.

    Pour un gabarit ``g`` et un couple ``(p, n)`` : ``positive = g.format(n, p)`` et ``negative = g.format(p, n)``
    (majuscule initiale et point final ajoutés). Lève ``ValueError`` si un gabarit n'a pas exactement les places
    ``{0}`` et ``{1}`` une fois chacune, ou si les deux phrases d'une paire n'ont pas le même sac de mots
    (:func:`word_counts`).

    Voir : {ref}`seq-donnees-ordre`.
    """
    pairs = []
    for template, fillers in templates:
        if not isinstance(template, str):
            raise TypeError(f"Un gabarit doit être une chaîne : reçu {type(template).__name__}.")
        fields = sorted(name for _, name, _, _ in Formatter().parse(template) if name is not None)
        if fields != ["0", "1"]:
            raise ValueError(f"Le gabarit doit contenir {{0}} et {{1}} une fois chacun : reçu « {template} » "
                             f"(places {fields}).")
        for good, bad in fillers:
            pair = ReorderedPair(_sentence(template, bad, good), _sentence(template, good, bad), template)
            if word_counts(pair.positive) != word_counts(pair.negative):
                raise ValueError(f"Les deux phrases n'ont pas les mêmes mots : « {pair.positive} » et "
                                 f"« {pair.negative} ».")
            pairs.append(pair)
    return pairs
