"""Cache du modèle affiné : l'atelier 3 et la page de distillation partagent un seul entraînement.

La clé du cache est l'empreinte SHA-256 de la configuration d'affinage, du contenu des fichiers de données, de
la configuration et des poids du modèle de départ et du code de :mod:`masterclass.finetune` : si l'un change,
la clé change et le modèle est réentraîné. Le répertoire du cache est ``$MASTERCLASS_CACHE`` s'il est défini,
sinon ``~/.cache/masterclass``. La première page qui a besoin du modèle l'entraîne et l'écrit (écriture
atomique) ; les suivantes le relisent.

Voir : atelier 3, « Fine-tuning pour l'analyse de sentiments ».
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path

from masterclass import finetune as _finetune
from masterclass.finetune import SHIPPED_DATA, FinetuneConfig, save_atomically
from masterclass.pretrained import resolve_model

logger = logging.getLogger(__name__)

#: Nom du fichier où le cache range l'historique et les métriques de l'entraînement.
SUMMARY_FILE = "masterclass_finetune.json"


def cache_root() -> Path:
    """Racine du cache : ``$MASTERCLASS_CACHE`` ou ``~/.cache/masterclass``."""
    return Path(os.environ.get("MASTERCLASS_CACHE", Path.home() / ".cache" / "masterclass")).expanduser()


def _hash_file(digest, path: Path) -> None:
    digest.update(path.name.encode())
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)


def cache_key(config: FinetuneConfig) -> str:
    """Empreinte (16 caractères hexadécimaux) de la configuration, des données, du modèle et du code."""
    from masterclass.data import AVIS_DIR

    if config.data != SHIPPED_DATA and not Path(config.data).is_dir():
        raise ValueError(f"Le cache n'accepte que des données locales : reçu « {config.data} ».")
    digest = hashlib.sha256(json.dumps(asdict(config), sort_keys=True, default=str).encode())
    data_dir = AVIS_DIR if config.data == SHIPPED_DATA else Path(config.data)
    for path in sorted(data_dir.glob("*.jsonl")):
        _hash_file(digest, path)
    model_dir = resolve_model(config.model)
    for name in ("config.json", "model.safetensors"):
        if (model_dir / name).is_file():
            _hash_file(digest, model_dir / name)
    _hash_file(digest, Path(_finetune.__file__))
    return digest.hexdigest()[:16]


def _summary(config, result_history, metrics) -> dict:
    return {"config": asdict(config), "history": result_history,
            "test": {name: {k: v for k, v in m.items() if k != "predictions"} | {"predictions": m["predictions"].tolist()}
                     for name, m in metrics.items()}}


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


def cached_finetune(config: FinetuneConfig = FinetuneConfig(), cache_dir: str | os.PathLike | None = None) -> Path:
    """Renvoie le répertoire du modèle affiné selon ``config`` ; l'entraîne d'abord s'il n'est pas en cache.

    Le répertoire est un modèle Hugging Face standard (``from_pretrained``, ``pipeline``) qui contient aussi
    ``masterclass_finetune.json`` : configuration, historique par époque et métriques de test.
    """
    root = Path(cache_dir) if cache_dir is not None else cache_root()

    def build():
        result = _finetune.finetune(config)
        return result.model, result.tokenizer, _summary(config, result.history, result.metrics)

    return _get_or_build(root / "finetune" / cache_key(config), build)


def cached_student(config=None, distill: bool = True, teacher_config: FinetuneConfig = FinetuneConfig(),
                   cache_dir: str | os.PathLike | None = None) -> Path:
    """Élève à 3 couches (:mod:`masterclass.distill`) tiré de l'enseignant en cache, entraîné puis mis en cache.

    ``distill=False`` : le même élève entraîné sur les seules étiquettes. La clé combine celle de l'enseignant,
    la configuration de l'élève et le code de :mod:`masterclass.distill`.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from masterclass import distill as _distill

    config = _distill.DistillConfig() if config is None else config
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    teacher_dir = cached_finetune(teacher_config, cache_dir)
    digest = hashlib.sha256((teacher_dir.name + json.dumps(asdict(config), sort_keys=True, default=str)
                             + str(distill)).encode())
    _hash_file(digest, Path(_distill.__file__))
    kind = "distille" if distill else "sans-distillation"

    def build():
        teacher = AutoModelForSequenceClassification.from_pretrained(teacher_dir).eval()
        tokenizer = AutoTokenizer.from_pretrained(teacher_dir)
        dsd = _finetune.load_data(config.data)
        student, history = _distill.train_student(teacher, tokenizer, dsd, config, distill=distill)
        loaders = _finetune.make_loaders(dsd, tokenizer, config)
        metrics = {name: _finetune.evaluate(student, loaders[name]) for name in loaders if name.startswith("test")}
        return student, tokenizer, _summary(config, history, metrics)

    return _get_or_build(root / f"eleve-{kind}" / digest.hexdigest()[:16], build)


def load_summary(path: str | os.PathLike) -> dict:
    """Lit la configuration, l'historique et les métriques rangés avec un modèle du cache."""
    return json.loads((Path(path) / SUMMARY_FILE).read_text(encoding="utf-8"))
