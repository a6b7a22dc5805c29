"""Calcul et mesures : fils de calcul de PyTorch, temps médian de passes alternées, nombre de paramètres.

Les temps mesurés ici dépendent de la machine et de sa charge : seuls les rapports entre fonctions mesurées
ensemble ont un sens, jamais un temps absolu. Voir : {ref}`m7-distil-vitesse`.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Callable, Mapping

import torch


def alternating_times(calls: Mapping[str, Callable[[], object]], repeats: int = 5,
                      warmup: int = 1) -> dict[str, list[float]]:
    """Durées, en secondes, de ``repeats`` appels de chaque fonction de ``calls``, appelées en alternance.

    Les fonctions passent à tour de rôle après ``warmup`` appels de chauffe chacune, dans un ordre qui s'inverse à
    chaque tour (a, b, puis b, a…) pour ne pas favoriser toujours la seconde (caches chauds) : une variation de
    charge de la machine les touche toutes de la même façon, et le rapport des durées d'un même tour reste juste
    quand les temps absolus dérivent. Sous ``torch.no_grad()`` : on mesure l'inférence.
    """
    if not isinstance(calls, Mapping) or not calls or not all(callable(f) for f in calls.values()):
        raise TypeError(f"calls doit être un dictionnaire non vide nom → fonction sans argument : reçu {calls!r:.80}.")
    for name, value, minimum in (("repeats", repeats, 1), ("warmup", warmup, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ValueError(f"{name} doit être un entier ≥ {minimum} : reçu {value!r}.")
    times: dict[str, list[float]] = {name: [] for name in calls}
    with torch.no_grad():
        for _ in range(warmup):
            for fn in calls.values():
                fn()
        names = list(calls)
        for i in range(repeats):
            for name in names if i % 2 == 0 else names[::-1]:
                fn = calls[name]
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return times


def median_seconds(calls: Mapping[str, Callable[[], object]], repeats: int = 5, warmup: int = 1) -> dict[str, float]:
    """Médiane, en secondes, des durées de :func:`alternating_times` pour chaque fonction de ``calls``."""
    return {name: statistics.median(values) for name, values in alternating_times(calls, repeats, warmup).items()}


def count_parameters(module: torch.nn.Module, trainable_only: bool = False) -> int:
    """Nombre de paramètres de ``module`` (tous, ou seulement ceux qui reçoivent un gradient)."""
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module doit être un torch.nn.Module : reçu {type(module).__name__}.")
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def set_threads_from_env() -> None:
    """Applique ``MASTERCLASS_NUM_THREADS`` (nombre de fils de calcul de PyTorch) s'il est défini.

    Sur une machine partagée et surchargée, deux fils qui s'attendent mutuellement peuvent être dix fois plus
    lents qu'un seul : ``MASTERCLASS_NUM_THREADS=1`` l'évite. Sans la variable, le réglage de PyTorch est gardé.
    """
    value = os.environ.get("MASTERCLASS_NUM_THREADS", "").strip()
    if value:
        if not value.isascii() or not value.isdigit() or int(value) < 1:
            raise ValueError(f"MASTERCLASS_NUM_THREADS doit être un entier ≥ 1 : reçu « {value} ».")
        torch.set_num_threads(int(value))
