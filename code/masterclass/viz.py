"""Réglages des figures du livre et tracés partagés entre les chapitres.

Les figures sont rendues en SVG (nettes à tout zoom) avec des libellés en français.
Voir : « Guide d'utilisation » et « Notations ».
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def configure_notebook(svg: bool = True) -> None:
    """Règle matplotlib pour les pages du livre : SVG, taille et police lisibles, graine fixe des hachures.

    À appeler dans la première cellule (masquée) d'une page exécutée.
    """
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "svg.hashsalt": "masterclass",  # identifiants SVG reproductibles d'une construction à l'autre
            "svg.fonttype": "path",
        }
    )
    if svg:
        try:
            from matplotlib_inline.backend_inline import set_matplotlib_formats
        except ImportError:  # hors d'IPython : rien à régler
            return
        set_matplotlib_formats("svg")


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


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fr_number(x, fmt=".2f") -> str:
    """Écrit un nombre à la française : virgule décimale, espace fine insécable entre milliers, puissances de 10.

    ``fmt`` est une spécification de ``format`` (``".3f"``, ``".1e"``, ``",d"``…) ou un entier (nombre de
    décimales). Exemples : ``fr_number(0.5312, ".2f") == "0,53"`` ; ``fr_number(2.4e-6, ".1e") == "2,4 × 10⁻⁶"`` ;
    ``fr_number(109482240, ",d") == "109 482 240"``.
    """
    if isinstance(fmt, int) and not isinstance(fmt, bool):
        fmt = f".{fmt}f"
    text = format(x, fmt)
    if "e" in text and float(x) == 0.0:  # « 0,0 × 10⁰ » n'aide personne : un écart nul s'écrit 0
        return "0"
    if "e" in text and not text.lower().startswith(("inf", "nan")):
        mantissa, exponent = text.split("e")
        return f"{mantissa.replace('.', ',')} × 10{str(int(exponent)).translate(_SUPERSCRIPTS)}"
    return text.replace(",", "\u202f").replace(".", ",")


def fr(x, fmt=".2f"):
    """Nombre à la française (:func:`fr_number`) prêt pour ``glue`` et le rôle ``{glue:md}`` dans la prose."""
    from IPython.display import Markdown

    return Markdown(fr_number(x, fmt))
