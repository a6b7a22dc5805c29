"""Optimiseur et calendrier du taux d'apprentissage des entraînements du livre.

AdamW (Loshchilov et Hutter, 2019) sans décroissance des poids sur les biais et les LayerNorm, et un taux qui croît
linéairement pendant l'échauffement puis décroît linéairement jusqu'à 0 (Devlin et al., 2019).
Pour le Transformer du module 2, le calendrier de Vaswani et al. (2017) : échauffement linéaire puis décroissance en
1/√s (:func:`inverse_sqrt_schedule`).

Voir : {ref}`atelier-3-boucle`.
"""

from __future__ import annotations

from typing import Callable

import torch

from masterclass.training import schedules

#: Calendriers acceptés par :func:`make_scheduler` (et par ``LoopConfig.schedule``).
SCHEDULES = ("linear", "cosine", "constant")


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float,
                   lr_scale: Callable[[str], float] | None = None) -> torch.optim.AdamW:
    """AdamW avec décroissance des poids sur les matrices seulement (ni biais, ni LayerNorm).

    Seuls les paramètres qui reçoivent un gradient sont confiés à l'optimiseur (les plongements gelés n'y sont pas).
    ``lr_scale(nom) -> facteur`` donne, si on la fournit, un taux propre à chaque paramètre : ``lr · facteur``
    (décroissance du taux par couche, par exemple) ; les paramètres de même facteur partagent un groupe.
    """
    groups: dict[tuple[float, bool], list[torch.nn.Parameter]] = {}
    for name, param in model.named_parameters():
        if param.requires_grad:
            scale = 1.0 if lr_scale is None else float(lr_scale(name))
            groups.setdefault((scale, param.ndim < 2 or "LayerNorm" in name), []).append(param)
    if not groups:
        raise ValueError("Le modèle n'a aucun paramètre entraînable (requires_grad=True) : rien à optimiser.")
    if lr_scale is None:  # les deux groupes habituels, dans cet ordre, même vides
        groups = {(1.0, False): groups.get((1.0, False), []), (1.0, True): groups.get((1.0, True), [])}
    return torch.optim.AdamW([{"params": params, "lr": lr * scale, "weight_decay": 0.0 if no_decay else weight_decay}
                              for (scale, no_decay), params in groups.items()], lr=lr)


def make_scheduler(optimizer: torch.optim.Optimizer, name: str, warmup_steps: int, total_steps: int):
    """Calendrier ``name`` de :data:`SCHEDULES` avec échauffement linéaire de ``warmup_steps`` pas sur ``total_steps``.

    ``"linear"`` : :func:`linear_warmup_decay` ; ``"cosine"`` : demi-cosinus jusqu'à 0
    (:func:`masterclass.training.schedules.cosine`) ; ``"constant"`` : taux constant après l'échauffement.
    """
    if name not in SCHEDULES:
        raise ValueError(f"Calendrier inconnu : {name!r} (attendus : {', '.join(SCHEDULES)}).")
    if name == "linear":
        return linear_warmup_decay(optimizer, warmup_steps, total_steps)
    if name == "cosine":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, schedules.cosine(warmup_steps, total_steps))
    if total_steps <= 0 or not 0 <= warmup_steps <= total_steps:
        raise ValueError(
            f"Il faut 0 ≤ warmup_steps ≤ total_steps et total_steps > 0 : reçu {warmup_steps}, {total_steps}."
        )
    return torch.optim.lr_scheduler.LambdaLR(optimizer, schedules.constant_with_warmup(warmup_steps))


def linear_warmup_decay(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int):
    """Calendrier : facteur ``s / w`` pendant l'échauffement, puis ``(S - s) / (S - w)`` jusqu'à 0.

    Même calendrier que ``transformers.get_linear_schedule_with_warmup``.
    """
    if total_steps <= 0 or not 0 <= warmup_steps <= total_steps:
        raise ValueError(
            f"Il faut 0 ≤ warmup_steps ≤ total_steps et total_steps > 0 : reçu {warmup_steps}, {total_steps}."
        )

    def factor(step: int) -> float:
        if step < warmup_steps:
            return step / max(1, warmup_steps)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def inverse_sqrt_schedule(optimizer: torch.optim.Optimizer, d_model: int, warmup_steps: int, scale: float = 1.0):
    """Calendrier de Vaswani et al. (2017, section 5.3) : ``η(s) = scale · d^(−1/2) · min(s^(−1/2), s · w^(−3/2))``.

    Le taux croît linéairement pendant ``w`` pas, culmine à ``scale · (d · w)^(−1/2)`` au pas ``w``, puis décroît en
    ``1/√s``. Le pas ``s`` compte à partir de 1. À utiliser avec un optimiseur de taux de base 1 (``lr=1.0``) : le
    calendrier donne le taux lui-même, pas un facteur.

    Voir : {ref}`ed-seq2seq-entrainement`.
    """
    for name, value in (("d_model", d_model), ("warmup_steps", warmup_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} doit être un entier ≥ 1 : reçu {value!r}.")
    if not scale > 0:
        raise ValueError(f"scale doit être > 0 : reçu {scale!r}.")

    def rate(step: int) -> float:
        s = step + 1  # LambdaLR commence au pas 0
        return scale * d_model**-0.5 * min(s**-0.5, s * warmup_steps**-1.5)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
