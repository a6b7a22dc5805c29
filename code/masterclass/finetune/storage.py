"""Écrire un modèle entraîné sans jamais laisser de répertoire à moitié écrit.

Voir : {ref}`atelier-3-pipeline`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

#: Nom du fichier où sont rangés, avec le modèle, la configuration, l'historique et les métriques.
SUMMARY_FILE = "masterclass_finetune.json"


def check_output_dir(out: Path) -> None:
    """Vérifie qu'on peut créer ``out`` : absent ou vide, parent existant et inscriptible."""
    if out.exists() and not out.is_dir():
        raise OSError(f"--output-dir {out} existe et n'est pas un répertoire.")
    if out.is_dir() and any(out.iterdir()):
        raise OSError(f"--output-dir {out} n'est pas vide : choisissez un répertoire absent ou vide.")
    if not out.parent.is_dir():
        raise OSError(f"Le répertoire parent de --output-dir n'existe pas : {out.parent}.")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise OSError(f"Le répertoire {out.parent} n'est pas inscriptible : impossible d'y écrire {out.name}.")


def save_atomically(model, tokenizer, output_dir: str | os.PathLike, extra: dict | None = None) -> Path:
    """Écrit le modèle dans un répertoire temporaire voisin puis le renomme en ``output_dir``.

    Un arrêt pendant l'écriture ne laisse jamais un modèle à moitié écrit dans ``output_dir`` : soit il
    n'existe pas (ou reste vide), soit il est complet. ``extra`` est rangé dans :data:`SUMMARY_FILE`.
    """
    out = Path(output_dir).expanduser().resolve()
    check_output_dir(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if extra is not None:
            (tmp / SUMMARY_FILE).write_text(json.dumps(extra, ensure_ascii=False, indent=2), encoding="utf-8")
        if out.is_dir():
            out.rmdir()  # vide (vérifié) : rename exige que la cible n'existe pas
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def load_summary(path: str | os.PathLike) -> dict:
    """Lit la configuration, l'historique et les métriques rangés avec un modèle (:data:`SUMMARY_FILE`)."""
    file = Path(path) / SUMMARY_FILE
    if not file.is_file():
        raise FileNotFoundError(
            f"Résumé d'entraînement absent : {file} (répertoire écrit par save_atomically attendu)."
        )
    return json.loads(file.read_text(encoding="utf-8"))
