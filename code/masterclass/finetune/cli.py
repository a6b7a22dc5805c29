"""Ligne de commande de l'affinage : ``python -m masterclass.finetune --output-dir DIR [options]``.

    python -m masterclass.finetune --output-dir DOSSIER [--model MODÈLE] [--data DONNÉES] [--pooling {cls,mean}]
                                   [--max-length N] [--frozen-layers K] [--epochs N] [--lr TAUX] [--seed GRAINE]

Écrit un modèle Hugging Face (``from_pretrained``, ``pipeline`` ; la tête par moyenne demande d'avoir importé
:mod:`masterclass.finetune`) et son résumé d'entraînement ; en cas d'erreur
(données ou modèle indisponibles, répertoire de sortie occupé, option invalide), un message en français et le code
2, sans rien écrire. L'aide (``--help``) et les erreurs d'analyse des options sont en français
(:class:`masterclass.utils.cli.FrenchArgumentParser`).

Voir : {ref}`atelier-3-pipeline`.
"""

from __future__ import annotations

import sys
import time
from argparse import SUPPRESS
from pathlib import Path

from masterclass.data.corpus import CorpusError
from masterclass.finetune.classifier import POOLINGS, SHIPPED_CORPORA, FinetuneConfig, finetune, load_data, run_summary
from masterclass.finetune.storage import check_output_dir, save_atomically
from masterclass.models.pretrained import ModelUnavailableError, resolve_model
from masterclass.utils.cli import FrenchArgumentParser


def main(argv: list[str] | None = None) -> int:
    """Point d'entrée ``python -m masterclass.finetune`` ; renvoie le code de sortie (0 si succès)."""
    default = FinetuneConfig()
    shipped = ", ".join(f"« {name} »" for name in SHIPPED_CORPORA)
    parser = FrenchArgumentParser(
        prog="python -m masterclass.finetune",
        description="Affine un BERT pour classer des avis (positif ou négatif) et écrit le modèle obtenu.",
        epilog="Avec un accès au réseau : --model cmarkea/distilcamembert-base --pooling cls --data allocine "
               "(modèle et corpus du Hub Hugging Face).")
    parser.add_argument("--output-dir", required=True, metavar="DOSSIER",
                        help="répertoire du modèle affiné (absent ou vide)")
    parser.add_argument("--model", default=default.model, metavar="MODÈLE",
                        help="modèle de départ : « bundled », un répertoire ou un nom du Hub "
                             f"(défaut : {default.model})")
    parser.add_argument("--data", default=default.data, metavar="DONNÉES",
                        help=f"données : {shipped} (corpus livrés, français et traduction anglaise), un répertoire "
                             f"de découpages ou un nom du Hub (défaut : {default.data})")
    parser.add_argument("--pooling", choices=POOLINGS, default=default.pooling,
                        help=f"regroupement de la séquence : pooler sur [CLS] ou moyenne des états, famille BERT "
                             f"seulement (défaut : {default.pooling})")
    parser.add_argument("--max-length", type=int, default=default.max_length, metavar="N",
                        help=f"longueur maximale en jetons, les avis plus longs sont tronqués (défaut : "
                             f"{default.max_length})")
    parser.add_argument("--frozen-layers", type=int, default=default.frozen_layers, metavar="K",
                        help="geler les plongements et les K couches les plus basses, 0 pour tout entraîner "
                             f"(défaut : {default.frozen_layers})")
    parser.add_argument("--epochs", type=int, default=default.epochs, metavar="N",
                        help=f"époques maximales (défaut : {default.epochs})")
    parser.add_argument("--lr", type=float, default=default.lr, metavar="TAUX",
                        help=f"taux d'apprentissage maximal (défaut : {default.lr:g})")
    parser.add_argument("--seed", type=int, default=default.seed, metavar="GRAINE",
                        help=f"graine (défaut : {default.seed})")
    parser.add_argument("--max-train-examples", type=int, default=None, help=SUPPRESS)
    args = parser.parse_args(argv)
    config = FinetuneConfig(model=args.model, data=args.data, pooling=args.pooling, epochs=args.epochs, lr=args.lr,
                            max_length=args.max_length, frozen_layers=args.frozen_layers, seed=args.seed,
                            max_train_examples=args.max_train_examples)
    try:
        if args.epochs < 1 or not args.lr > 0:
            raise ValueError(f"--epochs doit être ≥ 1 et --lr > 0 : reçu {args.epochs} et {args.lr:g}.")
        config.check()
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
