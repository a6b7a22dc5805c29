"""La boucle d'entraînement générique du livre : entraîner, évaluer, prédire, la perte étant injectée.

Chaque modèle du livre s'entraîne avec la même boucle : seule change la fonction ``loss_fn(model, batch) -> perte``
(entropie croisée d'un classifieur, perte de distillation, perte d'un modèle de langue…) et, pour la validation,
la fonction ``evaluate_fn(model, loader) -> métriques``. À chaque pas : rétropropagation, écrêtage de la norme du
gradient, pas d'AdamW, pas du calendrier ; à chaque époque : validation, et l'on garde les poids de la meilleure
époque (arrêt précoce après ``patience`` époques sans progrès).

Voir : {ref}`atelier-3-boucle`.
"""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from masterclass.training.optim import make_optimizer, make_scheduler

logger = logging.getLogger(__name__)


@dataclass
class LoopConfig:
    """Hyperparamètres de la boucle d'entraînement (optimiseur, calendrier, arrêt précoce)."""

    epochs: int = 3  # nombre maximal d'époques (l'arrêt précoce peut s'arrêter avant)
    lr: float = 1e-4  # taux d'apprentissage maximal (atteint à la fin de l'échauffement)
    weight_decay: float = 0.01  # décroissance des poids d'AdamW (ni biais ni LayerNorm)
    warmup_ratio: float = 0.1  # fraction des pas consacrée à l'échauffement linéaire
    patience: int = 2  # époques sans progrès de la validation avant l'arrêt précoce
    max_grad_norm: float = 1.0  # écrêtage de la norme du gradient, avant chaque pas
    schedule: str = "linear"  # calendrier après l'échauffement : "linear", "cosine" ou "constant"


def train(
    model: torch.nn.Module,
    train_loader,
    loss_fn: Callable[[torch.nn.Module, dict], torch.Tensor],
    config: LoopConfig,
    val_loader=None,
    evaluate_fn: Callable[[torch.nn.Module, object], dict] | None = None,
    monitor: str = "accuracy",
    maximize: bool = True,
    optimizer: torch.optim.Optimizer | None = None,
) -> list[dict]:
    """Entraîne ``model`` ; avec une validation, charge à la fin les poids de la meilleure époque.

    ``loss_fn(model, batch)`` renvoie la perte (scalaire) d'un lot. Si ``val_loader`` est donné,
    ``evaluate_fn(model, val_loader)`` renvoie un dictionnaire de métriques après chaque époque ; ``monitor`` nomme
    celle qui décide de la meilleure époque (la plus grande si ``maximize``, sinon la plus petite). Renvoie
    l'historique : une entrée par époque (perte d'entraînement moyenne, métriques de validation préfixées par
    ``val_``, taux d'apprentissage). Le modèle est rendu en mode évaluation. ``optimizer`` remplace l'AdamW par défaut
    (:func:`make_optimizer` avec ``config.lr`` et ``config.weight_decay``) ; le calendrier ``config.schedule`` s'y
    applique de la même façon.
    """
    from tqdm.auto import tqdm

    if config.epochs < 1 or len(train_loader) < 1:
        raise ValueError(f"Il faut au moins une époque et un lot : reçu epochs={config.epochs}, "
                         f"{len(train_loader)} lot(s).")
    if val_loader is not None and evaluate_fn is None:
        raise ValueError("val_loader est donné sans evaluate_fn : impossible de mesurer la validation.")
    if optimizer is None:
        optimizer = make_optimizer(model, config.lr, config.weight_decay)
    total = config.epochs * len(train_loader)
    scheduler = make_scheduler(optimizer, config.schedule, int(config.warmup_ratio * total), total)
    sign = 1.0 if maximize else -1.0
    history, best, best_state, stale = [], -math.inf, None, 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        losses = []
        bar = tqdm(train_loader, desc=f"époque {epoch}/{config.epochs}", leave=False)
        for batch in bar:
            loss = loss_fn(model, batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            bar.set_postfix(perte=f"{losses[-1]:.3f}")
        row = {"epoch": epoch, "train_loss": float(np.mean(losses))}
        if val_loader is not None:
            metrics = evaluate_fn(model, val_loader)
            if monitor not in metrics:
                raise KeyError(f"La métrique surveillée « {monitor} » manque parmi {sorted(metrics)}.")
            row |= {f"val_{name}": value for name, value in metrics.items() if np.ndim(value) == 0}
        row["lr"] = scheduler.get_last_lr()[0]
        history.append(row)
        logger.info("époque %d : %s", epoch, {k: round(v, 4) for k, v in row.items() if k != "epoch"})
        if val_loader is None:
            continue
        score = sign * metrics[monitor]
        if score > best:
            best, best_state, stale = score, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if stale >= config.patience:
                logger.info("arrêt précoce après l'époque %d", epoch)
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


@torch.inference_mode()
def predict(model: torch.nn.Module, loader, forward_fn: Callable) -> tuple[np.ndarray, ...]:
    """Sorties de ``forward_fn(model, batch)`` (un tenseur ou un tuple de tenseurs) sur tout ``loader``.

    Modèle en mode évaluation, sans gradient (``torch.inference_mode``). Les sorties sont concaténées lot après lot
    puis remises dans l'ordre des exemples du jeu de données : si l'échantillonneur de lots a un attribut ``order``
    (lots triés par longueur, :class:`masterclass.training.batching.SortedBatches`), la sortie en position ``p``
    revient à l'exemple ``order[p]``. Renvoie un tuple de tableaux NumPy, un par sortie.
    """
    model.eval()
    parts: list[tuple[torch.Tensor, ...]] = []
    for batch in loader:
        out = forward_fn(model, batch)
        parts.append(out if isinstance(out, tuple) else (out,))
    if not parts:
        raise ValueError("Le chargeur ne contient aucun lot : rien à prédire.")
    arrays = tuple(torch.cat(column).numpy() for column in zip(*parts, strict=True))
    order = getattr(getattr(loader, "batch_sampler", None), "order", None)
    if order is not None:
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        arrays = tuple(a[inverse] for a in arrays)
    return arrays


def evaluate(model: torch.nn.Module, loader, forward_fn: Callable, metrics_fn: Callable[..., dict]) -> dict:
    """Métriques ``metrics_fn(*sorties)`` des sorties de :func:`predict` sur tout ``loader``."""
    return metrics_fn(*predict(model, loader, forward_fn))
