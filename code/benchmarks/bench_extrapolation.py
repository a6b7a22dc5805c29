"""Banc de mesure : durée de l'étude d'extrapolation de la page « Positions apprises, relatives et rotatives ».

Entraîne et évalue, sans cache, chaque (schéma, graine) de l'étude avec les réglages par défaut de
``masterclass.training.extrapolation`` (Transformer causal d'un bloc, C = 32, 4 têtes, 200 pas d'AdamW sur des lots de
32 séquences de 32 jetons, test à 16, 32, 64 et 128 jetons) dans un seul processus, et imprime la durée de chaque
entraînement (mesurée par ``fit_extrapolation``), celle de chaque appel complet (entraînement et évaluation), la
somme par schéma et le total. La page répartit ces calculs sur deux processus : son temps à froid est d'environ la
moitié du total, plus le démarrage des processus ; objectif : total ≤ 40 s, pour que la page tienne en 60 s.

Usage : ``python code/benchmarks/bench_extrapolation.py [--schemes rope alibi] [--seeds 0 1 2] [--threads 1]``.
Voir : book/05-position-contexte/positions-relatives.md, section « Entraîner court, tester long ».
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import torch

from masterclass.models.positional import SCHEMES
from masterclass.training.extrapolation import fit_extrapolation

GOAL_SECONDS = 40.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemes", nargs="+", default=list(SCHEMES), choices=SCHEMES)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (défaut : 1, comme un "
                        "processus auxiliaire de la page)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} fil(s) ; objectif : total ≤ {GOAL_SECONDS:.0f} s")
    per_scheme: dict[str, float] = defaultdict(float)
    for scheme in args.schemes:
        for seed in args.seeds:
            start = time.perf_counter()
            result = fit_extrapolation(scheme, seed)
            total = time.perf_counter() - start
            per_scheme[scheme] += total
            accuracy = {length: round(100 * s["accuracy"], 1) for length, s in result["lengths"].items()}
            print(f"{scheme:10s} graine {seed} : entraînement {result['seconds']:.1f} s, avec évaluation {total:.1f} s"
                  f" ; exactitude (%) par longueur {accuracy}", flush=True)
    overall = sum(per_scheme.values())
    for scheme, seconds in per_scheme.items():
        print(f"{scheme:10s} : {seconds:.1f} s pour {len(args.seeds)} graine(s)")
    verdict = "ok" if overall <= GOAL_SECONDS else "MANQUÉ"
    print(f"total : {overall:.1f} s ({overall / GOAL_SECONDS:.2f} × l'objectif)  {verdict}")


if __name__ == "__main__":
    main()
