"""Le Hub Hugging Face vu d'ici : mode hors ligne, et distinguer un chemin local d'un nom du Hub.

Le livre s'exécute sans réseau ; un lecteur connecté peut passer un nom du Hub (modèle ou jeu de données).
Voir : {ref}`guide-modele`.
"""

from __future__ import annotations

import os

_OFFLINE_VALUES = {"1", "true", "yes", "on"}


def hub_offline() -> bool:
    """Indique si l'accès au Hub Hugging Face est désactivé (variable ``HF_HUB_OFFLINE``)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _OFFLINE_VALUES


def looks_like_path(name: str) -> bool:
    """Vrai si ``name`` désigne un chemin local plutôt qu'un nom du Hub.

    Un nom du Hub s'écrit ``nom`` ou ``organisation/nom`` ; un nom qui commence par ``.``, ``/`` ou ``~``, qui
    contient une barre oblique inverse ou plus d'une barre oblique est un chemin.
    """
    if not isinstance(name, str):
        raise TypeError(f"name doit être une chaîne : reçu {type(name).__name__}.")
    return name.startswith((".", "/", "~")) or "\\" in name or name.count("/") > 1
