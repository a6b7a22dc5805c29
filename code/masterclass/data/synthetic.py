"""Tâches synthétiques qui isolent une capacité d'un modèle de séquences : la distance et la mémoire.

Deux tâches, dont les étiquettes sont justes par construction et dont on règle la difficulté d'un seul nombre :

- :func:`recall_first` (distance) : une séquence ``s, b_1, …, b_k, ?`` ; la réponse est le premier symbole ``s``,
  lu ``k + 1`` pas avant la question ``?``. Le bruit ``b_j`` est tiré parmi les **mêmes** symboles que ``s`` : seul
  son rang distingue ``s``, si bien qu'un modèle sans information de position ne peut pas répondre ;
- :func:`copy_task` (mémoire) : lire ``n`` symboles tirés au hasard, puis les rendre tous depuis l'état final.

Les symboles sont les entiers ``0, …, A − 1`` (``A = num_symbols``) ; la question ``?`` est le jeton ``A``. Tout est
tiré d'un ``torch.Generator`` initialisé par ``seed`` : même graine, mêmes séquences.

Voir : {ref}`seq-limites-distance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class SequenceTask:
    """Un jeu d'exemples d'une tâche de séquences : jetons, cibles et tailles du vocabulaire.

    Voir : {ref}`seq-limites-distance`.
    """

    tokens: Tensor  # (N, T) entiers dans [0, vocab_size) : les séquences lues par le modèle
    targets: Tensor  # (N, n) entiers dans [0, num_classes) : n réponses par séquence
    vocab_size: int  # nombre de jetons distincts en entrée (symboles, plus la question s'il y en a une)
    num_classes: int  # nombre de réponses possibles pour chaque cible

    def __len__(self) -> int:
        return self.tokens.shape[0]

    def subset(self, start: int, stop: int) -> SequenceTask:
        """Les exemples ``start`` à ``stop − 1`` (une tranche, sans copie).

        Voir : {ref}`seq-limites-distance`.
        """
        return SequenceTask(self.tokens[start:stop], self.targets[start:stop], self.vocab_size, self.num_classes)


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} doit être un entier ≥ {minimum} : reçu {value!r}.")
    return value


def _generator(seed) -> torch.Generator:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed doit être un entier ≥ 0 : reçu {seed!r}.")
    return torch.Generator().manual_seed(seed)


def recall_first(num_sequences: int, gap: int, num_symbols: int = 8, seed: int = 0) -> SequenceTask:
    """Rappel du premier symbole : ``s, b_1, …, b_gap, ?`` → ``s`` ; longueur ``T = gap + 2``.

    ``s`` et les ``gap`` symboles de bruit sont tirés uniformément et indépendamment parmi ``num_symbols`` symboles ;
    la question ``?`` (jeton ``num_symbols``) termine chaque séquence. La réponse est à ``gap + 1`` pas de la
    question ; répondre au hasard donne une exactitude de ``1 / num_symbols``.

    Voir : {ref}`seq-limites-distance`.
    """
    _check_int("num_sequences", num_sequences, 1)
    _check_int("gap", gap, 0)
    _check_int("num_symbols", num_symbols, 2)
    g = _generator(seed)
    symbols = torch.randint(num_symbols, (num_sequences, gap + 1), generator=g)  # (N, gap + 1) : s puis le bruit
    query = torch.full((num_sequences, 1), num_symbols, dtype=torch.long)  # (N, 1) : le jeton « ? »
    tokens = torch.cat([symbols, query], dim=1)  # (N, T) avec T = gap + 2
    return SequenceTask(tokens, symbols[:, :1].clone(), vocab_size=num_symbols + 1, num_classes=num_symbols)


def copy_task(num_sequences: int, length: int, num_symbols: int = 8, seed: int = 0) -> SequenceTask:
    """Copie : lire ``length`` symboles uniformes, puis les rendre tous ; les cibles sont les jetons eux-mêmes.

    Chaque séquence porte ``length · log₂(num_symbols)`` bits d'information, que le modèle doit faire tenir dans son
    état final pour les restituer.

    Voir : {ref}`seq-limites-memoire`.
    """
    _check_int("num_sequences", num_sequences, 1)
    _check_int("length", length, 1)
    _check_int("num_symbols", num_symbols, 2)
    tokens = torch.randint(num_symbols, (num_sequences, length), generator=_generator(seed))  # (N, n)
    return SequenceTask(tokens, tokens.clone(), vocab_size=num_symbols, num_classes=num_symbols)
