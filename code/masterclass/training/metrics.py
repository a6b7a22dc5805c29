"""Métriques de classification calculées sur toutes les prédictions d'un découpage.

Voir : {ref}`atelier-3-evaluation`.
"""

from __future__ import annotations

import numpy as np
import torch


def classification_metrics(logits: np.ndarray, labels: np.ndarray) -> dict:
    """Exactitude, F1 de la classe positive (1), perte d'entropie croisée moyenne et prédictions.

    Formes : ``logits (N, K)``, ``labels (N,)`` ; les prédictions sont ``argmax`` des logits.
    """
    logits, labels = np.asarray(logits), np.asarray(labels)
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(
            f"Formes attendues : logits (N, K) et labels (N,) ; reçu {logits.shape} et {labels.shape}."
        )
    preds = logits.argmax(axis=1)
    tp = int(((preds == 1) & (labels == 1)).sum())
    fp = int(((preds == 1) & (labels == 0)).sum())
    fn = int(((preds == 0) & (labels == 1)).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    loss = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(labels)).item()
    return {"accuracy": float((preds == labels).mean()), "f1": f1, "loss": loss, "predictions": preds}
