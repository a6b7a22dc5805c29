"""Les nombres écrits en lettres : une tâche de séquence à séquence, des chiffres aux mots français.

Le générateur est le paquet ``num2words`` (``lang="fr"``) : « 97 » → « quatre-vingt-dix-sept », « 71 » → « soixante
et onze », « 200 » → « deux cents » mais « 201 » → « deux cent un », « 80 000 » → « quatre-vingt mille ». La source
est la suite des chiffres, la cible la suite des mots, où le trait d'union est un jeton à part entière : le
vocabulaire reste petit (une quarantaine de mots), et le modèle doit apprendre où mettre les traits d'union.

Les nombres d'entraînement, de validation et de test sont disjoints ; chaque nombre de chiffres (de 1 à
``max_digits``) est également représenté, pour que les petits nombres, peu nombreux, ne soient pas noyés.

Voir : {ref}`ed-nombres`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import torch
from torch import Tensor

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = (PAD, BOS, EOS)
DIGITS = tuple("0123456789")


def french_words(n: int) -> str:
    """Le nombre entier ``n ≥ 0`` écrit en lettres (orthographe de ``num2words``, traits d'union de 1990 exceptés).

    Voir : {ref}`ed-nombres`.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n doit être un entier positif ou nul : reçu {n!r}.")
    try:
        from num2words import num2words
    except ImportError as exc:  # pragma: no cover - dépend de l'installation
        raise ImportError("Le paquet num2words est requis : pip install -r requirements.txt") from exc
    return num2words(n, lang="fr")


def word_tokens(text: str) -> list[str]:
    """Découpe en mots et traits d'union : « quatre-vingt-dix » → ``["quatre", "-", "vingt", "-", "dix"]``.

    Voir : {ref}`ed-nombres`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text doit être une chaîne : reçu {type(text).__name__}.")
    return re.findall(r"-|[^\s-]+", text)


def join_words(tokens: list[str]) -> str:
    """L'inverse de :func:`word_tokens` : les traits d'union collent, les mots sont séparés par une espace.

    Voir : {ref}`ed-nombres`.
    """
    return re.sub(r" ?- ?", "-", " ".join(tokens))


class Vocabulary:
    """Jetons ↔ identifiants ; les trois premiers sont ``<pad>`` (0), ``<bos>`` (1) et ``<eos>`` (2).

    Voir : {ref}`ed-nombres`.
    """

    def __init__(self, tokens) -> None:
        tokens = list(tokens)
        if any(t in SPECIALS for t in tokens) or len(set(tokens)) != len(tokens):
            raise ValueError("tokens doit être une liste sans doublon ni jeton spécial (<pad>, <bos>, <eos>).")
        self.itos = [*SPECIALS, *tokens]
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.pad_id, self.bos_id, self.eos_id = 0, 1, 2

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: list[str]) -> list[int]:
        unknown = [t for t in tokens if t not in self.stoi]
        if unknown:
            raise KeyError(f"jetons absents du vocabulaire : {unknown[:5]} (vocabulaire de {len(self)} jetons).")
        return [self.stoi[t] for t in tokens]

    def decode(self, ids) -> list[str]:
        """Identifiants → jetons, en s'arrêtant au premier ``<eos>`` et en sautant ``<pad>`` et ``<bos>``."""
        out = []
        for i in (ids.tolist() if isinstance(ids, Tensor) else ids):
            if i == self.eos_id:
                break
            if i not in (self.pad_id, self.bos_id):
                out.append(self.itos[i])
        return out


SOURCE_VOCAB = Vocabulary(DIGITS)


def target_vocabulary(max_digits: int = 7) -> Vocabulary:
    """Tous les mots qu'écrit ``num2words`` jusqu'à ``max_digits`` chiffres (énumérés sur des nombres choisis).

    Voir : {ref}`ed-nombres`.
    """
    probes = list(range(0, 1001)) + [10**k * m for k in range(3, max_digits) for m in (1, 2, 80, 100, 200)]
    words = sorted({w for n in probes if n < 10**max_digits for w in word_tokens(french_words(n))})
    return Vocabulary(words)


@dataclass(frozen=True)
class NumberSplits:
    """Nombres d'entraînement, de validation et de test, disjoints, et un jeu hors domaine (plus de chiffres)."""

    train: list[int]
    validation: list[int]
    test: list[int]
    beyond: list[int]


def number_splits(max_digits: int = 6, per_digit: int = 4000, fractions=(0.8, 0.1, 0.1), beyond_size: int = 500,
                  seed: int = 0) -> NumberSplits:
    """Tire ``per_digit`` nombres de chaque longueur 1 … ``max_digits`` (tous s'il y en a moins), puis les partage.

    Chaque longueur est partagée selon ``fractions`` : les trois jeux sont disjoints et ont la même répartition des
    longueurs. ``beyond`` : ``beyond_size`` nombres de ``max_digits + 1`` chiffres, jamais vus.

    Voir : {ref}`ed-nombres`.
    """
    if isinstance(max_digits, bool) or not isinstance(max_digits, int) or not 1 <= max_digits <= 8:
        raise ValueError(f"max_digits doit être un entier de 1 à 8 : reçu {max_digits!r}.")
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions doit contenir trois parts positives de somme 1 : reçu {fractions!r}.")
    rng = random.Random(seed)
    train, validation, test = [], [], []
    for k in range(1, max_digits + 1):
        low, high = (0 if k == 1 else 10 ** (k - 1)), 10**k
        pool = rng.sample(range(low, high), min(per_digit, high - low))
        a = round(fractions[0] * len(pool))
        b = a + round(fractions[1] * len(pool))
        train += pool[:a]
        validation += pool[a:b]
        test += pool[b:]
    beyond = rng.sample(range(10**max_digits, 10 ** (max_digits + 1)), beyond_size)
    return NumberSplits(train, validation, test, beyond)


def encode_numbers(numbers: list[int], target_vocab: Vocabulary) -> tuple[Tensor, Tensor]:
    """Tenseurs complétés par ``<pad>`` : ``source (N, S)`` (chiffres) et ``target (N, T)`` (``<bos>`` mots ``<eos>``).

    Voir : {ref}`ed-nombres`.
    """
    sources = [SOURCE_VOCAB.encode(list(str(n))) for n in numbers]
    targets = [[target_vocab.bos_id, *target_vocab.encode(word_tokens(french_words(n))), target_vocab.eos_id]
               for n in numbers]
    return _pad(sources, SOURCE_VOCAB.pad_id), _pad(targets, target_vocab.pad_id)


def _pad(rows: list[list[int]], pad_id: int) -> Tensor:
    out = torch.full((len(rows), max(map(len, rows))), pad_id, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out
