"""Banc de mesure : durée de l'entraînement du Transformer des nombres (module 2) et son exactitude exacte.

Entraîne, pour chaque graine demandée, le Transformer de la page « Entraîner un Transformer sur CPU » avec les
réglages ``TRANSFORMER`` du paquet (``masterclass.training.numbers``) : C = 128, 4 têtes, 2 + 2 couches, d_ff = 256,
500 pas d'Adam sur des lots de 128. Imprime la durée de l'entraînement seul (hors évaluations, mesurée par
``train_seq2seq``), l'exactitude exacte et le taux d'erreur par caractère du décodage glouton sur les nombres de
test ; objectifs : ≤ 60 s sur deux cœurs et ≥ 99 % d'exactitude exacte. Sans cache : chaque appel entraîne.

Usage : ``python code/benchmarks/bench_train_numbers.py [--seeds 0 1 2] [--threads 2]``.
Voir : la page « Entraîner un Transformer sur CPU » du module 2 (book/02-encodeur-decodeur/entrainement.md).
"""

from __future__ import annotations

import argparse
import statistics

import torch

from masterclass.training.numbers import TRANSFORMER, fit_transformer

GOAL_SECONDS, GOAL_EXACT = 60.0, 0.99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (défaut : 2, deux cœurs)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} fil(s) ; modèle {TRANSFORMER['model']} ; "
          f"entraînement {TRANSFORMER['config']} ; objectifs ≤ {GOAL_SECONDS:.0f} s et ≥ {GOAL_EXACT:.0%}")
    seconds, exact = [], []
    for seed in args.seeds:
        result = fit_transformer(seed, evaluate_every=0)  # pas d'évaluation en cours de route
        seconds.append(result["seconds"])
        exact.append(result["exact_match"])
        verdict = "ok" if result["seconds"] <= GOAL_SECONDS and result["exact_match"] >= GOAL_EXACT else "MANQUÉ"
        print(f"graine {seed} : entraînement {result['seconds']:.1f} s ({result['seconds'] / GOAL_SECONDS:.2f} × "
              f"l'objectif) ; exactitude exacte {100 * result['exact_match']:.2f} % ; CER "
              f"{100 * result['cer']:.3f} %  {verdict}", flush=True)
    print(f"médianes : {statistics.median(seconds):.1f} s ; {100 * statistics.median(exact):.2f} %")


if __name__ == "__main__":
    main()
