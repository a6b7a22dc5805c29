"""Banc de mesure : puissances et spectres du module 3 contre les références NumPy.

1. ``masterclass.maths.linalg.matrix_power`` (par la diagonalisation, ``P D^k P⁻¹``) contre
   ``numpy.linalg.matrix_power`` (élévation au carré répétée), pour plusieurs ``k`` : la diagonalisation coûte
   presque autant pour tout ``k``, l'élévation au carré croît comme ``log₂ k``. On imprime la médiane des temps,
   le rapport ours / numpy et l'écart relatif entre les deux résultats.
2. ``factored_singular_values`` (QR puis SVD ``d_k × d_k``) contre la SVD complète de ``W_Q W_Kᵀ`` ``(C, C)``.

Usage : ``python code/benchmarks/bench_linalg.py [--repeats 15] [--n 64] [--threads 1]``.
Voir : module 3, « Valeurs propres et diagonalisation » et « Géométrie de l'attention ».
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from masterclass.maths.linalg import bilinear_score_matrix, factored_singular_values, matrix_power
from masterclass.utils.compute import alternating_times


def median_pair(ours, ref, repeats: int) -> tuple[float, float]:
    """Médianes (secondes) de ``ours`` et ``ref`` exécutées en alternance (:func:`alternating_times`)."""
    times = alternating_times({"ours": ours, "ref": ref}, repeats=repeats)
    return statistics.median(times["ours"]), statistics.median(times["ref"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--n", type=int, default=64, help="taille des matrices carrées")
    parser.add_argument("--threads", type=int, default=1, help="fils BLAS (threadpoolctl)")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    rng = np.random.default_rng(0)
    A = rng.normal(size=(args.n, args.n)) / np.sqrt(args.n)
    print(f"1. Puissances d'une matrice ({args.n}, {args.n}), médiane sur {args.repeats} exécutions")
    print(f"{'k':>6} {'ours (ms)':>10} {'numpy (ms)':>11} {'rapport':>8} {'écart relatif':>14}")
    for k in [2, 16, 128, 1024]:
        ours, ref = median_pair(lambda k=k: matrix_power(A, k), lambda k=k: np.linalg.matrix_power(A, k), args.repeats)
        expected = np.linalg.matrix_power(A, k)
        error = np.linalg.norm(matrix_power(A, k) - expected) / max(np.linalg.norm(expected), 1e-300)
        print(f"{k:>6} {ours * 1e3:>10.3f} {ref * 1e3:>11.3f} {ours / ref:>8.2f} {error:>14.1e}")

    C, d_k = 384, 32
    W_q, W_k = rng.normal(size=(2, C, d_k))
    fast, full = median_pair(lambda: factored_singular_values(W_q, W_k),
                             lambda: np.linalg.svd(bilinear_score_matrix(W_q, W_k), compute_uv=False), args.repeats)
    print(f"\n2. Valeurs singulières de W_Q W_Kᵀ, C = {C}, d_k = {d_k}")
    print(f"factorisée : {fast * 1e3:.3f} ms ; SVD complète : {full * 1e3:.3f} ms ; rapport {fast / full:.3f}")


if __name__ == "__main__":
    main()
