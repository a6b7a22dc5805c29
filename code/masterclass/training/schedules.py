"""Calendriers du taux d'apprentissage, écrits comme des fonctions du pas qui renvoient un facteur multiplicatif.

Chaque constructeur renvoie une fonction ``factor(step) -> float`` à passer à
``torch.optim.lr_scheduler.LambdaLR(optimizer, factor)`` : le taux du pas ``step`` vaut ``lr · factor(step)``, où
``lr`` est le taux de base de l'optimiseur. Convention de ``LambdaLR`` : ``step`` compte les appels à
``scheduler.step()`` déjà faits, il vaut donc 0 pendant le premier pas de l'optimiseur.

- :func:`constant_with_warmup` : montée linéaire de 0 à 1 en ``w`` pas, puis 1 ;
- :func:`inverse_sqrt` : Vaswani et al. (2017, section 5.3), montée linéaire puis décroissance en 1/√s ;
- :func:`linear_warmup_decay` : montée linéaire puis descente linéaire jusqu'à 0 au pas ``S`` (Devlin et al., 2019) ;
- :func:`cosine` : montée linéaire puis demi-cosinus de 1 à ``min_ratio`` (Loshchilov et Hutter, 2017).

Les trois calendriers à échauffement suivent la convention de ``transformers`` (``get_*_schedule_with_warmup``) :
facteur ``step / w`` pendant l'échauffement, donc 0 au tout premier pas.

Voir : {ref}`opt-dynamique`.
"""

from __future__ import annotations

import math
from typing import Callable

Schedule = Callable[[int], float]


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} doit être un entier ≥ {minimum} : reçu {value!r}.")


def _check_steps(warmup_steps, total_steps) -> None:
    _check_int("warmup_steps", warmup_steps, 0)
    _check_int("total_steps", total_steps, 1)
    if warmup_steps > total_steps:
        raise ValueError(
            f"Il faut warmup_steps ≤ total_steps : reçu warmup_steps={warmup_steps}, total_steps={total_steps}."
        )


def _check_step(step) -> None:
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"Le pas doit être un entier ≥ 0 (compté comme LambdaLR, à partir de 0) : reçu {step!r}.")


def _warmup(step: int, warmup_steps: int) -> float:
    """Facteur d'échauffement ``s / w`` (1 si ``w = 0``)."""
    return step / max(1, warmup_steps)


def constant_with_warmup(warmup_steps: int) -> Schedule:
    """Facteur ``s / w`` pendant ``w`` pas, puis 1 : échauffement linéaire vers un taux constant.

    Voir : {ref}`opt-dynamique`.
    """
    _check_int("warmup_steps", warmup_steps, 0)

    def factor(step: int) -> float:
        _check_step(step)
        return _warmup(step, warmup_steps) if step < warmup_steps else 1.0

    return factor


def inverse_sqrt(d_model: int, warmup_steps: int) -> Schedule:
    """Calendrier de Vaswani et al. (2017) : ``d^(−1/2) · min(s^(−1/2), s · w^(−3/2))`` avec ``s = step + 1``.

    Le facteur croît linéairement jusqu'au pas ``s = w``, où il culmine à ``(d · w)^(−1/2)``, puis décroît en
    ``1/√s``. Le pas ``s`` de l'article compte à partir de 1 (la formule vaudrait 0 puis ∞ en ``s = 0``) ; ``LambdaLR``
    compte à partir de 0, d'où ``s = step + 1``. Le facteur contient déjà l'échelle ``d^(−1/2)`` : avec un
    optimiseur de taux de base ``lr = 1``, il donne le taux de l'article lui-même.

    Voir : {ref}`opt-dynamique`.
    """
    _check_int("d_model", d_model, 1)
    _check_int("warmup_steps", warmup_steps, 1)

    def factor(step: int) -> float:
        _check_step(step)
        s = step + 1
        return d_model**-0.5 * min(s**-0.5, s * warmup_steps**-1.5)

    return factor


def linear_warmup_decay(warmup_steps: int, total_steps: int) -> Schedule:
    """Facteur ``s / w`` pendant l'échauffement, puis ``(S − s) / (S − w)`` jusqu'à 0 au pas ``S``, puis 0.

    Voir : {ref}`opt-dynamique`.
    """
    _check_steps(warmup_steps, total_steps)

    def factor(step: int) -> float:
        _check_step(step)
        if step < warmup_steps:
            return _warmup(step, warmup_steps)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return factor


def cosine(warmup_steps: int, total_steps: int, min_ratio: float = 0.0) -> Schedule:
    """Échauffement linéaire, puis ``r + (1 − r) · (1 + cos(π p)) / 2`` avec ``p = (s − w) / (S − w)``.

    ``r = min_ratio`` est le facteur final (atteint au pas ``S`` et conservé ensuite) : le taux descend de ``lr`` à
    ``r · lr`` le long d'un demi-cosinus (Loshchilov et Hutter, 2017, sans redémarrage).

    Voir : {ref}`opt-dynamique`.
    """
    _check_steps(warmup_steps, total_steps)
    if isinstance(min_ratio, bool) or not isinstance(min_ratio, (int, float)) or not 0.0 <= min_ratio <= 1.0:
        raise ValueError(f"min_ratio doit être un réel de [0, 1] : reçu {min_ratio!r}.")

    def factor(step: int) -> float:
        _check_step(step)
        if step < warmup_steps:
            return _warmup(step, warmup_steps)
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor
