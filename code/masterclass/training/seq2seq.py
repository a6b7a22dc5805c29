"""Entraîner et évaluer un modèle de séquence à séquence : l'entraînement commun à toutes les pages du module 2.

:func:`train_seq2seq` entraîne par *forçage par l'enseignant* : le décodeur reçoit la vraie cible décalée d'un cran
(``<bos> y_1 … y_{T−1}``) et doit prédire ``y_1 … y_T <eos>`` ; la perte est l'entropie croisée moyenne sur les
jetons qui ne sont pas du remplissage, avec lissage des étiquettes facultatif (Szegedy et al., 2016). L'optimiseur
est Adam avec ``β = (0,9 ; 0,98)`` et ``ε = 10⁻⁹`` (Vaswani et al., 2017, section 5.3). Le nombre de **pas** est fixé,
pas une durée : les mêmes réglages donnent les mêmes poids sur toute machine (au même PyTorch près).

:func:`evaluate_exact` décode (glouton par défaut) et compare au mot près : exactitude par exemple (le vecteur de
booléens qu'attend le test de McNemar) et taux d'erreur par caractère.

Voir : {ref}`ed-seq2seq-entrainement`.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from masterclass.data.numbers import Vocabulary, join_words
from masterclass.models.decoding import greedy_decode
from masterclass.training.optim import inverse_sqrt_schedule

logger = logging.getLogger(__name__)

SCHEDULES = ("constant", "inverse_sqrt")


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Réglages d'un entraînement de séquence à séquence.

    Voir : {ref}`ed-seq2seq-entrainement`.
    """

    steps: int = 2000  # pas d'optimisation (un lot par pas) : la durée n'est pas un réglage
    batch_size: int = 64  # exemples par lot, tirés sans remise, époque après époque
    lr: float = 3e-3  # taux d'apprentissage maximal, atteint à la fin de l'échauffement
    warmup: int = 100  # pas d'échauffement linéaire du taux, de lr/warmup à lr
    schedule: str = "constant"  # après l'échauffement : "constant" (lr) ou "inverse_sqrt" (lr · √(warmup / s))
    label_smoothing: float = 0.0  # masse ε répartie uniformément sur le vocabulaire (0 : entropie croisée pure)
    max_grad_norm: float = 1.0  # écrêtage de la norme du gradient avant chaque pas (0 : pas d'écrêtage)
    average_last: int = 0  # le modèle rendu est la moyenne des poids après chacun des N derniers pas (0 : le dernier)
    seed: int = 0  # graine de l'ordre des lots et du dropout


def _check_config(config) -> Seq2SeqConfig:
    if config is None:
        return Seq2SeqConfig()
    if isinstance(config, dict):
        config = Seq2SeqConfig(**config)
    if not isinstance(config, Seq2SeqConfig):
        raise TypeError(f"config doit être un Seq2SeqConfig ou un dictionnaire : reçu {type(config).__name__}.")
    for name in ("steps", "batch_size"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} doit être un entier ≥ 1 : reçu {value!r}.")
    if isinstance(config.warmup, bool) or not isinstance(config.warmup, int) or config.warmup < 0:
        raise ValueError(f"warmup doit être un entier ≥ 0 : reçu {config.warmup!r}.")
    if config.schedule not in SCHEDULES:
        raise ValueError(f"schedule doit valoir l'un de {SCHEDULES} : reçu {config.schedule!r}.")
    if config.schedule == "inverse_sqrt" and config.warmup < 1:
        raise ValueError("le calendrier inverse_sqrt demande warmup ≥ 1 : son maximal est atteint au pas warmup.")
    if not config.lr > 0:
        raise ValueError(f"lr doit être > 0 : reçu {config.lr!r}.")
    if not 0 <= config.label_smoothing < 1:
        raise ValueError(f"label_smoothing doit être dans [0, 1[ : reçu {config.label_smoothing!r}.")
    if not config.max_grad_norm >= 0:
        raise ValueError(f"max_grad_norm doit être ≥ 0 : reçu {config.max_grad_norm!r}.")
    average = config.average_last
    if isinstance(average, bool) or not isinstance(average, int) or not 0 <= average <= config.steps:
        raise ValueError(f"average_last doit être un entier entre 0 et steps = {config.steps} : reçu {average!r}.")
    return config


def _check_pairs(source, target) -> None:
    for name, x in (("source", source), ("target", target)):
        if not isinstance(x, Tensor) or x.ndim != 2 or x.dtype != torch.long:
            got = f"{tuple(x.shape)} {x.dtype}" if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"{name} doit être un tenseur d'entiers (N, longueur) : reçu {got}.")
    if source.shape[0] != target.shape[0] or source.shape[0] < 1:
        raise ValueError(f"source et target doivent avoir le même nombre N ≥ 1 d'exemples : reçu {source.shape[0]} "
                         f"et {target.shape[0]}.")
    if target.shape[1] < 2:
        raise ValueError(f"target doit contenir au moins <bos> et un jeton : reçu la longueur {target.shape[1]}.")


def make_scheduler(optimizer: torch.optim.Optimizer, config: Seq2SeqConfig):
    """Calendrier du taux : échauffement linéaire sur ``warmup`` pas, puis constant ou en ``1/√s``.

    ``"inverse_sqrt"`` est le calendrier de Vaswani et al. écrit avec son maximal ``lr`` (comme fairseq) :
    ``η(s) = lr · min(s / w, √(w / s))`` ; c'est :func:`~masterclass.training.optim.inverse_sqrt_schedule` avec
    ``scale = lr · √(d_model · w)``, où ``d_model`` s'élimine (on prend 1). L'optimiseur doit avoir ``lr = 1``.

    Voir : {ref}`ed-seq2seq-entrainement`.
    """
    if config.schedule == "inverse_sqrt":
        return inverse_sqrt_schedule(optimizer, 1, config.warmup, scale=config.lr * math.sqrt(config.warmup))
    warmup = config.warmup
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: config.lr * min(1.0, (step + 1) / max(1, warmup)))


def trim(batch: Tensor, pad_id: int) -> Tensor:
    """Retire les colonnes finales qui ne sont que du remplissage : ``(B, L) → (B, L')``, ``L'`` = plus long exemple.

    Voir : {ref}`ed-seq2seq-entrainement`.
    """
    real = (batch != pad_id).any(dim=0)  # (L,)
    last = int(real.nonzero().max()) + 1 if bool(real.any()) else 1
    return batch[:, :last]


def seq2seq_loss(model: nn.Module, src: Tensor, tgt: Tensor, pad_id: int = 0, label_smoothing: float = 0.0) -> Tensor:
    """Entropie croisée par forçage par l'enseignant : ``model(src, tgt[:, :-1])`` contre ``tgt[:, 1:]``.

    Moyenne sur les jetons de la cible qui ne sont pas ``pad_id`` ; ``label_smoothing`` comme dans
    ``torch.nn.functional.cross_entropy``.

    Voir : {ref}`ed-seq2seq-forcage`.
    """
    logits = model(src, tgt[:, :-1])  # (B, T−1, V)
    return F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=pad_id,
                           label_smoothing=label_smoothing)  # (B·(T−1), V) contre (B·(T−1),)


def train_seq2seq(model: nn.Module, source: Tensor, target: Tensor, config: Seq2SeqConfig | dict | None = None,
                  pad_id: int = 0, evaluate: Callable[[nn.Module], dict] | None = None,
                  evaluate_every: int = 0) -> list[dict]:
    """Entraîne ``model`` (``model(src, tgt_in) → logits``) pendant ``config.steps`` pas ; renvoie l'historique.

    ``source (N, S)`` et ``target (N, T)`` (``<bos> … <eos>``, complétés par ``pad_id``). Les lots sont tirés sans
    remise avec la graine ``config.seed``, époque après époque ; chacun est rogné à son plus long exemple. Historique :
    une entrée par pas, ``{"step", "loss", "lr", "seconds"}`` (``seconds`` : durée d'entraînement cumulée, hors
    évaluations). Si ``evaluate_every > 0``, ``evaluate(model)`` est appelé tous les ``evaluate_every`` pas (et au
    dernier), en mode évaluation et sans gradient, sur les poids courants ; le dictionnaire qu'il rend complète
    l'entrée du pas. Avec ``config.average_last = N > 0``, les poids rendus sont la moyenne des poids obtenus après
    chacun des ``N`` derniers pas (la moyenne de points de contrôle de Vaswani et al., 2017, section 6.1, prise à
    chaque pas). Le modèle est rendu en mode évaluation. L'état global du générateur aléatoire de PyTorch (dropout)
    est fixé par la graine pendant l'entraînement puis restauré.

    Voir : {ref}`ed-seq2seq-entrainement`.
    """
    config = _check_config(config)
    _check_pairs(source, target)
    if isinstance(evaluate_every, bool) or not isinstance(evaluate_every, int) or evaluate_every < 0:
        raise ValueError(f"evaluate_every doit être un entier ≥ 0 : reçu {evaluate_every!r}.")
    if evaluate_every and not callable(evaluate):
        raise ValueError(f"evaluate_every = {evaluate_every} demande une fonction evaluate(model) : reçu "
                         f"{type(evaluate).__name__}.")
    n = source.shape[0]
    optimizer = torch.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    scheduler = make_scheduler(optimizer, config)
    generator = torch.Generator().manual_seed(config.seed)
    order, cursor = torch.randperm(n, generator=generator), 0
    history, seconds = [], 0.0
    parameters = [p for p in model.parameters() if p.requires_grad]
    averaged: list[Tensor] = []  # moyenne courante des poids des derniers pas
    first_averaged = config.steps - config.average_last + 1
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model.train()
        for step in range(1, config.steps + 1):
            start = time.perf_counter()
            if cursor + config.batch_size > n:  # nouvelle époque : nouvel ordre
                order, cursor = torch.randperm(n, generator=generator), 0
            index = order[cursor : cursor + config.batch_size]
            cursor += config.batch_size
            src, tgt = trim(source[index], pad_id), trim(target[index], pad_id)
            loss = seq2seq_loss(model, src, tgt, pad_id, config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            rate = scheduler.get_last_lr()[0]
            optimizer.step()
            scheduler.step()
            if config.average_last and step >= first_averaged:
                with torch.no_grad():
                    if not averaged:
                        averaged = [p.detach().clone() for p in parameters]
                    else:  # moyenne des k premiers : m ← m + (p − m) / k
                        k = step - first_averaged + 1
                        for m, p in zip(averaged, parameters, strict=True):
                            m.lerp_(p, 1.0 / k)
            seconds += time.perf_counter() - start
            history.append({"step": step, "loss": loss.item(), "lr": rate, "seconds": seconds})
            if evaluate_every and (step % evaluate_every == 0 or step == config.steps):
                model.eval()
                with torch.no_grad():
                    history[-1].update(evaluate(model))
                model.train()
    if averaged:
        with torch.no_grad():
            for m, p in zip(averaged, parameters, strict=True):
                p.copy_(m)
    model.eval()
    logger.info("fin de l'entraînement : perte %.4f après %d pas", history[-1]["loss"], config.steps)
    return history


def edit_distance(a: str, b: str) -> int:
    """Distance de Levenshtein entre deux chaînes (insertions, suppressions, substitutions d'un caractère).

    Voir : {ref}`ed-seq2seq-mesures`.
    """
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@torch.no_grad()
def evaluate_exact(model: nn.Module, source: Tensor, target: Tensor, vocab: Vocabulary,
                   decode: Callable = greedy_decode, batch_size: int = 500, max_len: int | None = None) -> dict:
    """Décode chaque source et la compare à sa cible, au mot près et au caractère près.

    ``decode(model, src, bos_id, eos_id, pad_id, max_len)`` renvoie les jetons produits (ou un couple dont ils sont le
    premier élément, comme :func:`~masterclass.models.decoding.beam_search`). Renvoie ``correct`` (tableau NumPy de
    booléens ``(N,)`` : la phrase entière est-elle juste ?), ``exact_match`` (sa moyenne), ``cer`` (taux d'erreur par
    caractère : somme des distances de Levenshtein entre textes produits et attendus, divisée par le nombre de
    caractères attendus), ``predictions`` et ``references`` (les textes).

    Voir : {ref}`ed-seq2seq-mesures`.
    """
    _check_pairs(source, target)
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab doit être un Vocabulary : reçu {type(vocab).__name__}.")
    max_len = target.shape[1] + 4 if max_len is None else max_len
    model.eval()
    predictions = []
    for i in range(0, source.shape[0], batch_size):
        src = trim(source[i : i + batch_size], vocab.pad_id)
        out = decode(model, src, vocab.bos_id, vocab.eos_id, vocab.pad_id, max_len)
        out = out[0] if isinstance(out, tuple) else out  # (B, L)
        predictions += [join_words(vocab.decode(row)) for row in out]
    references = [join_words(vocab.decode(row)) for row in target]
    correct = np.array([p == r for p, r in zip(predictions, references, strict=True)])
    errors = sum(edit_distance(p, r) for p, r, ok in zip(predictions, references, correct, strict=True) if not ok)
    return {"correct": correct, "exact_match": float(correct.mean()),
            "cer": errors / max(1, sum(len(r) for r in references)),
            "predictions": predictions, "references": references}
