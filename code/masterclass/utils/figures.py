"""Tracés communs à plusieurs chapitres : cartes d'attention avec les jetons.

Voir : {ref}`att-intuition`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def plot_attention(
    weights,
    query_tokens: Sequence[str],
    key_tokens: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
    colorbar: bool = True,
):
    """Trace une carte d'attention ``(T, S)`` avec les jetons en ordonnée (requêtes) et en abscisse (clés).

    ``weights`` est un tableau NumPy ou un tenseur PyTorch de forme ``(T, S)`` ; la ligne ``i`` donne la
    distribution d'attention de la requête ``i`` sur les clés. Renvoie l'axe matplotlib.
    """
    import matplotlib.pyplot as plt

    w = weights.detach().cpu().numpy() if hasattr(weights, "detach") else np.asarray(weights)
    key_tokens = list(query_tokens) if key_tokens is None else list(key_tokens)
    if w.ndim != 2:
        raise ValueError(f"weights doit être une matrice (T, S) : reçu la forme {tuple(w.shape)}.")
    if w.shape != (len(query_tokens), len(key_tokens)):
        raise ValueError(
            "La forme des poids doit correspondre aux jetons : "
            f"poids {tuple(w.shape)}, jetons ({len(query_tokens)}, {len(key_tokens)})."
        )
    if ax is None:
        size = max(3.0, 0.38 * max(w.shape) + 1.5)
        _, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(w, cmap="viridis", vmin=0.0, vmax=max(float(w.max()), 1e-12), aspect="auto")
    ax.set_xticks(range(len(key_tokens)), key_tokens, rotation=90)
    ax.set_yticks(range(len(query_tokens)), query_tokens)
    ax.set_xlabel("clés (jetons regardés)")
    ax.set_ylabel("requêtes (jetons qui regardent)")
    ax.grid(False)
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="poids d'attention")
    return ax
