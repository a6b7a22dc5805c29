"""Réglages des pages exécutées du livre et nombres écrits à la française.

Les figures sont rendues en SVG (nettes à tout zoom) ; les nombres cités dans la prose passent par :func:`fr`
(virgule décimale, espace fine entre milliers, puissances de dix en exposant).
Voir : {ref}`guide` et {ref}`notation`.
"""

from __future__ import annotations


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
