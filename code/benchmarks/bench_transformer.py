"""Banc de mesure : temps de la passe avant de notre Transformer / ``torch.nn.Transformer`` sur CPU.

Mêmes poids (``Transformer.from_torch``), dropout 0, lot B = 16, source et cible de longueur T = 64, d_model = 256,
8 têtes, 3 couches d'encodeur et 3 de décodeur, d_ff = 1024, masque causal sur la cible (comme à l'entraînement).
Les deux passes sont exécutées en alternance sous ``torch.no_grad()`` (PyTorch peut alors prendre, pour l'encodeur,
son chemin rapide fusionné) et l'on imprime la médiane des rapports ``temps(ours) / temps(torch)`` d'un même tour ;
l'objectif est ≤ 1.25. Le script vérifie d'abord que les sorties sont égales (1e-4).

Usage : ``python code/benchmarks/bench_transformer.py [--repeats 15] [--threads 2] [--norm-first]``.
Voir : la page « Le Transformer complet » du module 2 (book/02-encodeur-decodeur/transformer.md).
"""

from __future__ import annotations

import argparse
import statistics
import warnings

import torch

from masterclass.nn.attention import causal_mask
from masterclass.nn.transformer import Transformer
from masterclass.utils.compute import alternating_times

GOAL = 1.25


def bench(B: int = 16, T: int = 64, d_model: int = 256, nhead: int = 8, layers: int = 3, d_ff: int = 1024,
          norm_first: bool = False, repeats: int = 15, warmup: int = 2):
    """Renvoie ``(médiane des rapports, médiane ours en s, médiane torch en s)``."""
    torch.manual_seed(0)
    warnings.filterwarnings("ignore", message="enable_nested_tensor")  # avertissement de PyTorch en pré-normalisation
    ref = torch.nn.Transformer(d_model, nhead, layers, layers, d_ff, dropout=0.0, batch_first=True,
                               norm_first=norm_first).eval()
    ours = Transformer.from_torch(ref).eval()
    src, tgt = torch.randn(B, T, d_model), torch.randn(B, T, d_model)
    mask = causal_mask(T)
    with torch.no_grad():
        torch.testing.assert_close(ours(src, tgt, tgt_mask=mask), ref(src, tgt, tgt_mask=~mask), rtol=1e-4, atol=1e-4)
    times = alternating_times({"ours": lambda: ours(src, tgt, tgt_mask=mask),
                               "torch": lambda: ref(src, tgt, tgt_mask=~mask)}, repeats=repeats, warmup=warmup)
    ratios = [a / b for a, b in zip(times["ours"], times["torch"], strict=True)]  # rapports d'un même tour
    return statistics.median(ratios), statistics.median(times["ours"]), statistics.median(times["torch"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (défaut : celui de torch)")
    parser.add_argument("--norm-first", action="store_true", help="pré-normalisation (défaut : post, comme en 2017)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} fil(s) ; B=16, T=64, d=256, h=8, 3+3 couches, "
          f"{'pré' if args.norm_first else 'post'}-normalisation ; objectif ≤ {GOAL}")
    ratio, a, b = bench(norm_first=args.norm_first, repeats=args.repeats)
    verdict = "ok" if ratio <= GOAL else "AU-DESSUS"
    print(f"ours {a * 1e3:.2f} ms ; torch {b * 1e3:.2f} ms ; rapport médian {ratio:.3f}  {verdict}")


if __name__ == "__main__":
    main()
