"""Optimiseur et calendrier du taux d'apprentissage des entraînements du livre.

AdamW (Loshchilov et Hutter, 2019) sans décroissance des poids sur les biais et les LayerNorm, et un taux qui croît
linéairement pendant l'échauffement puis décroît linéairement jusqu'à 0 (Devlin et al., 2019).
Pour le Transformer du module 2, le calendrier de Vaswani et al. (2017) : échauffement linéaire puis décroissance en
1/√s (:func:`inverse_sqrt_schedule`).

Voir : {ref}`atelier-3-boucle`.
"""

from __future__ import annotations

import torch


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW avec décroissance des poids sur les matrices seulement (ni biais, ni LayerNorm).

    Seuls les paramètres qui reçoivent un gradient sont confiés à l'optimiseur (les plongements gelés n'y sont pas).
    """
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (no_decay if param.ndim < 2 or "LayerNorm" in name else decay).append(param)
    if not decay and not no_decay:
        raise ValueError("Le modèle n'a aucun paramètre entraînable (requires_grad=True) : rien à optimiser.")
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr)


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
