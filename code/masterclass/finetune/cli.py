"""Ligne de commande de l'affinage : ``python -m masterclass.finetune --output-dir DIR [options]``.

    python -m masterclass.finetune --output-dir DIR [--model NAME_OR_PATH] [--data PATH_OR_HUB_NAME]
                                   [--epochs N] [--seed S]

Écrit un modèle Hugging Face standard (``from_pretrained``, ``pipeline``) et son résumé d'entraînement ; en cas
d'erreur (données ou modèle indisponibles, répertoire de sortie occupé), un message en français et le code 2, sans
rien écrire.

Voir : {ref}`atelier-3-pipeline`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from masterclass.data.corpus import CorpusError
from masterclass.finetune.classifier import FinetuneConfig, finetune, load_data, run_summary
from masterclass.finetune.storage import check_output_dir, save_atomically
from masterclass.models.pretrained import ModelUnavailableError, resolve_model


def main(argv: list[str] | None = None) -> int:
    """Point d'entrée ``python -m masterclass.finetune`` ; renvoie le code de sortie (0 si succès)."""
    default = FinetuneConfig()
    parser = argparse.ArgumentParser(prog="python -m masterclass.finetune",
                                     description="Affine un BERT pour l'analyse de sentiments en français.")
    parser.add_argument("--output-dir", required=True, help="répertoire du modèle affiné (absent ou vide)")
    parser.add_argument("--model", default=default.model, help=f"modèle de départ (défaut : {default.model})")
    parser.add_argument("--data", default=default.data, help=f"données (défaut : {default.data}, le corpus livré)")
    parser.add_argument("--epochs", type=int, default=default.epochs,
                        help=f"époques maximales (défaut : {default.epochs})")
    parser.add_argument("--seed", type=int, default=default.seed, help=f"graine (défaut : {default.seed})")
    parser.add_argument("--max-train-examples", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    config = FinetuneConfig(model=args.model, data=args.data, epochs=args.epochs, seed=args.seed,
                            max_train_examples=args.max_train_examples)
    try:
        if args.epochs < 1:
            raise ValueError(f"--epochs doit être ≥ 1 : reçu {args.epochs}.")
        check_output_dir(Path(args.output_dir).expanduser().resolve())
        start = time.perf_counter()
        dsd = load_data(config.data)
        resolve_model(config.model)  # échoue tôt, avant tout calcul, si le modèle est indisponible
        result = finetune(config, dsd)
        out = save_atomically(result.model, result.tokenizer, args.output_dir,
                              extra=run_summary(config, result.history, result.metrics))
    except (CorpusError, ModelUnavailableError, OSError, ValueError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    for row in result.history:
        print(f"époque {row['epoch']} : perte d'entraînement {row['train_loss']:.4f}, "
              f"exactitude de validation {row['val_accuracy']:.4f}")
    for name, metrics in result.metrics.items():
        print(f"exactitude {name} : {metrics['accuracy']:.4f} (F1 {metrics['f1']:.4f})")
    print(f"modèle écrit dans {out} en {time.perf_counter() - start:.0f} s")
    return 0
