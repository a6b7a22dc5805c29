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


def draw_transformer(ax=None):
    """Schéma du Transformer encodeur-décodeur (post-normalisation, comme en 2017), tracé avec matplotlib.

    Colonne de gauche : l'encodeur (plongements et positions, ``N_enc`` couches d'auto-attention et de réseau
    position par position, normalisation finale) ; colonne de droite : le décodeur, dont chaque attention croisée lit
    la mémoire. Renvoie l'axe.

    Voir : {ref}`ed-transformer-schema`.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(8.5, 8.4))
    width = 3.0

    def box(x, y, h, text, color):
        ax.add_patch(FancyBboxPatch((x - width / 2, y - h / 2), width, h, facecolor=color, edgecolor="0.25",
                                    boxstyle="round,pad=0.02,rounding_size=0.08", linewidth=1))
        ax.text(x, y, text, ha="center", va="center", fontsize=9)

    def column(x, blocks, repeat, label, side):
        """Empile les blocs ``(y, hauteur, texte, couleur)`` reliés par des flèches ; ``repeat`` encadre la couche."""
        for (y0, h0, *_), (y1, h1, *_) in zip(blocks, blocks[1:], strict=False):
            ax.annotate("", xy=(x, y1 - h1 / 2), xytext=(x, y0 + h0 / 2),
                        arrowprops=dict(arrowstyle="-|>", color="0.2", lw=1.1))
        for y, h, text, color in blocks:
            box(x, y, h, text, color)
        low, high = repeat
        ax.add_patch(FancyBboxPatch((x - width / 2 - 0.2, low), width + 0.4, high - low, fill=False,
                                    boxstyle="round,pad=0.02", edgecolor="0.4", linestyle="--"))
        offset = -(width / 2 + 0.3) if side == "left" else width / 2 + 0.3
        ax.text(x + offset, (low + high) / 2, label, ha="right" if side == "left" else "left", va="center",
                fontsize=11)

    attention, norm, ffn, embedding, output = "#cfe2f3", "#fff2cc", "#d9ead3", "#ead1dc", "#f4cccc"
    add_norm = "addition + normalisation"
    x_enc, x_dec = 1.8, 6.2
    column(x_enc, [(0.6, 0.5, "jetons source $x_1 \\dots x_S$", "white"),
                   (1.5, 0.6, "$\\sqrt{C}\\,\\times$ plongement + positions", embedding),
                   (2.7, 0.55, "auto-attention multi-tête", attention), (3.45, 0.4, add_norm, norm),
                   (4.2, 0.55, "réseau position par position", ffn), (4.95, 0.4, add_norm, norm),
                   (6.0, 0.45, "normalisation finale", norm)],
           (2.25, 5.25), "$N_{\\mathrm{enc}}\\times$", "left")
    column(x_dec, [(0.6, 0.5, "cible décalée $\\langle bos\\rangle, y_1 \\dots y_{T-1}$", "white"),
                   (1.5, 0.6, "$\\sqrt{C}\\,\\times$ plongement + positions", embedding),
                   (2.5, 0.55, "auto-attention masquée (causale)", attention), (3.2, 0.4, add_norm, norm),
                   (3.95, 0.55, "attention croisée", attention), (4.65, 0.4, add_norm, norm),
                   (5.35, 0.55, "réseau position par position", ffn), (6.05, 0.4, add_norm, norm),
                   (7.0, 0.45, "normalisation finale", norm), (7.8, 0.5, "linéaire liée aux plongements", output),
                   (8.6, 0.45, "softmax : $p(y_t \\mid y_{<t}, x)$", output)],
           (2.05, 6.3), "$\\times N_{\\mathrm{dec}}$", "right")
    ax.annotate("", xy=(x_dec - width / 2, 3.95), xytext=(x_enc + width / 2, 6.0),
                arrowprops=dict(arrowstyle="-|>", color="C3", lw=1.6, connectionstyle="arc3,rad=-0.25"))
    ax.text(4.0, 4.75, "clés et\nvaleurs :\nla mémoire\n$(B, S, C)$", color="C3", ha="center", va="center",
            fontsize=8.5)
    ax.text(x_enc, 6.6, "encodeur", ha="center", fontsize=11, weight="bold")
    ax.text(x_dec, 9.15, "décodeur", ha="center", fontsize=11, weight="bold")
    ax.set_xlim(-0.7, 9.5)
    ax.set_ylim(0.1, 9.4)
    ax.axis("off")
    return ax
