"""Cache des modèles entraînés par les pages : l'atelier 3 et la page de distillation partagent un seul entraînement.

La clé du cache est l'empreinte SHA-256 de la configuration, des fichiers du corpus, de la configuration et des
poids du modèle de départ, et du code source de **chaque module du paquet** dont dépend l'entraînement : le module
qui entraîne et tous ceux qu'il importe, de proche en proche (lots, boucle, chargement des données, modèle
pré-entraîné…), trouvés par lecture de leurs ``import``. Si l'un change, la clé change et le modèle est
réentraîné. Le répertoire du cache est ``$MASTERCLASS_CACHE`` s'il est défini, sinon ``~/.cache/masterclass``. La
première page qui a besoin d'un modèle l'entraîne et l'écrit (écriture atomique) ; les suivantes le relisent.

Voir : {ref}`atelier-3-boucle`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path

from masterclass.data.corpus import LANGUAGES, SOURCES_DIR
from masterclass.finetune import classifier as _classifier
from masterclass.finetune import distill as _distill
from masterclass.finetune.classifier import SHIPPED_CORPORA, FinetuneConfig, finetune, run_summary
from masterclass.finetune.storage import SUMMARY_FILE, save_atomically
from masterclass.models.pretrained import resolve_model
from masterclass.utils.result_cache import PACKAGE, cache_root, source_files

logger = logging.getLogger(__name__)


def _hash_file(digest, path: Path, label: str | None = None) -> None:
    digest.update((label or path.name).encode())
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)


def _hash_sources(digest, module: str) -> None:
    root = Path(importlib.util.find_spec(PACKAGE).origin).parent
    for path in source_files(module):
        _hash_file(digest, path, path.resolve().relative_to(root.resolve()).as_posix())


def cache_key(config: FinetuneConfig) -> str:
    """Empreinte (16 caractères hexadécimaux) de la configuration, des données, du modèle et du code."""
    if config.data not in SHIPPED_CORPORA and not Path(config.data).is_dir():
        raise ValueError(f"Le cache n'accepte que des données locales : reçu « {config.data} ».")
    digest = hashlib.sha256(json.dumps(asdict(config), sort_keys=True, default=str).encode())
    if config.data in SHIPPED_CORPORA:  # les découpages viennent des sources françaises, le texte de sa langue
        data_dirs = sorted({SOURCES_DIR, LANGUAGES[SHIPPED_CORPORA[config.data]]})
    else:
        data_dirs = [Path(config.data)]
    for data_dir in data_dirs:
        for path in sorted(data_dir.glob("*.jsonl")):
            _hash_file(digest, path, path.relative_to(data_dir.parent).as_posix())
    model_dir = resolve_model(config.model)
    for name in ("config.json", "model.safetensors"):
        if (model_dir / name).is_file():
            _hash_file(digest, model_dir / name)
    _hash_sources(digest, _classifier.__name__)
    return digest.hexdigest()[:16]


def _get_or_build(target: Path, build) -> Path:
    """Renvoie ``target`` s'il est complet, sinon appelle ``build() -> (modèle, tokenizer, résumé)`` et l'écrit."""
    if (target / SUMMARY_FILE).is_file():
        logger.info("modèle trouvé dans le cache : %s", target)
        return target
    logger.info("modèle absent du cache : entraînement (%s)", target)
    model, tokenizer, summary = build()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        save_atomically(model, tokenizer, target, extra=summary)
    except OSError:
        if not (target / SUMMARY_FILE).is_file():  # sinon : un autre processus l'a écrit entre-temps
            raise
    return target


def cached_finetune(config: FinetuneConfig | None = None, cache_dir: str | os.PathLike | None = None) -> Path:
    """Renvoie le répertoire du modèle affiné selon ``config`` ; l'entraîne d'abord s'il n'est pas en cache.

    Le répertoire est un modèle Hugging Face (``from_pretrained``, ``pipeline``, une fois ce paquet importé) qui
    contient aussi ``masterclass_finetune.json`` : configuration, historique par époque et métriques de test.
    """
    config = FinetuneConfig() if config is None else config
    root = Path(cache_dir) if cache_dir is not None else cache_root()

    def build():
        result = finetune(config)
        return result.model, result.tokenizer, run_summary(config, result.history, result.metrics)

    return _get_or_build(root / "finetune" / cache_key(config), build)


def cached_student(config: _distill.DistillConfig | None = None, distill: bool = True,
                   teacher_config: FinetuneConfig | None = None,
                   cache_dir: str | os.PathLike | None = None) -> Path:
    """Élève à 3 couches (:mod:`masterclass.finetune.distill`) tiré de l'enseignant en cache, entraîné puis mis en
    cache.

    ``distill=False`` : le même élève entraîné sur les seules étiquettes. La clé combine celle de l'enseignant,
    la configuration de l'élève et le code de :mod:`masterclass.finetune.distill` et de tout ce qu'il importe.
    """
    from transformers import AutoTokenizer

    config = _distill.DistillConfig() if config is None else config
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    teacher_dir = cached_finetune(teacher_config, cache_dir)
    digest = hashlib.sha256((teacher_dir.name + json.dumps(asdict(config), sort_keys=True, default=str)
                             + str(distill)).encode())
    _hash_sources(digest, _distill.__name__)
    kind = "distille" if distill else "sans-distillation"

    def build():
        teacher = _classifier.load_finetuned(teacher_dir)
        tokenizer = AutoTokenizer.from_pretrained(teacher_dir)
        dsd = _classifier.load_data(config.data)
        student, history = _distill.train_student(teacher, tokenizer, dsd, config, distill=distill)
        loaders = _classifier.make_loaders(dsd, tokenizer, config)
        metrics = {name: _classifier.evaluate(student, loaders[name]) for name in loaders if name.startswith("test")}
        return student, tokenizer, run_summary(config, history, metrics)

    return _get_or_build(root / f"eleve-{kind}" / digest.hexdigest()[:16], build)
