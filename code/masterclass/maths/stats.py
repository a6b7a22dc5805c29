"""Juger une expérience : intervalles de confiance et tests appariés.

Deux modèles évalués sur le **même** ensemble de test ne sont pas deux échantillons indépendants : leurs erreurs
portent sur les mêmes exemples. On les compare donc exemple par exemple :

- le test exact de McNemar (1947) ne regarde que les exemples où les deux modèles divergent : sous l'hypothèse
  « même exactitude », chacun de ces désaccords est gagné par l'un ou l'autre avec probabilité 1/2 ;
- le *bootstrap* apparié (Efron et Tibshirani, 1993) rééchantillonne les exemples, avec les deux prédictions
  ensemble, et donne un intervalle pour la différence d'exactitude.

Pour une proportion seule (l'exactitude d'un modèle), l'intervalle de Wilson (1927) ; pour une moyenne sur
plusieurs graines, l'intervalle de Student.

Voir : {ref}`m7-distillation-comparaison`.
"""

from __future__ import annotations

import math

import numpy as np


def _as_bool_vector(name: str, x) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 1 or arr.size == 0 or not (arr.dtype == bool or np.isin(arr, (0, 1)).all()):
        raise ValueError(f"{name} doit être un vecteur non vide de booléens (ou de 0/1) : reçu forme {arr.shape}, "
                         f"type {arr.dtype}.")
    return arr.astype(bool)


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence doit être dans ]0, 1[ : reçu {confidence!r}.")


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Intervalle de Wilson pour une proportion ``successes / n`` (par exemple une exactitude).

    Avec ``z`` le quantile normal, ``p̂ = k/n`` : centre ``(p̂ + z²/2n) / (1 + z²/n)``, demi-largeur
    ``z √(p̂(1-p̂)/n + z²/4n²) / (1 + z²/n)``. Contrairement à ``p̂ ± z √(p̂(1-p̂)/n)``, il reste dans [0, 1].
    """
    from scipy.stats import norm

    if not (isinstance(n, (int, np.integer)) and n > 0 and isinstance(successes, (int, np.integer))
            and 0 <= successes <= n):
        raise ValueError(f"Il faut des entiers 0 ≤ successes ≤ n et n > 0 : reçu successes={successes!r}, n={n!r}.")
    _check_confidence(confidence)
    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def mcnemar_exact(correct_a, correct_b) -> dict:
    """Test exact de McNemar : les exactitudes de A et B, mesurées sur les mêmes exemples, diffèrent-elles ?

    ``correct_a[i]`` (``correct_b[i]``) dit si A (B) a bien classé l'exemple ``i``. Seuls comptent les désaccords :
    ``a_only`` exemples bien classés par A seul, ``b_only`` par B seul. Sous l'hypothèse nulle, ``a_only`` suit une
    loi binomiale de paramètres ``(a_only + b_only, 1/2)`` ; la p-valeur est bilatérale. Renvoie ``a_only``,
    ``b_only``, ``n`` (exemples), ``difference`` (exactitude de A moins celle de B) et ``p_value``.
    """
    from scipy.stats import binomtest

    a, b = _as_bool_vector("correct_a", correct_a), _as_bool_vector("correct_b", correct_b)
    if a.shape != b.shape:
        raise ValueError(f"correct_a et correct_b doivent porter sur les mêmes exemples : reçu {a.size} et {b.size}.")
    a_only, b_only = int((a & ~b).sum()), int((~a & b).sum())
    discordant = a_only + b_only
    p_value = 1.0 if discordant == 0 else float(binomtest(a_only, discordant, 0.5).pvalue)
    return {"a_only": a_only, "b_only": b_only, "n": int(a.size), "difference": (a_only - b_only) / a.size,
            "p_value": p_value}


def paired_bootstrap(correct_a, correct_b, n_resamples: int = 10_000, confidence: float = 0.95,
                     seed: int = 0) -> dict:
    """Intervalle de confiance *bootstrap* apparié (percentiles) de la différence d'exactitude A − B.

    À chaque tirage, on prend ``n`` exemples avec remise **avec leurs deux prédictions** (l'appariement est
    conservé) et l'on calcule la différence d'exactitude. Renvoie ``difference`` (sur l'échantillon complet),
    ``low`` et ``high`` (percentiles ``(1 ± confidence)/2`` des tirages) et ``n_resamples``.
    """
    a, b = _as_bool_vector("correct_a", correct_a), _as_bool_vector("correct_b", correct_b)
    if a.shape != b.shape:
        raise ValueError(f"correct_a et correct_b doivent porter sur les mêmes exemples : reçu {a.size} et {b.size}.")
    if not isinstance(n_resamples, int) or n_resamples < 100:
        raise ValueError(f"n_resamples doit être un entier ≥ 100 : reçu {n_resamples!r}.")
    _check_confidence(confidence)
    delta = a.astype(np.float64) - b.astype(np.float64)  # (n,) : +1, 0 ou -1 par exemple
    boot = bootstrap_mean(delta, n_resamples, confidence, seed)
    return {"difference": boot["mean"], "low": boot["low"], "high": boot["high"], "n_resamples": n_resamples}


def bootstrap_mean(values, n_resamples: int = 10_000, confidence: float = 0.95, seed: int = 0) -> dict:
    """Intervalle *bootstrap* (percentiles) de la moyenne de mesures faites exemple par exemple.

    ``values[i]`` est une mesure de l'exemple ``i`` qui peut combiner plusieurs modèles (par exemple une différence
    de différences ``(a_i − b_i) − (c_i − d_i)``) : rééchantillonner les exemples garde l'appariement. Renvoie
    ``mean``, ``low``, ``high`` et ``n_resamples``.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"values doit être un vecteur non vide de nombres finis : reçu forme {x.shape}.")
    if not isinstance(n_resamples, int) or n_resamples < 100:
        raise ValueError(f"n_resamples doit être un entier ≥ 100 : reçu {n_resamples!r}.")
    _check_confidence(confidence)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_resamples, x.size))  # (R, n)
    means = x[idx].mean(axis=1)  # (R,)
    low, high = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
    return {"mean": float(x.mean()), "low": float(low), "high": float(high), "n_resamples": n_resamples}


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Moyenne et intervalle de Student ``x̄ ± t_{n-1} s / √n`` de mesures indépendantes (une par graine).

    Renvoie ``(moyenne, borne basse, borne haute)`` ; il faut au moins deux mesures.
    """
    from scipy.stats import t

    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or not np.isfinite(x).all():
        raise ValueError(f"values doit contenir au moins deux nombres finis : reçu forme {x.shape}.")
    _check_confidence(confidence)
    mean, sem = float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))
    half = float(t.ppf(0.5 + confidence / 2, df=x.size - 1)) * sem
    return mean, mean - half, mean + half
