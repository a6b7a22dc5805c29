"""Entraîner et évaluer les classifieurs de séquences sur les tâches synthétiques, graine par graine.

Chaque entraînement passe par la boucle générique du livre (:func:`masterclass.training.loop.train` : Adam sans
décroissance des poids, échauffement puis décroissance linéaire du taux, écrêtage de la norme du gradient) sur des
données fraîches (``steps × batch_size`` séquences tirées avec la graine), puis le modèle est évalué sur un jeu de
test commun à tous les modèles (graine fixe :data:`TEST_SEED`), ce qui permet de les comparer exemple par exemple.

Les expériences entraînent des dizaines de petits modèles indépendants : :func:`run_jobs` peut les répartir sur
plusieurs processus (un fil de calcul chacun ; le résultat ne dépend pas du nombre de processus), et
:func:`cached_runs` range leurs résultats (des nombres, pas des poids) avec :mod:`masterclass.utils.result_cache`.

Voir : {ref}`seq-limites-distance`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from masterclass.data.synthetic import SequenceTask, copy_task, recall_first
from masterclass.models.sequence import AttentionClassifier, RecurrentClassifier
from masterclass.training import loop
from masterclass.training.loop import LoopConfig
from masterclass.utils.result_cache import cached_json

logger = logging.getLogger(__name__)

TEST_SEED = 1_000_003  # graine du jeu de test, distincte des graines d'entraînement
KINDS = ("rnn", "lstm", "gru", "attention")


@dataclass(frozen=True)
class TrainConfig:
    """Réglages d'un entraînement sur une tâche synthétique.

    Voir : {ref}`seq-limites-distance`.
    """

    steps: int = 300  # pas d'optimisation (un lot frais par pas, une seule époque)
    batch_size: int = 64  # séquences par lot
    lr: float = 1e-2  # taux d'apprentissage maximal d'Adam
    warmup_ratio: float = 0.05  # fraction des pas consacrée à l'échauffement linéaire
    max_grad_norm: float = 1.0  # écrêtage de la norme du gradient
    test_size: int = 1000  # séquences du jeu de test commun


def _config(config) -> TrainConfig:
    if config is None:
        return TrainConfig()
    if isinstance(config, dict):
        return TrainConfig(**config)
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config doit être un TrainConfig ou un dictionnaire : reçu {type(config).__name__}.")
    return config


def build_model(kind: str, task: SequenceTask, width: int, num_heads: int = 1) -> nn.Module:
    """Classifieur ``kind`` (``"rnn"``, ``"lstm"``, ``"gru"`` ou ``"attention"``) de largeur ``width`` pour ``task``.

    Les modèles récurrents ont des plongements de largeur ``width`` et un état de taille ``H = width`` ; le modèle
    d'attention a ``C = width``, des positions sinusoïdales et ``num_heads`` têtes.

    Voir : {ref}`seq-limites-distance`.
    """
    if kind not in KINDS:
        raise ValueError(f"kind doit valoir l'un de {KINDS} : reçu {kind!r}.")
    n_out = task.targets.shape[1]
    if kind == "attention":
        return AttentionClassifier(task.vocab_size, task.num_classes, width, num_heads=num_heads,
                                   max_len=task.tokens.shape[1], num_outputs=n_out)
    return RecurrentClassifier(task.vocab_size, task.num_classes, width, cell=kind, num_outputs=n_out)


def sequence_loss(model: nn.Module, batch: dict) -> torch.Tensor:
    """Entropie croisée moyenne sur toutes les cibles du lot : logits ``(B, n, K)``, cibles ``(B, n)``.

    Voir : {ref}`seq-limites-distance`.
    """
    logits = model(batch["tokens"])  # (B, n, K)
    return F.cross_entropy(logits.flatten(0, 1), batch["targets"].flatten())  # (B·n, K) contre (B·n,)


def train_on_task(model: nn.Module, task: SequenceTask, config: TrainConfig | None = None) -> list[dict]:
    """Entraîne ``model`` sur les ``steps × batch_size`` premières séquences de ``task`` ; renvoie l'historique.

    Voir : {ref}`seq-limites-distance`.
    """
    config = _config(config)
    needed = config.steps * config.batch_size
    if len(task) < needed:
        raise ValueError(f"task doit contenir steps × batch_size = {needed} séquences : reçu {len(task)}.")
    parts = (task.subset(i, i + config.batch_size) for i in range(0, needed, config.batch_size))
    batches = [{"tokens": part.tokens, "targets": part.targets} for part in parts]
    loop_config = LoopConfig(epochs=1, lr=config.lr, weight_decay=0.0, warmup_ratio=config.warmup_ratio,
                             max_grad_norm=config.max_grad_norm)
    return loop.train(model, batches, sequence_loss, loop_config)


@torch.no_grad()
def evaluate_on_task(model: nn.Module, task: SequenceTask, batch_size: int = 500) -> dict:
    """Exactitude et entropie croisée de ``model`` sur ``task``, pour chaque cible.

    Renvoie ``correct`` (booléens ``(N, n)``), ``accuracy`` (moyenne sur tout) et ``cross_entropy`` (``(n,)``, en
    nats, moyenne sur les séquences de l'entropie croisée de chaque cible).

    Voir : {ref}`seq-limites-memoire`.
    """
    model.eval()
    logits = torch.cat([model(task.tokens[i : i + batch_size]) for i in range(0, len(task), batch_size)])  # (N, n, K)
    correct = logits.argmax(-1) == task.targets  # (N, n)
    nll = F.cross_entropy(logits.transpose(1, 2), task.targets, reduction="none")  # (N, n)
    return {"correct": correct, "accuracy": int(correct.sum()) / correct.numel(), "cross_entropy": nll.mean(0)}


def fit_and_score(kind: str, train: SequenceTask, test: SequenceTask, width: int, config: TrainConfig | None = None,
                  seed: int = 0) -> dict:
    """Un modèle initialisé avec ``seed``, entraîné sur ``train``, évalué sur ``test`` : ses résultats en nombres.

    Clés : ``kind``, ``width``, ``seed``, ``accuracy``, ``position_accuracy`` et ``cross_entropy`` (une valeur par
    cible), ``correct`` (chaîne de ``"1"``/``"0"`` : la séquence de test a-t-elle toutes ses cibles justes ?) et
    ``train_loss`` (perte moyenne de l'entraînement), ``seconds`` (durée de l'entraînement, la seule valeur qui
    varie d'une exécution à l'autre).

    Voir : {ref}`seq-limites-distance`.
    """
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = build_model(kind, train, width)
    history = train_on_task(model, train, config)
    seconds = time.perf_counter() - start
    scores = evaluate_on_task(model, test)
    correct = scores["correct"]
    return {"kind": kind, "width": width, "seed": seed, "accuracy": scores["accuracy"],
            "position_accuracy": correct.float().mean(0).tolist(), "cross_entropy": scores["cross_entropy"].tolist(),
            "correct": "".join("1" if c else "0" for c in correct.all(dim=1).tolist()),
            "train_loss": history[-1]["train_loss"], "seconds": seconds}


def _task_job(make_task: Callable[..., SequenceTask], field: str, value: int, kind: str, seed: int, width: int,
              num_symbols: int, config) -> dict:
    """Un modèle ``kind`` entraîné sur ``make_task(…, value, …)`` (graine ``seed``), évalué sur le test commun."""
    config = _config(config)
    train = make_task(config.steps * config.batch_size, value, num_symbols, seed=seed)
    test = make_task(config.test_size, value, num_symbols, seed=TEST_SEED)
    return {field: value} | fit_and_score(kind, train, test, width, config, seed)


def distance_job(kind: str, gap: int, seed: int, width: int, num_symbols: int, config) -> dict:
    """Rappel du premier symbole à l'écart ``gap`` (:func:`~masterclass.data.synthetic.recall_first`) : un modèle.

    Voir : {ref}`seq-limites-distance`.
    """
    return _task_job(recall_first, "gap", gap, kind, seed, width, num_symbols, config)


def memory_job(kind: str, length: int, seed: int, width: int, num_symbols: int, config) -> dict:
    """Copie de ``length`` symboles depuis l'état final (:func:`~masterclass.data.synthetic.copy_task`) : un modèle.

    Voir : {ref}`seq-limites-memoire`.
    """
    return _task_job(copy_task, "length", length, kind, seed, width, num_symbols, config)


def _start_worker() -> None:
    torch.set_num_threads(1)  # deux fils par processus sur deux cœurs partagés s'attendraient l'un l'autre


def _call(job: tuple[Callable[..., dict], dict]) -> dict:
    function, kwargs = job
    return function(**kwargs)


def run_jobs(function: Callable[..., dict], jobs: list[dict], workers: int = 1) -> list[dict]:
    """``[function(**job) for job in jobs]``, dans l'ordre, réparti sur ``workers`` processus si ``workers > 1``.

    Les processus auxiliaires sont lancés par ``spawn``, sans barre de progression, et calculent avec un seul fil ;
    chaque tâche fixe sa graine, si bien que le résultat est le même qu'en un seul processus à un fil.

    Voir : {ref}`seq-limites-distance`.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers doit être un entier ≥ 1 : reçu {workers!r}.")
    if workers == 1 or len(jobs) < 2:
        return [function(**job) for job in jobs]
    context = multiprocessing.get_context("spawn")
    previous = os.environ.get("TQDM_DISABLE")
    # Hérité par les processus auxiliaires à leur création : tqdm lit la variable quand il est importé (avec torch).
    os.environ["TQDM_DISABLE"] = "1"
    try:
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context, initializer=_start_worker) as pool:
            return list(pool.map(_call, [(function, job) for job in jobs]))
    finally:
        if previous is None:
            del os.environ["TQDM_DISABLE"]
        else:
            os.environ["TQDM_DISABLE"] = previous


def distance_runs(gaps, kinds=KINDS, seeds=(0, 1, 2), width: int = 32, num_symbols: int = 8, config=None,
                  workers: int = 1) -> list[dict]:
    """Tous les modèles de l'expérience de distance : un par (écart, graine, type), dans cet ordre.

    Voir : {ref}`seq-limites-distance`.
    """
    config = asdict(_config(config))
    jobs = [dict(kind=kind, gap=gap, seed=seed, width=width, num_symbols=num_symbols, config=config)
            for gap in gaps for seed in seeds for kind in kinds]
    return run_jobs(distance_job, jobs, workers)


def memory_runs(hidden_sizes, lengths, seeds=(0, 1, 2), cell: str = "gru", num_symbols: int = 8, config=None,
                workers: int = 1) -> list[dict]:
    """Tous les modèles de l'expérience de mémoire : un par (longueur, graine, taille d'état), dans cet ordre.

    Voir : {ref}`seq-limites-memoire`.
    """
    config = asdict(_config(config))
    jobs = [dict(kind=cell, length=length, seed=seed, width=hidden, num_symbols=num_symbols, config=config)
            for length in lengths for seed in seeds for hidden in hidden_sizes]
    return run_jobs(memory_job, jobs, workers)


#: Module dont le code source décide des nombres produits : lui et tout ce qu'il importe du paquet (tâches,
#: modèles, couches, boucle, optimiseur) entrent dans la clé du cache.
SOURCES = (sys.modules[__name__],)


def cached_runs(name: str, settings: dict, compute: Callable[..., list[dict]]) -> list[dict]:
    """Résultats de ``compute(**settings)`` relus du cache ``$MASTERCLASS_CACHE/sequences`` ou calculés puis écrits.

    La clé dépend de ``name``, de ``settings``, de PyTorch et du code des :data:`SOURCES`.

    Voir : {ref}`seq-limites-distance`.
    """
    return cached_json(name, settings, compute, SOURCES, namespace="sequences")
