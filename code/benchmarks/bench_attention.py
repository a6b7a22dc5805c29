"""Banc de mesure : temps de la passe avant de notre attention multi-tête / ``torch.nn.MultiheadAttention``.

Les deux modules ont les mêmes poids (``MultiHeadAttention.from_torch``) et renvoient tous deux les poids
par tête (``need_weights=True, average_attn_weights=False``), ce qui interdit à PyTorch son noyau fusionné :
on compare deux implémentations explicites. Pour chaque ``T``, les deux passes sont exécutées en alternance
(ours, torch, ours, torch…) et l'on imprime la médiane des rapports ``temps(ours) / temps(torch)`` : un
rapport de 1.0 signifie « aussi rapide », l'objectif est ≤ 1.25.

Usage : ``python code/benchmarks/bench_attention.py [--repeats 15] [--lengths 64 256 1024]``.
Voir : la section « Coût et variantes » du module 4 (book/04-attention/cout-et-variantes.md).
"""

from __future__ import annotations

import argparse
import statistics

import torch

from masterclass.nn.attention import MultiHeadAttention
from masterclass.utils.compute import alternating_times


def bench(T: int, B: int = 8, d_model: int = 256, num_heads: int = 8, repeats: int = 15, warmup: int = 2):
    """Renvoie ``(médiane des rapports, médiane ours en s, médiane torch en s)`` pour une longueur ``T``."""
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(d_model, num_heads, batch_first=True).eval()
    ours = MultiHeadAttention.from_torch(ref).eval()
    x = torch.randn(B, T, d_model)

    def run_ours():
        ours(x, x, x)

    def run_torch():
        ref(x, x, x, need_weights=True, average_attn_weights=False)

    times = alternating_times({"ours": run_ours, "torch": run_torch}, repeats=repeats, warmup=warmup)
    ratios = [a / b for a, b in zip(times["ours"], times["torch"], strict=True)]  # rapports d'un même tour
    return statistics.median(ratios), statistics.median(times["ours"]), statistics.median(times["torch"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (défaut : celui de torch)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} fil(s) ; B=8, d_model=256, h=8 ; objectif ≤ 1.25")
    print(f"{'T':>6} {'ours (ms)':>10} {'torch (ms)':>11} {'rapport médian':>15}")
    for T in args.lengths:
        ratio, a, b = bench(T, repeats=args.repeats)
        verdict = "ok" if ratio <= 1.25 else "AU-DESSUS"
        print(f"{T:>6} {a * 1e3:>10.2f} {b * 1e3:>11.2f} {ratio:>15.3f}  {verdict}")


if __name__ == "__main__":
    main()
