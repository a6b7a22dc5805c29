"""Modèle de langue à n-grammes : hypothèse de Markov d'ordre n − 1, comptes lissés par add-α.

Le modèle estime :math:`P(w_t \\mid w_{t-n+1:t-1})` par

.. math::

    \\hat P_\\alpha(w \\mid c) = \\frac{\\operatorname{count}(c, w) + \\alpha}
    {\\operatorname{count}(c) + \\alpha V},

où :math:`c` est le contexte des :math:`n - 1` mots précédents et :math:`V` la taille du vocabulaire prédit. Quand
:math:`\\alpha \\to 0`, c'est l'estimateur du maximum de vraisemblance :math:`\\operatorname{count}(c, w) /
\\operatorname{count}(c)` (Jurafsky et Martin, chapitre 3).

Conventions, à connaître pour lire une perplexité :

- Chaque séquence d'entraînement ou d'évaluation (une phrase, un avis, un paragraphe) est précédée de :math:`n - 1`
  marqueurs ``<s>`` et suivie d'un marqueur ``</s>``. ``<s>`` n'est jamais prédit ; ``</s>`` l'est : c'est la fin
  de la séquence, et chaque séquence compte ``len(séquence) + 1`` prédictions.
- Le vocabulaire prédit contient les mots vus au moins ``min_count`` fois à l'entraînement (ou le vocabulaire
  imposé ``vocab``), plus ``</s>`` et ``<unk>``. Tout autre mot, à l'entraînement comme à l'évaluation, est remplacé
  par ``<unk>`` : c'est un mot comme un autre, qui reçoit la masse de tous les mots inconnus. Deux perplexités ne
  sont donc comparables qu'à vocabulaire égal : un vocabulaire plus petit envoie plus de mots vers ``<unk>`` et
  rend la prédiction plus facile.
- Un contexte jamais vu (:math:`\\operatorname{count}(c) = 0`) donne la loi uniforme :math:`1 / V`.

Voir : {ref}`lm-markov`.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter, defaultdict
from typing import Iterable, Sequence

import torch
from torch import Tensor

__all__ = ["BOS", "EOS", "UNK", "NGramModel"]

#: Marqueur de début de séquence (contexte seulement, jamais prédit).
BOS = "<s>"
#: Marqueur de fin de séquence (prédit comme un mot).
EOS = "</s>"
#: Mot inconnu : remplace tout mot hors du vocabulaire.
UNK = "<unk>"
_EMPTY: Counter = Counter()  # comptes d'un contexte jamais vu (lecture seule)


def _as_sequences(tokens) -> list[list[str]]:
    """Une liste de séquences de mots, à partir d'une liste de mots (une seule séquence) ou d'une liste de listes."""
    if isinstance(tokens, str) or not isinstance(tokens, Iterable):
        raise TypeError("tokens doit être une liste de mots ou une liste de séquences (listes de mots) : reçu "
                        f"{type(tokens).__name__}.")
    tokens = list(tokens)
    if not tokens:
        raise ValueError("tokens ne doit pas être vide.")
    sequences = [tokens] if all(isinstance(w, str) for w in tokens) else tokens
    out = []
    for k, seq in enumerate(sequences):
        if isinstance(seq, str) or not isinstance(seq, Iterable):
            raise TypeError("tokens doit être une liste de mots ou une liste de séquences : l'élément "
                            f"{k} est de type {type(seq).__name__}.")
        seq = list(seq)
        bad = [w for w in seq if not isinstance(w, str)]
        if bad:
            raise TypeError(f"les mots doivent être des chaînes : la séquence {k} contient {bad[0]!r}.")
        if BOS in seq or EOS in seq:
            raise ValueError(f"les marqueurs {BOS!r} et {EOS!r} sont réservés au modèle : la séquence {k} en "
                             "contient un.")
        out.append(seq)
    return out


def _check_alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not math.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"alpha doit être un réel strictement positif et fini : reçu {alpha!r}.")
    return float(alpha)


class NGramModel:
    """Modèle de langue à n-grammes de mots, lissé par add-α (voir la docstring du module pour les conventions).

    ``n`` : ordre (1 unigramme, 2 bigramme, 3 trigramme) ; ``alpha`` > 0 : pseudo-compte ajouté à chaque mot du
    vocabulaire dans chaque contexte (modifiable après ``fit`` sans recompter) ; ``min_count`` : nombre minimal
    d'occurrences à l'entraînement pour entrer dans le vocabulaire ; ``vocab`` : vocabulaire imposé (prioritaire
    sur ``min_count``), pour comparer des modèles au même vocabulaire.

    Voir : {ref}`lm-markov`.
    """

    def __init__(self, n: int = 2, alpha: float = 1.0, min_count: int = 1, vocab: Iterable[str] | None = None):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"n doit être un entier ≥ 1 (1 unigramme, 2 bigramme…) : reçu {n!r}.")
        if isinstance(min_count, bool) or not isinstance(min_count, numbers.Integral) or min_count < 1:
            raise ValueError(f"min_count doit être un entier ≥ 1 : reçu {min_count!r}.")
        self.n = int(n)
        self.alpha = alpha  # vérifié par la propriété
        self.min_count = int(min_count)
        self._fixed_vocab = None if vocab is None else [w for w in dict.fromkeys(vocab) if w not in (EOS, UNK)]
        if self._fixed_vocab is not None and BOS in self._fixed_vocab:
            raise ValueError(f"le vocabulaire ne doit pas contenir {BOS!r}, qui n'est jamais prédit.")
        self.vocab: list[str] | None = None
        self._index: dict[str, int] = {}
        self._counts: dict[tuple[str, ...], Counter] = {}
        self._totals: dict[tuple[str, ...], int] = {}

    @property
    def alpha(self) -> float:
        """Pseudo-compte du lissage add-α (> 0)."""
        return self._alpha

    @alpha.setter
    def alpha(self, value: float) -> None:
        self._alpha = _check_alpha(value)

    @property
    def vocab_size(self) -> int:
        """V : nombre de mots prédits, ``</s>`` et ``<unk>`` compris."""
        return len(self._fitted_vocab())

    def _fitted_vocab(self) -> list[str]:
        if self.vocab is None:
            raise RuntimeError("le modèle n'est pas entraîné : appelez d'abord fit(tokens).")
        return self.vocab

    def fit(self, tokens) -> "NGramModel":
        """Compte les n-grammes de ``tokens`` (liste de mots, ou liste de séquences de mots) ; renvoie ``self``.

        Voir : {ref}`lm-markov`.
        """
        sequences = _as_sequences(tokens)
        if self._fixed_vocab is not None:
            words = self._fixed_vocab
        else:
            frequency = Counter(w for seq in sequences for w in seq)
            words = sorted(w for w, c in frequency.items() if c >= self.min_count and w != UNK)
        self.vocab = [*words, EOS, UNK]
        self._index = {w: i for i, w in enumerate(self.vocab)}
        counts: dict[tuple[str, ...], Counter] = defaultdict(Counter)
        for context, word in self.events(sequences):
            counts[context][word] += 1
        self._counts = dict(counts)
        self._totals = {c: sum(counter.values()) for c, counter in self._counts.items()}
        return self

    def _map(self, word: str) -> str:
        return word if word in self._index else UNK

    def _context(self, context: Sequence[str]) -> tuple[str, ...]:
        """Les n − 1 derniers mots du contexte, complétés à gauche par ``<s>``, mots inconnus → ``<unk>``."""
        if isinstance(context, str):
            raise TypeError(f"context doit être une suite de mots, pas une chaîne : reçu {context!r}.")
        context = [w if w == BOS else self._map(w) for w in context]
        k = self.n - 1
        if k == 0:
            return ()
        return tuple(([BOS] * k + context)[-k:])

    def events(self, tokens) -> list[tuple[tuple[str, ...], str]]:
        """Les prédictions que fait le modèle sur ``tokens`` : paires (contexte de n − 1 mots, mot prédit).

        Chaque séquence reçoit ses marqueurs (n − 1 ``<s>`` devant, ``</s>`` derrière) et ses mots inconnus deviennent
        ``<unk>`` ; il y a ``len(séquence) + 1`` paires par séquence.

        Voir : {ref}`lm-markov`.
        """
        self._fitted_vocab()
        out = []
        k = self.n - 1
        for seq in _as_sequences(tokens):
            padded = [BOS] * k + [self._map(w) for w in seq] + [EOS]
            out.extend((tuple(padded[t - k:t]), padded[t]) for t in range(k, len(padded)))
        return out

    def count(self, context: Sequence[str], token: str | None = None) -> int:
        """count(c, w), ou count(c) si ``token`` est omis : nombre d'occurrences à l'entraînement.

        Voir : {ref}`lm-markov`.
        """
        self._fitted_vocab()
        c = self._context(context)
        if token is None:
            return self._totals.get(c, 0)
        return self._counts.get(c, _EMPTY)[self._map(token)]

    def continuations(self, context: Sequence[str]) -> dict[str, int]:
        """Les mots vus après ``context`` à l'entraînement et leurs comptes count(c, w) (copie ; vide si c est inédit).

        Voir : {ref}`lm-markov-creux`.
        """
        self._fitted_vocab()
        return dict(self._counts.get(self._context(context), _EMPTY))

    def prob(self, context: Sequence[str], token: str) -> float:
        """Probabilité lissée (count(c, w) + α) / (count(c) + α V) du mot ``token`` après ``context``.

        ``context`` : les mots précédents (seuls les n − 1 derniers comptent ; un contexte plus court est complété à
        gauche par ``<s>``, le début de séquence) ; un mot hors vocabulaire est lu comme ``<unk>``.

        Voir : {ref}`lm-markov`.
        """
        V = self.vocab_size
        if token == BOS:
            raise ValueError(f"{BOS!r} n'est jamais prédit : sa probabilité n'est pas définie.")
        c = self._context(context)
        return (self.count(c, token) + self.alpha) / (self._totals.get(c, 0) + self.alpha * V)

    def distribution(self, context: Sequence[str]) -> Tensor:
        """La loi lissée du mot suivant après ``context`` : tenseur ``(V,)`` en ``float64``, rangé comme ``vocab``.

        Voir : {ref}`lm-markov`.
        """
        V = self.vocab_size
        c = self._context(context)
        counts = torch.zeros(V, dtype=torch.float64)
        for word, k in self._counts.get(c, _EMPTY).items():
            counts[self._index[word]] = k
        return (counts + self.alpha) / (self._totals.get(c, 0) + self.alpha * V)  # (V,)

    def _event_counts(self, tokens) -> tuple[Tensor, Tensor]:
        """count(c_t, w_t) et count(c_t) pour chaque prédiction de :meth:`events` : deux tenseurs ``(N,)``."""
        events = self.events(tokens)
        joint = torch.tensor([self._counts.get(c, _EMPTY)[w] for c, w in events], dtype=torch.float64)  # (N,)
        context = torch.tensor([self._totals.get(c, 0) for c, _ in events], dtype=torch.float64)  # (N,)
        return joint, context

    def log_probs(self, tokens) -> Tensor:
        """log P̂_α(w_t | c_t) de chaque prédiction de :meth:`events` (nats) : tenseur ``(N,)`` en float64.

        Voir : {ref}`lm-markov`.
        """
        V = self.vocab_size
        joint, context = self._event_counts(tokens)
        return torch.log(joint + self.alpha) - torch.log(context + self.alpha * V)  # (N,)

    def alpha_curve(self, tokens, alphas: Iterable[float]) -> Tensor:
        """Entropie croisée (nats par prédiction) sur ``tokens`` pour chaque α de ``alphas`` ; ``self.alpha`` inchangé.

        Les comptes ne dépendent pas de α : ils sont lus une fois, puis la formule add-α est évaluée pour chaque
        valeur. Sert à choisir α sur un découpage de validation (le minimum de la courbe).

        Voir : {ref}`lm-markov-lissage`.
        """
        V = self.vocab_size
        a = torch.tensor([_check_alpha(x) for x in alphas], dtype=torch.float64)[:, None]  # (A, 1)
        if a.numel() == 0:
            raise ValueError("alphas ne doit pas être vide.")
        joint, context = self._event_counts(tokens)  # (N,), (N,)
        return -(torch.log(joint + a) - torch.log(context + a * V)).mean(dim=1)  # (A, N) -> (A,)

    def cross_entropy(self, tokens, base: float | None = None) -> float:
        """Log-vraisemblance négative moyenne par prédiction (``</s>`` compris), en nats ou dans la ``base`` donnée.

        C'est l'entropie croisée entre le texte et le modèle ; son opposé est la log-vraisemblance par mot.

        Voir : {ref}`lm-entropie`.
        """
        if base is not None and (isinstance(base, bool) or not isinstance(base, numbers.Real) or base <= 0
                                 or base == 1):
            raise ValueError(f"base doit être un réel > 0, différent de 1 : reçu {base!r}.")
        h = -float(self.log_probs(tokens).mean())
        return h if base is None else h / math.log(base)

    def perplexity(self, tokens) -> float:
        """Perplexité exp(-(1/N) Σ_t log P̂_α(w_t | c_t)) sur ``tokens`` : l'exponentielle de :meth:`cross_entropy`.

        Comparable d'un modèle à l'autre seulement à vocabulaire égal (voir la docstring du module).

        Voir : {ref}`lm-entropie`.
        """
        return math.exp(self.cross_entropy(tokens))

    def sample(self, max_words: int = 30, seed: int = 0, prompt: Sequence[str] = ()) -> list[str]:
        """Génère une séquence : tire chaque mot selon la loi lissée, jusqu'à ``</s>`` ou ``max_words`` mots.

        ``prompt`` : premiers mots imposés (rendus en tête du résultat). ``<unk>`` peut être tiré : il signale un
        mot rare. Reproductible : même ``seed``, même texte. Renvoie les mots, sans ``<s>`` ni ``</s>``.

        Voir : {ref}`lm-markov`.
        """
        self._fitted_vocab()
        if isinstance(max_words, bool) or not isinstance(max_words, numbers.Integral) or max_words < 1:
            raise ValueError(f"max_words doit être un entier ≥ 1 : reçu {max_words!r}.")
        generator = torch.Generator().manual_seed(int(seed))
        words = list(prompt)
        while len(words) < max_words:
            p = self.distribution(words)  # (V,)
            word = self.vocab[int(torch.multinomial(p, 1, generator=generator))]
            if word == EOS:
                break
            words.append(word)
        return words
