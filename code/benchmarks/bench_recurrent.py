"""Banc de mesure : temps de la passe avant de notre LSTM / ``torch.nn.LSTM`` sur CPU.

Les deux modules ont les mêmes poids (``LSTM.from_torch``) ; lot B = 32, entrée 128, état 256. Pour chaque ``T``,
les deux passes sont exécutées en alternance (ours, torch, puis torch, ours…) sous ``torch.no_grad()`` et l'on
imprime la médiane des rapports ``temps(ours) / temps(torch)`` d'un même tour : 1.0 signifie « aussi rapide »,
l'objectif est ≤ 1.5. PyTorch déroule la boucle en C++ ; la nôtre est en Python, avec une seule multiplication pour
la projection de l'entrée de tous les pas et un seul produit matriciel par pas pour les quatre portes.

Usage : ``python code/benchmarks/bench_recurrent.py [--repeats 15] [--lengths 64 256] [--threads 2]``.
Voir : la page « Les limites, mesurées » du module 1 (book/01-sequences/limites.md).
"""

from __future__ import annotations

import argparse
import statistics

import torch

from masterclass.nn.recurrent import LSTM
from masterclass.utils.compute import alternating_times

GOAL = 1.5


def bench(T: int, B: int = 32, input_size: int = 128, hidden_size: int = 256, repeats: int = 15, warmup: int = 2):
    """Renvoie ``(médiane des rapports, médiane ours en s, médiane torch en s)`` pour une longueur ``T``."""
    torch.manual_seed(0)
    ref = torch.nn.LSTM(input_size, hidden_size, batch_first=True).eval()
    ours = LSTM.from_torch(ref).eval()
    x = torch.randn(B, T, input_size)
    with torch.no_grad():  # mêmes sorties, sinon la comparaison n'a pas de sens
        torch.testing.assert_close(ours(x)[0], ref(x)[0], rtol=1e-5, atol=1e-5)
    times = alternating_times({"ours": lambda: ours(x), "torch": lambda: ref(x)}, repeats=repeats, warmup=warmup)
    ratios = [a / b for a, b in zip(times["ours"], times["torch"], strict=True)]  # rapports d'un même tour
    return statistics.median(ratios), statistics.median(times["ours"]), statistics.median(times["torch"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (défaut : celui de torch)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {threads} fil(s) ; B=32, entrée 128, état 256 ; objectif ≤ {GOAL}")
    print(f"{'T':>6} {'ours (ms)':>10} {'torch (ms)':>11} {'rapport médian':>15}")
    for T in args.lengths:
        ratio, a, b = bench(T, repeats=args.repeats)
        verdict = "ok" if ratio <= GOAL else "AU-DESSUS"
        print(f"{T:>6} {a * 1e3:>10.2f} {b * 1e3:>11.2f} {ratio:>15.3f}  {verdict}")


if __name__ == "__main__":
    main()
